/**
 * Cell-width arithmetic for plain strings: how many terminal columns a string takes, and how to
 * cut or pad it to an exact width.
 *
 * Components build each line to an exact width themselves instead of relying on Ink's wrapping,
 * because the ellipsis must follow the theme (`…` or `...`) and a table row must never wrap onto
 * a second line. Book titles can hold CJK text and emoji, which take two columns, so width is
 * not `string.length`. This is a small approximation of Unicode East Asian Width (wide and
 * fullwidth ranges, emoji; combining marks and controls take none), enough for titles and paths.
 */

import { codePointWidth } from '../src/text/cell-width.js';
import { escapeControl } from '../src/text/escape.js';
import { formatCount as sharedCount, formatMs } from '../src/text/format.js';

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
      const head = fitPrefix(w, width);
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
  let w = 0;
  for (const ch of s) w += codePointWidth(ch.codePointAt(0) ?? 0);
  return w;
}

/** Longest prefix of `s` that fits in `width` columns. */
function fitPrefix(s: string, width: number): string {
  let w = 0;
  let out = '';
  for (const ch of s) {
    const cw = codePointWidth(ch.codePointAt(0) ?? 0);
    if (w + cw > width) break;
    w += cw;
    out += ch;
  }
  return out;
}

/** Longest suffix of `s` that fits in `width` columns. */
function fitSuffix(s: string, width: number): string {
  const chars = [...s];
  let w = 0;
  let i = chars.length;
  while (i > 0) {
    const cw = codePointWidth(chars[i - 1]?.codePointAt(0) ?? 0);
    if (w + cw > width) break;
    w += cw;
    i--;
  }
  return chars.slice(i).join('');
}

/**
 * Cut `s` to at most `width` columns, ending with `ellipsis` when something was cut.
 * `from: 'start'` keeps the end instead (useful for paths: `…/books/pipeline.db`).
 */
export function truncate(s: string, width: number, ellipsis: string, from: 'end' | 'start' = 'end'): string {
  if (width <= 0) return '';
  if (displayWidth(s) <= width) return s;
  const ew = displayWidth(ellipsis);
  if (ew >= width) return fitPrefix(ellipsis, width);
  return from === 'end' ? fitPrefix(s, width - ew) + ellipsis : ellipsis + fitSuffix(s, width - ew);
}

export type Align = 'left' | 'right' | 'center';

/** Truncate (at `from`, as `truncate`) then pad `s` to exactly `width` columns. */
export function fitCell(s: string, width: number, ellipsis: string, align: Align = 'left', from: 'end' | 'start' = 'end'): string {
  const cut = truncate(singleLine(s), width, ellipsis, from);
  const gap = Math.max(0, width - displayWidth(cut));
  if (align === 'right') return ' '.repeat(gap) + cut;
  if (align === 'center') {
    const left = Math.floor(gap / 2);
    return ' '.repeat(left) + cut + ' '.repeat(gap - left);
  }
  return cut + ' '.repeat(gap);
}

/** 1000000 → "1,000,000" (fixed en-US grouping, so output does not depend on the host locale). */
export const formatCount = sharedCount;

/** A duration in the one style every interface uses ("42s", "45 min", "2.5 h"); negative counts as 0. */
export function formatDuration(ms: number): string {
  return formatMs(Math.max(0, ms));
}
