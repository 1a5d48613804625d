import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  chunkBook,
  classifyInputFor,
  createClassifier,
  createEmbedder,
  extractBook,
  fallbackStrategy,
  hashFile,
  selectStrategy,
  validateChunks,
} from '../../src/ingest/index.js';
import { createRng, generateBook, writeLibrary, writeTxt } from '../fixtures/books.js';
import { useTempDir } from './helpers.js';

const dir = useTempDir('pipeline-');

describe('the stages together, as a worker runs them', () => {
  it('takes every book of a mixed library through to validated, embedded chunks', async () => {
    const entries = writeLibrary(join(dir, 'lib'), 20, { seed: 11 });
    expect(new Set(entries.map((e) => e.format)).size).toBe(5);
    expect(new Set(entries.map((e) => e.genre)).size).toBe(8);
    const classifier = createClassifier();
    const embedder = createEmbedder();
    for (const entry of entries) {
      const { hash } = await hashFile(entry.path);
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      const book = await extractBook(entry.path);
      expect(book.title).toBe(entry.title);
      expect(book.author).toBe(entry.author);
      const verdict = await classifier.classify(classifyInputFor(book));
      const strategy = selectStrategy(verdict.bookType, verdict.confidence);
      const chunks = chunkBook(book, strategy);
      const result = validateChunks(book, chunks, strategy);
      expect({ path: entry.path, failures: result.failures }).toEqual({ path: entry.path, failures: [] });
      const vectors = await embedder.embed(chunks.map((c) => c.text));
      expect(vectors).toHaveLength(chunks.length);
    }
  });

  it('re-runs a book that fails its strategy with the fallback, which passes', async () => {
    // A novel with no chapter headings: fiction wants >= 2 chapters.
    const novel = generateBook('fiction', createRng(8), { chapters: 1, wordsPerChapter: 900 });
    const path = writeTxt(dir, novel, { fileName: 'one-chapter-novel.txt' });
    const book = await extractBook(path);
    expect(book.chapters).toHaveLength(1);
    const strategy = selectStrategy('fiction', 0.9);
    const first = validateChunks(book, chunkBook(book, strategy), strategy);
    expect(first.failures).toEqual(["only 1 chapter, strategy 'fiction' wants >= 2"]);
    const fallback = fallbackStrategy(strategy)!;
    const second = validateChunks(book, chunkBook(book, fallback), fallback);
    expect(second.ok).toBe(true);
  });

  it('writes the same library, byte for byte, from the same seed', () => {
    const a = writeLibrary(join(dir, 'a'), 8, { seed: 3 });
    // Written "a day later": timestamps (zip mtimes) must not leak into the bytes.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 86_400_000);
    let b;
    try {
      b = writeLibrary(join(dir, 'b'), 8, { seed: 3 });
    } finally {
      vi.useRealTimers();
    }
    const c = writeLibrary(join(dir, 'c'), 8, { seed: 4 });
    a.forEach((entry, i) => expect(readFileSync(entry.path).equals(readFileSync(b![i]!.path))).toBe(true));
    expect(c.map((e) => e.title)).not.toEqual(a.map((e) => e.title));
  });
});
