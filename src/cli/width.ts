/**
 * Terminal columns for the one-shot CLI's tables. Paths and titles can hold CJK text and emoji
 * (two columns each) and combining marks (none), so a column's width is not `string.length`.
 *
 * Column widths come from src/text/cell-width.ts, which the console's components share.
 */

import { codePointWidth } from '../text/cell-width.js';
import { escapeControl } from '../text/escape.js';

const width = (ch: string): number => codePointWidth(ch.codePointAt(0) ?? 0);

/** Terminal columns `s` occupies. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += width(ch);
  return w;
}

/**
 * One line, safe to print: a file name may hold tabs or line breaks (which would break a table
 * row) or escape sequences (which would act on the terminal). Each is shown escaped, so the
 * reader sees it is there instead of a name that silently differs from the file's.
 */
export function singleLine(s: string): string {
  return escapeControl(s);
}

/** The start (or, with `keepEnd`, the end) of `s` that fits in `columns`. */
export function fitWidth(s: string, columns: number, keepEnd = false): string {
  const chars = [...s];
  if (keepEnd) chars.reverse();
  let w = 0;
  let n = 0;
  for (const ch of chars) {
    if (w + width(ch) > columns) break;
    w += width(ch);
    n++;
  }
  const kept = chars.slice(0, n);
  return (keepEnd ? kept.reverse() : kept).join('');
}

/** `s` padded with spaces to `columns` (on the left for right-aligned cells). */
export function padWidth(s: string, columns: number, alignRight = false): string {
  const gap = ' '.repeat(Math.max(0, columns - displayWidth(s)));
  return alignRight ? gap + s : s + gap;
}
