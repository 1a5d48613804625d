import { describe, expect, it } from 'vitest';
import { chunkChapters, getStrategy, validateChunks, type Chapter, type Strategy } from '../../src/ingest/index.js';
import { createRng, generateBook } from '../fixtures/books.js';

const strategy = (over: Partial<Strategy> = {}): Strategy => ({
  ...getStrategy('conservative'),
  chunkWords: 100,
  overlapWords: 20,
  chapterMode: 'per_chapter',
  ...over,
});

/** "w0 w1 w2 …" in paragraphs of `perParagraph` words, so positions are easy to check. */
function numbered(count: number, perParagraph = count, prefix = 'w'): string {
  const words = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  const paras: string[] = [];
  for (let i = 0; i < count; i += perParagraph) paras.push(words.slice(i, i + perParagraph).join(' '));
  return paras.join('\n\n');
}

const chapter = (title: string, text: string, order = 0): Chapter => ({ title, text, order });

describe('chunker', () => {
  it('overlaps consecutive chunks by the strategy overlap and covers every word', () => {
    const chunks = chunkChapters([chapter('One', numbered(1000))], strategy());
    expect(chunks.length).toBeGreaterThan(8);
    for (let i = 1; i < chunks.length; i++) {
      const prev = chunks[i - 1]!.text.split(/\s+/);
      const cur = chunks[i]!.text.split(/\s+/);
      expect(chunks[i]!.overlapWords).toBe(20);
      expect(cur.slice(0, 20)).toEqual(prev.slice(-20));
    }
    const seen = new Set(chunks.flatMap((c) => c.text.split(/\s+/)));
    expect(seen.size).toBe(1000);
    expect(chunks.every((c) => c.wordCount <= 120)).toBe(true);
  });

  it('prefers to end a chunk at a paragraph break', () => {
    // Paragraphs of 70 words: a 100-word window should stop at the 70-word break, not at 100.
    const chunks = chunkChapters([chapter('One', numbered(700, 70))], strategy({ overlapWords: 0 }));
    expect(chunks[0]!.wordCount).toBe(70);
    expect(chunks[0]!.text.endsWith('w69')).toBe(true);
    expect(chunks[1]!.text.startsWith('w70')).toBe(true);
  });

  it('keeps paragraph breaks inside a chunk', () => {
    const chunks = chunkChapters([chapter('One', numbered(60, 20))], strategy());
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.text.split('\n\n')).toHaveLength(3);
  });

  it('never lets a chunk cross chapters in per_chapter mode, and records the chapter', () => {
    const chunks = chunkChapters([chapter('A', numbered(150, 150, 'a')), chapter('B', numbered(150, 150, 'b'), 1)], strategy());
    for (const c of chunks) {
      const prefixes = new Set(c.text.split(/\s+/).map((w) => w[0]));
      expect(prefixes.size).toBe(1);
      expect(c.chapterTitle).toBe(prefixes.has('a') ? 'A' : 'B');
    }
    expect(chunks.map((c) => c.chapterIndex)).toEqual([0, 0, 1, 1]);
    expect(chunks.map((c) => c.index)).toEqual([0, 1, 2, 3]);
  });

  it('folds short chapters into the next in merge_short mode', () => {
    const chapters = [chapter('Tiny', 'just a few words here', 0), chapter('Long', numbered(90), 1)];
    const merged = chunkChapters(chapters, strategy({ chapterMode: 'merge_short', minChapterWords: 20 }));
    expect(merged).toHaveLength(1);
    expect(merged[0]!.text.startsWith('just a few words here\n\nw0')).toBe(true);
    const separate = chunkChapters(chapters, strategy());
    expect(separate).toHaveLength(2);
  });

  it('streams the whole book across chapter boundaries in whole_book mode', () => {
    const chunks = chunkChapters([chapter('A', numbered(60, 60, 'a')), chapter('B', numbered(60, 60, 'b'), 1)], strategy({ chapterMode: 'whole_book' }));
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.text).toContain('a59\n\nb0');
  });

  it('does not leave a scrap: a small remainder joins the last chunk', () => {
    const chunks = chunkChapters([chapter('One', numbered(110))], strategy());
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.wordCount).toBe(110);
  });

  it('is deterministic', () => {
    const book = generateBook('fiction', createRng(3), { chapters: 4, wordsPerChapter: 500 });
    const chapters = book.chapters.map((c, order) => ({ ...c, order }));
    const s = getStrategy('fiction');
    expect(chunkChapters(chapters, s)).toEqual(chunkChapters(structuredClone(chapters), s));
  });
});

