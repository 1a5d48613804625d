/**
 * Splits chapters into overlapping word windows. A window prefers to end at a paragraph break,
 * then at a sentence end, in its last half; only a wall of text gets cut mid-sentence. Pure and
 * deterministic: the same book and strategy always give the same chunks.
 */
import { countWords } from './text.js';
import type { Chapter, Chunk, Strategy } from './types.js';

interface Stream {
  chapterIndex: number;
  chapterTitle: string;
  words: string[];
  /** Word indices where a paragraph starts (excluding 0). */
  paragraphStarts: Set<number>;
  /** Word index → chapter it belongs to, only needed for `whole_book`. */
  chapterAt?: (wordIndex: number) => number;
}

function toStream(chapters: readonly { index: number; chapter: Chapter }[]): Stream {
  const words: string[] = [];
  const paragraphStarts = new Set<number>();
  const starts: { at: number; index: number }[] = [];
  for (const { index, chapter } of chapters) {
    starts.push({ at: words.length, index });
    for (const para of chapter.text.split(/\n\s*\n/)) {
      const w = para.split(/\s+/).filter((x) => x.length > 0);
      if (w.length === 0) continue;
      if (words.length > 0) paragraphStarts.add(words.length);
      for (const x of w) words.push(x);
    }
  }
  const first = chapters[0];
  return {
    chapterIndex: first?.index ?? 0,
    chapterTitle: first?.chapter.title ?? '',
    words,
    paragraphStarts,
    chapterAt: (i) => {
      let found = starts[0]?.index ?? 0;
      for (const s of starts) if (s.at <= i) found = s.index;
      return found;
    },
  };
}

const SENTENCE_END = /[.!?]["'”’)\]]*$/;

function chunkStream(stream: Stream, strategy: Strategy, chapters: readonly Chapter[], out: Chunk[]): void {
  const { words, paragraphStarts } = stream;
  const size = strategy.chunkWords;
  const overlap = strategy.overlapWords;
  const n = words.length;
  let start = 0;
  let carried = 0;
  while (start < n) {
    let end: number;
    // A remainder under a fifth of a chunk joins this one rather than becoming a scrap.
    if (n - start <= size + Math.floor(size / 5)) end = n;
    else {
      const hard = start + size;
      const earliest = start + Math.ceil(size / 2);
      end = hard;
      let best = -1;
      for (let i = hard; i > earliest; i--) {
        if (paragraphStarts.has(i)) {
          best = i;
          break;
        }
      }
      if (best < 0) {
        for (let i = hard; i > earliest; i--) {
          if (SENTENCE_END.test(words[i - 1] ?? '')) {
            best = i;
            break;
          }
        }
      }
      if (best > 0) end = best;
    }
    const chapterIndex = stream.chapterAt ? stream.chapterAt(start) : stream.chapterIndex;
    out.push({
      index: out.length,
      chapterIndex,
      chapterTitle: chapters[chapterIndex]?.title ?? stream.chapterTitle,
      text: render(words, paragraphStarts, start, end),
      wordCount: end - start,
      overlapWords: carried,
    });
    if (end >= n) break;
    // end - start >= size / 2 > overlap (schema rule), so this always moves forward.
    const next = Math.max(end - overlap, start + 1);
    carried = end - next;
    start = next;
  }
}

function render(words: readonly string[], paragraphStarts: ReadonlySet<number>, start: number, end: number): string {
  let text = '';
  for (let i = start; i < end; i++) {
    if (i > start) text += paragraphStarts.has(i) ? '\n\n' : ' ';
    text += words[i];
  }
  return text;
}

/** Folds chapters below `minWords` into the following one (the last into the previous). */
function mergeShort(chapters: readonly Chapter[], minWords: number): { index: number; chapter: Chapter }[][] {
  const groups: { index: number; chapter: Chapter }[][] = [];
  let pending: { index: number; chapter: Chapter }[] = [];
  let pendingWords = 0;
  chapters.forEach((chapter, index) => {
    pending.push({ index, chapter });
    pendingWords += countWords(chapter.text);
    if (pendingWords >= minWords) {
      groups.push(pending);
      pending = [];
      pendingWords = 0;
    }
  });
  if (pending.length > 0) {
    const last = groups[groups.length - 1];
    if (last) last.push(...pending);
    else groups.push(pending);
  }
  return groups;
}

export function chunkChapters(chapters: readonly Chapter[], strategy: Strategy): Chunk[] {
  const out: Chunk[] = [];
  let groups: { index: number; chapter: Chapter }[][];
  switch (strategy.chapterMode) {
    case 'whole_book':
      groups = [chapters.map((chapter, index) => ({ index, chapter }))];
      break;
    case 'merge_short':
      groups = mergeShort(chapters, strategy.minChapterWords);
      break;
    case 'per_chapter':
      groups = chapters.map((chapter, index) => [{ index, chapter }]);
      break;
  }
  for (const group of groups) chunkStream(toStream(group), strategy, chapters, out);
  return out;
}

export function chunkBook(book: { chapters: readonly Chapter[] }, strategy: Strategy): Chunk[] {
  return chunkChapters(book.chapters, strategy);
}
