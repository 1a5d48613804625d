/**
 * Human output: aligned tables that fit 80 columns, short ids, durations and ages. Shared by
 * every one-shot command so they read alike.
 */
import { formatDateTime, formatSeconds } from '../text/format.js';
import { displayWidth, fitWidth, padWidth, singleLine } from './width.js';

// One implementation of each, in src/text/format.ts (shared with operations and the console).
export { formatCount, shortId } from '../text/format.js';

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  align?: 'left' | 'right';
  /** Maximum width; longer values are cut with an ellipsis. */
  max?: number;
  /** The one column that shrinks (from the left, keeping the end) to fit the total width. */
  flex?: boolean;
  /** Which end of a value that is too long survives the cut (default: the end for the flex column, else the start). */
  keep?: 'start' | 'end';
}

function cut(text: string, width: number, fromLeft: boolean): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 1) return fitWidth(text, width);
  return fromLeft ? '…' + fitWidth(text, width - 1, true) : fitWidth(text, width - 1) + '…';
}

/** Renders rows as an aligned table no wider than `width` (default 80). */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[], width = 80): string {
  // Widths in terminal columns, not UTF-16 units: a CJK file name would push the row past 80.
  const cells = rows.map((r) => columns.map((c) => singleLine(c.value(r))));
  const widths = columns.map((c, i) =>
    Math.min(c.max ?? Infinity, Math.max(displayWidth(c.header), ...cells.map((row) => displayWidth(row[i]!)))),
  );
  const total = widths.reduce((a, b) => a + b, 0) + 2 * (columns.length - 1);
  const flexIndex = columns.findIndex((c) => c.flex);
  if (total > width && flexIndex >= 0) {
    widths[flexIndex] = Math.max(displayWidth(columns[flexIndex]!.header), widths[flexIndex]! - (total - width));
  }
  const line = (values: string[]) =>
    values
      .map((v, i) => {
        const c = columns[i]!;
        const w = widths[i]!;
        const t = cut(v, w, c.keep ? c.keep === 'end' : Boolean(c.flex));
        return padWidth(t, w, c.align === 'right');
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

// Durations and timestamps are the console's style too: one implementation, in src/text/format.ts.
export { formatSeconds, formatDateTime as formatTime } from '../text/format.js';

/** A timestamp as local "MM-DD HH:MM:SS" (tables that must fit 80 columns; JSON keeps ms). */
export function formatShortTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  return formatDateTime(ms).slice(5);
}

/** How long ago, e.g. "3 min ago". */
export function formatAge(ms: number | null | undefined, now: number): string {
  if (ms === null || ms === undefined) return '-';
  return `${formatSeconds((now - ms) / 1000)} ago`;
}

export function formatConfidence(c: number | null | undefined): string {
  return c === null || c === undefined ? '-' : c.toFixed(2);
}
