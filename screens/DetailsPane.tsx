/**
 * Details of one row (a book or an audit entry), in place of the list; Esc goes back. Long values
 * wrap instead of being cut, and the pane scrolls (the list keys move it while it is open).
 */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { keyValueLines } from '../components/KeyValueList.js';
import { forGlyphs, truncate } from '../components/text.js';
import { useTheme } from '../components/theme.js';
import type { Details } from '../store/ui.js';

/** Lines the pane has for the story: the title and the scroll line take two. */
export const detailsBodyLines = (height: number): number => Math.max(1, height - 2);

export function DetailsPane(props: { details: Details; width: number; height: number }): ReactNode {
  const { colors, glyphs } = useTheme();
  const lines = keyValueLines(props.details.items, props.width);
  const room = detailsBodyLines(props.height);
  const offset = Math.max(0, Math.min(props.details.offset ?? 0, lines.length - room));
  const shown = lines.slice(offset, offset + room);
  const more = lines.length > room ? `  lines ${offset + 1}${glyphs.rangeDash}${offset + shown.length} of ${lines.length} (j/k scroll)` : '';
  return (
    <Box flexDirection="column" width={props.width} height={props.height}>
      <Text bold color={colors.accent} wrap="truncate-end">
        {truncate(forGlyphs(props.details.title, glyphs), props.width, glyphs.ellipsis)}
      </Text>
      <Box flexDirection="column" height={room}>
        {shown.map((l, i) =>
          l.heading ? (
            <Text key={i} bold wrap="truncate-end">
              {forGlyphs(l.text, glyphs)}
            </Text>
          ) : (
            <Text key={i} wrap="truncate-end">
              <Text color={colors.muted}>{forGlyphs(l.label, glyphs)}</Text>
              <Text color={l.tone ? colors[l.tone] : colors.text}>{forGlyphs(l.text, glyphs)}</Text>
            </Text>
          ),
        )}
      </Box>
      <Text color={colors.muted} wrap="truncate-end">
        {truncate(`Esc back${more}`, props.width, glyphs.ellipsis)}
      </Text>
    </Box>
  );
}