describe('validator', () => {
  const book = (chapters: Chapter[]) => ({ chapters, sourceChars: chapters.reduce((n, c) => n + c.text.replace(/\s/g, '').length, 0) });

  it('passes a healthy book and reports its stats', () => {
    const b = book([chapter('A', numbered(400, 50, 'a')), chapter('B', numbered(400, 50, 'b'), 1)]);
    const s = strategy({ validation: { minChapters: 2, minWords: 500, maxDuplicateChunkShare: 0.1, minSourceKeptShare: 0.95 } });
    const result = validateChunks(b, chunkChapters(b.chapters, s), s);
    expect(result).toMatchObject({ ok: true, failures: [] });
    expect(result.stats).toMatchObject({ chapters: 2, words: 800, duplicateChunkShare: 0 });
    expect(result.stats.keptShare).toBeCloseTo(1, 5);
  });

  it('names too few chapters and too few words', () => {
    const b = book([chapter('Only', numbered(120))]);
    const s = strategy({ name: 'fiction', validation: { minChapters: 2, minWords: 500, maxDuplicateChunkShare: 1, minSourceKeptShare: 0 } });
    const result = validateChunks(b, chunkChapters(b.chapters, s), s);
    expect(result.ok).toBe(false);
    expect(result.failures).toEqual(["only 1 chapter, strategy 'fiction' wants >= 2", "only 120 words of text, strategy 'fiction' wants >= 500"]);
  });

  it('flags repeated chunks, like a running header extracted on every page', () => {
    const page = 'Copyright notice repeated on every single page of this scanned volume. '.repeat(10);
    const b = book(Array.from({ length: 6 }, (_, i) => chapter(`Page ${i + 1}`, page, i)));
    const s = strategy({ validation: { minChapters: 1, minWords: 1, maxDuplicateChunkShare: 0.1, minSourceKeptShare: 0 } });
    const result = validateChunks(b, chunkChapters(b.chapters, s), s);
    expect(result.ok).toBe(false);
    expect(result.failures).toEqual([expect.stringMatching(/^83% of chunks \(5 of 6\) repeat earlier ones, strategy 'conservative' allows <= 10%$/)]);
  });

  it('flags text lost between extraction and chunks', () => {
    const b = book([chapter('A', numbered(300))]);
    const s = strategy({ validation: { minChapters: 1, minWords: 1, maxDuplicateChunkShare: 1, minSourceKeptShare: 0.9 } });
    const chunks = chunkChapters(b.chapters, s).slice(0, 1);
    const result = validateChunks(b, chunks, s);
    expect(result.failures).toEqual([expect.stringMatching(/^only \d+% of the source text was kept, strategy 'conservative' wants >= 90%$/)]);
    expect(result.stats.keptShare).toBeLessThan(0.5);
  });

  it('does not count overlap as kept text twice', () => {
    const b = book([chapter('A', numbered(1000))]);
    const s = strategy({ overlapWords: 40 });
    const result = validateChunks(b, chunkChapters(b.chapters, s), s);
    expect(result.stats.keptChars).toBe(b.sourceChars);
  });

  it('fails a book that produced no chunks', () => {
    const result = validateChunks({ chapters: [], sourceChars: 0 }, [], getStrategy('whole_book'));
    expect(result.ok).toBe(false);
    expect(result.failures).toContain('no chunks were produced');
  });
});
