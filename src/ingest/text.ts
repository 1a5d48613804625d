/** Text helpers shared by extractors, chunker and validator, so they all count the same way. */

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw signal.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted', 'AbortError');
  }
}

/** Unifies line endings and odd spaces, trims trailing blanks, collapses runs of blank lines. */
export function normalizeText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u00a0\u2000-\u200a\u202f\u205f\u3000]/g, ' ')
    .replace(/[\u200b\ufeff]/g, '')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

export function splitWords(text: string): string[] {
  return text.split(/\s+/).filter((w) => w.length > 0);
}

export function countWords(text: string): number {
  let n = 0;
  for (const _ of text.matchAll(/\S+/g)) n++;
  return n;
}

/** Characters that are not whitespace: the unit of `ExtractedBook.sourceChars`. */
export function nonWhitespaceLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // space, \t, \n, \v, \f, \r, nbsp and the common unicode spaces
    if (c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || (c >= 0x2000 && c <= 0x200b) || c === 0x3000 || c === 0xfeff) continue;
    n++;
  }
  return n;
}

/** File name without directory and extension, for books that declare no title. */
export function titleFromFileName(fileName: string | undefined): string {
  if (!fileName) return 'Untitled';
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const stem = base.replace(/\.[^.]+$/, '');
  const title = stem.replace(/[_-]+/g, ' ').trim();
  return title.length > 0 ? title : 'Untitled';
}

/**
 * Leading text before the first heading is kept as its own chapter only when it has real
 * content; a title page or byline alone would just be a junk chapter.
 */
export const FRONT_MATTER_MIN_WORDS = 30;
export const FRONT_MATTER_TITLE = 'Front matter';
