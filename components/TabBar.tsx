import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { useTheme, type ColourToken } from './theme.js';
import { displayWidth, forGlyphs, truncate } from './text.js';

/**
 * The numbered tab strip: "[1 Health]  2 Stuck (3)  3 Queue …". Tab n is switched to with the
 * digit n, so the number shown is the tab's position. The active tab is bracketed (readable
 * without colour) and, with colour, drawn inverse in the accent colour. Every tab has the same
 * width whether active or not, so switching never shifts the bar.
 */
export interface TabSpec {
  readonly id: string;
  readonly title: string;
  /** Small count or flag after the title, e.g. the number of stuck books. */
  readonly badge?: { readonly text: string; readonly tone?: ColourToken };
}

export interface TabBarProps {
  readonly tabs: readonly TabSpec[];
  readonly activeId: string;
  /** Optional width; the bar is cut with an ellipsis beyond it. */
  readonly width?: number;
}

export function TabBar(props: TabBarProps): ReactNode {
  const { colors, glyphs } = useTheme();
  let used = 0;
  const parts: ReactNode[] = [];
  props.tabs.forEach((tab, i) => {
    const active = tab.id === props.activeId;
    const label = `${i + 1} ${forGlyphs(tab.title, glyphs)}`;
    const badge = tab.badge ? ` (${forGlyphs(tab.badge.text, glyphs)})` : '';
    const text = (active ? '[' : ' ') + label;
    const close = active ? ']' : ' ';
    const w = displayWidth(text + badge + close) + 1;
    if (props.width !== undefined && used + w > props.width) {
      if (used < props.width) parts.push(<Text key="more">{truncate(glyphs.ellipsis, props.width - used, '')}</Text>);
      used = props.width;
      return;
    }
    used += w;
    parts.push(
      <Text key={tab.id}>
        <Text bold={active} inverse={active} color={active ? colors.accent : undefined}>
          {text}
        </Text>
        {badge !== '' && (
          <Text inverse={active} color={tab.badge?.tone ? colors[tab.badge.tone] : undefined}>
            {badge}
          </Text>
        )}
        <Text bold={active} inverse={active} color={active ? colors.accent : undefined}>
          {close}
        </Text>{' '}
      </Text>,
    );
  });
  return <Box>{parts}</Box>;
}
