/**
 * How many terminal columns text takes, measured the way Ink measures it: with `string-width`
 * (Unicode East Asian Width through `get-east-asian-width`, RGI emoji and ZWJ sequences as one
 * wide cell pair, combining marks and zero-width characters as none). The CLI's tables
 * (src/cli/width.ts) and the console's components (components/text.ts) both measure here, so a
 * title with CJK text, emoji or combining marks lines up the same in both, and a row the console
 * builds to the terminal's width is exactly the width Ink lays it out at.
 *
 * Text is cut between grapheme clusters (Intl.Segmenter), never inside one: cutting "é" written
 * as e + U+0301, a flag or a family emoji in the middle would leave a different, often wider,
 * glyph. `cli-truncate` is not used for the cut itself: when a wide character straddles the cut
 * it returns one column more than asked ("日本語の本" at 4 columns gives "日本…", 5 columns;
 * measured with cli-truncate 5.2), which would push a table row past the terminal's edge.
 */
import stringWidth from 'string-width';

/** Terminal columns `s` occupies (escape sequences count as none). */
export function displayWidth(s: string): number {
  return stringWidth(s);
}

/** One code point's columns (kept for callers that measure code point by code point). */
export function codePointWidth(cp: number): number {
  return stringWidth(String.fromCodePoint(cp));
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** `s` split into what a terminal draws as one glyph each. */
export function graphemes(s: string): string[] {
  const out: string[] = [];
  for (const g of segmenter.segment(s)) out.push(g.segment);
  return out;
}

/** The longest start of `s` (whole graphemes) that fits in `columns`. */
export function fitStart(s: string, columns: number): string {
  let w = 0;
  let out = '';
  for (const g of graphemes(s)) {
    const gw = stringWidth(g);
    if (w + gw > columns) break;
    w += gw;
    out += g;
  }
  return out;
}

/** The longest end of `s` (whole graphemes) that fits in `columns`. */
export function fitEnd(s: string, columns: number): string {
  const parts = graphemes(s);
  let w = 0;
  let i = parts.length;
  while (i > 0) {
    const gw = stringWidth(parts[i - 1]!);
    if (w + gw > columns) break;
    w += gw;
    i--;
  }
  return parts.slice(i).join('');
}

/**
 * `s` cut to at most `columns`, with `ellipsis` where something was cut: at the end, or with
 * `from: 'start'` at the start (keeping the end, for paths). A cut before a wide character may
 * leave the result one column short; `padToWidth` makes it exact.
 */
export function truncateToWidth(s: string, columns: number, ellipsis: string, from: 'end' | 'start' = 'end'): string {
  if (columns <= 0) return '';
  if (stringWidth(s) <= columns) return s;
  const ew = stringWidth(ellipsis);
  if (ew >= columns) return fitStart(ellipsis, columns);
  return from === 'end' ? fitStart(s, columns - ew) + ellipsis : ellipsis + fitEnd(s, columns - ew);
}

/** `s` padded with spaces to `columns` (nothing added when it is already as wide or wider). */
export function padToWidth(s: string, columns: number, align: 'left' | 'right' | 'center' = 'left'): string {
  const gap = Math.max(0, columns - stringWidth(s));
  if (align === 'right') return ' '.repeat(gap) + s;
  if (align === 'center') {
    const left = Math.floor(gap / 2);
    return ' '.repeat(left) + s + ' '.repeat(gap - left);
  }
  return s + ' '.repeat(gap);
}
