/**
 * The real-document corpus (#17): Debian-packaged manuals, guides, a history and six novels,
 * labelled by hand in test/fixtures/corpus/labels.json. Chapters, titles and types per file, and
 * what the confidence is worth. `.ci/run` installs the packages, so nothing here skips.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { chunkBook, classifyHeuristically, classifyInputFor, extractBook, fallbackStrategy, selectStrategy, validateChunks } from '../../src/ingest/index.js';
import type { Classification, ExtractedBook } from '../../src/ingest/index.js';
import { CORPUS, layOutCorpus, scoreVerdicts, verdictFor } from '../fixtures/corpus/corpus.js';
import { useTempDir } from './helpers.js';

const dir = useTempDir('corpus-');
const books = new Map<string, { book: ExtractedBook; verdict: Classification }>();

beforeAll(async () => {
  const paths = layOutCorpus(join(dir, 'books'));
  for (const label of CORPUS) {
    const book = await extractBook(paths.get(label.file)!);
    books.set(label.file, { book, verdict: classifyHeuristically(classifyInputFor(book)) });
  }
}, 180_000);

describe.each(CORPUS.map((l) => [l.file, l] as const))('%s', (_file, label) => {
  it(`has ${label.chapters} chapters titled from the document`, () => {
    const { book } = books.get(label.file)!;
    const titles = book.chapters.map((c) => c.title);
    expect(titles.length).toBe(label.chapters);
    expect(label.titlesAreFirst ? titles.slice(0, label.titles.length) : titles).toEqual(label.titles);
  });

  it(`is classified ${label.type}${label.alsoRight ? ` (or ${label.alsoRight})` : ''}, with reasons naming signals`, () => {
    const { verdict } = books.get(label.file)!;
    expect([label.type, label.alsoRight].filter(Boolean)).toContain(verdict.bookType);
    expect(verdict.reasons.length).toBeGreaterThanOrEqual(2);
    // A signal is named: a counted cue ("install" ×28), a density, or what the title says.
    expect(verdict.reasons.some((r) => /×\d+|per 1000 words|mentions "|code-like lines/.test(r))).toBe(true);
  });

  it('passes validation with its strategy, or with the fallback the worker would re-run', () => {
    const { book, verdict } = books.get(label.file)!;
    const strategy = selectStrategy(verdict.bookType, verdict.confidence);
    let result = validateChunks(book, chunkBook(book, strategy), strategy);
    const fallback = fallbackStrategy(strategy);
    if (!result.ok && fallback) result = validateChunks(book, chunkBook(book, fallback), fallback);
    expect(result.failures).toEqual([]);
  });
});

describe('confidence on the corpus', () => {
  it('is right on every book it is at least 0.9 sure of, and right overall', () => {
    const score = scoreVerdicts(CORPUS.map((l) => verdictFor(l, books.get(l.file)!.verdict.bookType, books.get(l.file)!.verdict.confidence)));
    const sure = score.calibration[0]!;
    expect(sure.right).toBe(sure.books);
    expect(score.right).toBe(score.books);
  });
});
