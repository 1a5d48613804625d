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

import { displayWidth as measure, padToWidth, truncateToWidth } from '../src/text/cell-width.js';

/** Replace tabs and line breaks by spaces and drop other control characters. */
export function singleLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\t\r\n]+/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
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

/** 1000000 → "1,000,000" (fixed en-US grouping, so output does not depend on the host locale). */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Compact duration: "0s", "42s", "3m05s", "2h04m", "3d02h". Negative values count as 0. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  const d = Math.floor(h / 24);
  return `${d}d${String(h % 24).padStart(2, '0')}h`;
}
