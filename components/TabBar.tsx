import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { useTheme, type ColourToken } from './theme.js';
import { displayWidth, forGlyphs, truncate } from './text.js';

/**
 * The numbered tab strip: "[1 Health]  2 Stuck (3)  3 Queue …". Tab n is switched to with the
 * digit n, so the number shown is the tab's position. The active tab is bracketed (readable
 * without colour) and, with colour, drawn inverse in the accent colour. Every tab has the same
 * width whether active or not, so switching never shifts the bar.
 *
 * The bar never drops a tab: when it does not fit, labels shorten, in this order, until it does:
 * short badges ("5" for "5 pending"), short titles ("Hlth"), no badges, numbers only.
 */
export interface TabSpec {
  readonly id: string;
  readonly title: string;
  /** A shorter title for narrow terminals (default: the first 4 letters). */
  readonly short?: string;
  /** Small count or flag after the title, e.g. the number of stuck books. */
  readonly badge?: { readonly text: string; readonly short?: string; readonly tone?: ColourToken };
}

interface Level {
  readonly title: (t: TabSpec) => string;
  readonly badge: (t: TabSpec) => string | undefined;
}

const LEVELS: readonly Level[] = [
  { title: (t) => t.title, badge: (t) => t.badge?.text },
  { title: (t) => t.title, badge: (t) => t.badge?.short ?? t.badge?.text },
  { title: (t) => t.short ?? t.title.slice(0, 4), badge: (t) => t.badge?.short ?? t.badge?.text },
  { title: (t) => t.short ?? t.title.slice(0, 4), badge: () => undefined },
  { title: () => '', badge: () => undefined },
];

export interface TabBarProps {
  readonly tabs: readonly TabSpec[];
  readonly activeId: string;
  /** Optional width; the bar is cut with an ellipsis beyond it. */
  readonly width?: number;
}

function labelsAt(tabs: readonly TabSpec[], level: Level, glyphs: { readonly ascii: boolean }): { label: string; badge: string }[] {
  return tabs.map((tab, i) => {
    const title = level.title(tab);
    const b = level.badge(tab);
    return { label: title === '' ? `${i + 1}` : `${i + 1} ${forGlyphs(title, glyphs)}`, badge: b ? ` (${forGlyphs(b, glyphs)})` : '' };
  });
}

/** Columns the bar takes with these labels (each tab: bracket/space, label, badge, bracket/space, gap). */
function barWidth(labels: readonly { label: string; badge: string }[]): number {
  return labels.reduce((w, l) => w + 1 + displayWidth(l.label + l.badge) + 1 + 1, 0);
}

export function TabBar(props: TabBarProps): ReactNode {
  const { colors, glyphs } = useTheme();
  const fits = (l: Level): boolean => props.width === undefined || barWidth(labelsAt(props.tabs, l, glyphs)) - 1 <= props.width;
  const level = LEVELS.find(fits) ?? LEVELS[LEVELS.length - 1]!;
  const labels = labelsAt(props.tabs, level, glyphs);
  let used = 0;
  const parts: ReactNode[] = [];
  props.tabs.forEach((tab, i) => {
    const active = tab.id === props.activeId;
    const { label, badge } = labels[i]!;
    const text = (active ? '[' : ' ') + label;
    const close = active ? ']' : ' ';
    const w = displayWidth(text + badge + close) + 1;
    // The gap after the last tab may fall off the edge.
    if (props.width !== undefined && used + w - 1 > props.width) {
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
