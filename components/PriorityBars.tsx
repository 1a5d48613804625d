import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { displayWidth } from './text.js';
import { formatCount } from '../src/text/format.js';
import { useTheme, type ColourToken, type Glyphs } from './theme.js';

/**
 * How many books wait at each priority, as horizontal bars scaled to the largest count:
 *
 *   P1  ███████▌    1,204
 *   P2  ▏               3
 *
 * Priority 1 is claimed first. A non-zero count always gets a visible sliver.
 */
export interface PriorityBarsProps {
  /** Count per priority; a missing priority counts 0. */
  readonly counts: Readonly<Record<number, number>>;
  /** Rows to draw, in this order (default 1..10). */
  readonly priorities?: readonly number[];
  /** Total width of each line. */
  readonly width: number;
  readonly tone?: ColourToken;
}

export const ALL_PRIORITIES: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

/** A bar of `value / max` of `width` cells, using partial cells when the glyph set has them. */
export function barText(value: number, max: number, width: number, glyphs: Pick<Glyphs, 'barFull' | 'barPartials'>): string {
  if (width <= 0 || value <= 0 || max <= 0) return '';
  const cells = (Math.min(value, max) / max) * width;
  const steps = glyphs.barPartials.length + 1; // sub-cell resolution
  let full = Math.floor(cells);
  let eighths = Math.floor((cells - full) * steps);
  if (steps === 1) {
    full = Math.round(cells);
    eighths = 0;
  }
  let bar = glyphs.barFull.repeat(full);
  if (eighths > 0) bar += glyphs.barPartials[eighths - 1] ?? '';
  if (bar === '') bar = glyphs.barPartials[0] ?? glyphs.barFull;
  return bar;
}

export function PriorityBars(props: PriorityBarsProps): ReactNode {
  const { colors, glyphs } = useTheme();
  const priorities = props.priorities ?? ALL_PRIORITIES;
  const rows = priorities.map((p) => ({ label: `P${p}`, count: Math.max(0, props.counts[p] ?? 0) }));
  const labelW = Math.max(0, ...rows.map((r) => displayWidth(r.label)));
  const countW = Math.max(0, ...rows.map((r) => displayWidth(formatCount(r.count))));
  const barW = Math.max(0, props.width - labelW - countW - 2);
  const max = Math.max(0, ...rows.map((r) => r.count));
  return (
    <Box flexDirection="column">
      {rows.map((r) => {
        const bar = barText(r.count, max, barW, glyphs);
        return (
          <Text key={r.label} wrap="truncate-end">
            <Text color={colors.muted}>{r.label.padEnd(labelW)} </Text>
            <Text color={colors[props.tone ?? 'accent']}>{bar + ' '.repeat(Math.max(0, barW - displayWidth(bar)))}</Text>
            <Text color={r.count === 0 ? colors.muted : colors.text}> {formatCount(r.count).padStart(countW)}</Text>
          </Text>
        );
      })}
    </Box>
  );
}
