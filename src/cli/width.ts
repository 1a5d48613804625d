/**
 * Terminal columns for the one-shot CLI's tables. Paths and titles can hold CJK text and emoji
 * (two columns each) and combining marks (none), so a column's width is not `string.length`.
 *
 * Widths come from src/text/cell-width.ts (string-width, as Ink measures), which the console's
 * components share, so a table here lines up the way the console draws the same titles.
 */

import { displayWidth, fitEnd, fitStart, padToWidth } from '../text/cell-width.js';
import { escapeControl } from '../text/escape.js';

export { displayWidth };

/**
 * One line, safe to print: a file name may hold tabs or line breaks (which would break a table
 * row) or escape sequences (which would act on the terminal). Each is shown escaped, so the
 * reader sees it is there instead of a name that silently differs from the file's.
 */
export function singleLine(s: string): string {
  return escapeControl(s);
}

/** The start (or, with `keepEnd`, the end) of `s` that fits in `columns`, in whole graphemes. */
export function fitWidth(s: string, columns: number, keepEnd = false): string {
  return keepEnd ? fitEnd(s, columns) : fitStart(s, columns);
}

/** `s` padded with spaces to `columns` (on the left for right-aligned cells). */
export function padWidth(s: string, columns: number, alignRight = false): string {
  return padToWidth(s, columns, alignRight ? 'right' : 'left');
}
