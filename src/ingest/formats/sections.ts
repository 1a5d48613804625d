/**
 * Turns a flat list of heading/text blocks (from HTML, XHTML or Markdown) into chapters. The
 * split level is the highest heading level that occurs at least twice, so a single `# Book Title`
 * above several `## Chapter` headings becomes the title, not a one-chapter book.
 */
import type { Chapter, OutlineSource } from '../types.js';
import { FRONT_MATTER_MIN_WORDS, FRONT_MATTER_TITLE, countWords } from '../text.js';
import type { Block } from './markup.js';

export interface Sections {
  chapters: Chapter[];
  outlineSource: OutlineSource;
  /** A lone top-level heading above the chapter headings: the book's own title. */
  headingTitle: string | null;
}

export function splitOnHeadings(blocks: readonly Block[], fallbackTitle: string): Sections {
  const counts = [0, 0, 0, 0, 0, 0, 0];
  for (const b of blocks) if (b.kind === 'heading') counts[b.level] = (counts[b.level] ?? 0) + 1;

  let splitLevel = 0;
  for (const level of [1, 2, 3]) {
    if ((counts[level] ?? 0) >= 2) {
      splitLevel = level;
      break;
    }
  }

  if (splitLevel === 0) {
    const firstHeading = blocks.find((b) => b.kind === 'heading');
    const body = blocks.filter((b) => b !== firstHeading).map((b) => b.text).join('\n\n').trim();
    return {
      chapters: body ? [{ title: firstHeading?.text ?? fallbackTitle, text: body, order: 0 }] : [],
      outlineSource: 'single',
      headingTitle: firstHeading?.text ?? null,
    };
  }

  // Higher headings above the split level (at most one of each, by construction) title the book.
  let headingTitle: string | null = null;
  const chapters: Chapter[] = [];
  let current: { title: string; parts: string[] } = { title: FRONT_MATTER_TITLE, parts: [] };
  let preamble = true;
  const close = () => {
    const text = current.parts.join('\n\n').trim();
    const keep = preamble ? countWords(text) >= FRONT_MATTER_MIN_WORDS : text.length > 0;
    if (keep) chapters.push({ title: current.title, text, order: chapters.length });
  };
  for (const b of blocks) {
    if (b.kind === 'heading' && b.level < splitLevel) {
      headingTitle ??= b.text;
      continue;
    }
    if (b.kind === 'heading' && b.level === splitLevel) {
      close();
      preamble = false;
      current = { title: b.text, parts: [] };
      continue;
    }
    current.parts.push(b.text);
  }
  close();
  return { chapters, outlineSource: 'headings', headingTitle };
}
