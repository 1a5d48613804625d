/**
 * Cell-width arithmetic for plain strings: how many terminal columns a string takes, and how to
 * cut or pad it to an exact width.
 *
 * Components build each line to an exact width themselves instead of relying on Ink's wrapping,
 * because the ellipsis must follow the theme (`…` or `...`) and a table row must never wrap onto
 * a second line. Book titles can hold CJK text and emoji, which take two columns, so width is
 * not `string.length`: it is measured by src/text/cell-width.ts with string-width, the measure
 * Ink lays lines out by, so a row built to the terminal's width is exactly that wide to Ink.
 */

import { displayWidth as measure, fitStart, padToWidth, truncateToWidth } from '../src/text/cell-width.js';
import { escapeControl } from '../src/text/escape.js';
import { formatMs } from '../src/text/format.js';

/**
 * One line for a cell: tabs and line breaks become spaces, and any other control character
 * (stored text may hold `ESC[2J` or a BEL) is shown escaped (`\x1b[2J`) rather than dropped,
 * so the operator sees it is there and the terminal never acts on it.
 */
export function singleLine(s: string): string {
  return escapeControl(s.replace(/[\t\r\n]+/g, ' '));
}

/**
 * `s` wrapped to lines of at most `width` columns: at spaces where it can, mid-word where a word
 * is longer than a line. Control characters are shown escaped first.
 */
export function wrapText(s: string, width: number): string[] {
  const text = singleLine(s);
  if (width <= 0) return [text];
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    let w = word;
    const sep = line === '' ? '' : ' ';
    if (displayWidth(line + sep + w) <= width) {
      line += sep + w;
      continue;
    }
    if (line !== '') lines.push(line);
    line = '';
    while (displayWidth(w) > width) {
      // At least one grapheme per line, so a character wider than the line cannot loop forever.
      const head = fitStart(w, width) || [...w][0]!;
      lines.push(head);
      w = w.slice(head.length);
    }
    line = w;
  }
  lines.push(line);
  return lines;
}

const ASCII_PUNCTUATION: Record<string, string> = {
  '‘': "'",
  '’': "'",
  '“': '"',
  '”': '"',
  '–': '-',
  '—': '-',
  '…': '...',
  '\u00a0': ' ',
};

/**
 * `s` in 7-bit ASCII, for the ASCII theme: a terminal that is not in UTF-8 mode shows other
 * characters as several garbage cells and breaks every column after them. Accents are dropped
 * ("Brontë" → "Bronte"), typographic punctuation is replaced, anything else becomes "?".
 */
export function toAscii(s: string): string {
  let out = '';
  for (const ch of s.normalize('NFKD')) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x80) out += ch;
    else if (cp >= 0x0300 && cp <= 0x036f) continue; // combining accent left by NFKD
    else out += ASCII_PUNCTUATION[ch] ?? '?';
  }
  return out;
}

/** `s` as the glyph set can show it: unchanged for Unicode, `toAscii` for the ASCII theme. */
export function forGlyphs(s: string, glyphs: { readonly ascii: boolean }): string {
  return glyphs.ascii ? toAscii(s) : s;
}

/** Terminal columns `s` occupies (plain text, no escape codes). */
export function displayWidth(s: string): number {
  return measure(s);
}

/**
 * Cut `s` to at most `width` columns, ending with `ellipsis` when something was cut.
 * `from: 'start'` keeps the end instead (useful for paths: `…/books/pipeline.db`).
 */
export function truncate(s: string, width: number, ellipsis: string, from: 'end' | 'start' = 'end'): string {
  return truncateToWidth(s, width, ellipsis, from);
}

export type Align = 'left' | 'right' | 'center';

/** Truncate (at `from`, as `truncate`) then pad `s` to exactly `width` columns. */
export function fitCell(s: string, width: number, ellipsis: string, align: Align = 'left', from: 'end' | 'start' = 'end'): string {
  return padToWidth(truncate(singleLine(s), width, ellipsis, from), width, align);
}

/** A duration in the one style every interface uses ("42s", "45 min", "2.5 h"); negative counts as 0. */
export function formatDuration(ms: number): string {
  return formatMs(Math.max(0, ms));
}
