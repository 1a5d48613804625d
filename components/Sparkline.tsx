import { Text } from 'ink';
import type { ReactNode } from 'react';
import { useTheme, type ColourToken, type Glyphs } from './theme.js';

/**
 * A one-line chart of recent values (e.g. books finished per minute). The last `width` values
 * are drawn, oldest left; levels come from the theme (`▁▂▃▄▅▆▇█` or ASCII `_.-=^`).
 */
export interface SparklineProps {
  readonly values: readonly number[];
  /** Columns to draw; only the newest `width` values are shown. Default: all values. */
  readonly width?: number;
  /** Bottom of the scale (default 0, so a count of 0 is the lowest glyph). */
  readonly min?: number;
  /** Top of the scale (default: the largest value shown). */
  readonly max?: number;
  readonly tone?: ColourToken;
}

/** The sparkline as a string; non-finite values (gaps) draw as a space. */
export function sparklineText(
  values: readonly number[],
  glyphs: Pick<Glyphs, 'sparkline'>,
  opts: { width?: number; min?: number; max?: number } = {},
): string {
  const shown = opts.width === undefined ? values : values.slice(Math.max(0, values.length - opts.width));
  const finite = shown.filter((v) => Number.isFinite(v));
  const min = opts.min ?? Math.min(0, ...finite);
  const max = opts.max ?? Math.max(min, ...finite);
  const levels = glyphs.sparkline;
  const top = levels.length - 1;
  return shown
    .map((v) => {
      if (!Number.isFinite(v)) return ' ';
      const ratio = max > min ? (Math.min(Math.max(v, min), max) - min) / (max - min) : 0;
      return levels[Math.round(ratio * top)] ?? ' ';
    })
    .join('');
}

export function Sparkline(props: SparklineProps): ReactNode {
  const { colors, glyphs } = useTheme();
  return <Text color={colors[props.tone ?? 'info']}>{sparklineText(props.values, glyphs, props)}</Text>;
}
