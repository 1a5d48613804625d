/**
 * PDF text through poppler when installed, pdfjs otherwise (#17): the same chapters and the same
 * words (within 2% of `pdftotext`'s count) on real PDFs either way, and a machine without poppler
 * still reads PDFs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { extractPdf } from '../../src/ingest/formats/pdf.js';
import { countWords } from '../../src/ingest/text.js';
import { layOutCorpus } from '../fixtures/corpus/corpus.js';
import { useTempDir } from './helpers.js';

const dir = useTempDir('pdf-engines-');
let paths: Map<string, string>;
beforeAll(() => {
  paths = layOutCorpus(join(dir, 'books'));
});

const words = (book: { chapters: { text: string }[] }) => book.chapters.reduce((n, c) => n + countWords(c.text), 0);
const pdftotextWords = (file: string) => countWords(execFileSync('pdftotext', ['-q', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8', maxBuffer: 64 << 20 }));

describe.each(['maint-guide.pdf', 'gnu-maintainers.pdf', 'debian-history.pdf'])('%s', (file) => {
  it('gives the same chapters from poppler and from the pdfjs fallback, with pdftotext\'s words (±2%)', async () => {
    const path = paths.get(file)!;
    const [poppler, pdfjs] = [await extractPdf(path), await extractPdf(path, { pdfEngine: 'pdfjs' })];
    expect(poppler.chapters.map((c) => c.title)).toEqual(pdfjs.chapters.map((c) => c.title));
    expect(poppler.title).toBe(pdfjs.title);
    const reference = pdftotextWords(path);
    for (const book of [poppler, pdfjs]) expect(Math.abs(words(book) - reference) / reference).toBeLessThan(0.02);
  }, 60_000);
});

describe('without poppler installed', () => {
  const savedPath = process.env['PATH'];
  afterEach(() => {
    process.env['PATH'] = savedPath;
  });

  it('still reads a PDF, through pdfjs', async () => {
    const empty = join(dir, 'no-tools');
    mkdirSync(empty, { recursive: true });
    const path = paths.get('debian-history.pdf')!;
    const withPoppler = await extractPdf(path);
    process.env['PATH'] = empty; // pdfinfo/pdftohtml are not found: the fallback runs
    const without = await extractPdf(path);
    expect(without.chapters.map((c) => c.title)).toEqual(withPoppler.chapters.map((c) => c.title));
    expect(without.chapters.length).toBeGreaterThan(1);
  }, 60_000);
});
