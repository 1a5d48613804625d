/**
 * Terminal columns for the one-shot CLI's tables. Paths and titles can hold CJK text and emoji
 * (two columns each) and combining marks (none), so a column's width is not `string.length`.
 *
 * The same approximation of Unicode East Asian Width as components/text.ts (the console's),
 * repeated here because src/ never imports components/ (see docs/ARCHITECTURE.md).
 */

function codePointWidth(cp: number): number {
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0; // control characters
  if (
    (cp >= 0x0300 && cp <= 0x036f) || // combining diacritics
    (cp >= 0x200b && cp <= 0x200f) || // zero-width space/joiners, marks
    (cp >= 0xfe00 && cp <= 0xfe0f) // variation selectors
  ) {
    return 0;
  }
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

const width = (ch: string): number => codePointWidth(ch.codePointAt(0) ?? 0);

/** Terminal columns `s` occupies. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += width(ch);
  return w;
}

/** One line: a file name may hold tabs or line breaks, which would break a table row. */
export function singleLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\t\r\n]+/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
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
