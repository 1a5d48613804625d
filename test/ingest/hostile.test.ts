/**
 * Hostile documents straight through the extractors, hashing and detection: each ends in a
 * PermanentError naming its cause (the book goes to `failed`), without inflating or decoding
 * what it refuses. test/worker/hostile-worker.test.ts runs the same files through a real worker.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/domain/errors.js';
import { extractEpub } from '../../src/ingest/formats/epub.js';
import { extractPdf } from '../../src/ingest/formats/pdf.js';
import { extractTxt } from '../../src/ingest/formats/txt.js';
import { extractHtml } from '../../src/ingest/formats/html.js';
import { hashFile } from '../../src/ingest/hash.js';
import { detectFormat } from '../../src/ingest/detect.js';
import { extractBook } from '../../src/ingest/extract.js';
import { tempDir } from '../helpers/tmp.js';
import {
  buildEpub,
  chapterXhtml,
  flateBombPdf,
  nestedOpfEpub,
  opf,
  put,
  unreferencedBombEpub,
  writeSparseText,
  zipBombEpub,
} from './hostile-files.js';

async function permanent(p: Promise<unknown>): Promise<PermanentError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PermanentError);
  return err as PermanentError;
}

describe('memory-bounded EPUB reading', () => {
  it('refuses a chapter that inflates to 1.2 GiB from ~1 MB, naming the member and the limit', async () => {
    const bytes = zipBombEpub(1200);
    expect(bytes.length).toBeLessThan(4 * 1024 * 1024);
    const err = await permanent(extractEpub(bytes));
    expect(err.message).toBe('epub member OEBPS/ch1.xhtml inflates past 64 MiB (limit)');
    expect(err.code).toBe('zip_member_too_large');
  });

  it('stops inflating at the limit even when the zip directory lies about the size', async () => {
    const err = await permanent(extractEpub(zipBombEpub(1200, 4000)));
    expect(err.message).toBe('epub member OEBPS/ch1.xhtml inflates past 64 MiB (limit)');
  });

  it('refuses a member beyond the compression ratio once it is past the floor', async () => {
    const err = await permanent(extractEpub(zipBombEpub(8)));
    expect(err.message).toMatch(/^epub member OEBPS\/ch1\.xhtml inflates more than 100:1 \(.* compressed; limit\)$/);
    expect(err.code).toBe('zip_ratio');
  });

  it('refuses a book whose members together pass the total', async () => {
    const chapters = ['ch1.xhtml', 'ch2.xhtml', 'ch3.xhtml'];
    const bytes = buildEpub(opf(chapters), chapters.map((c, i) => ({ name: `OEBPS/${c}`, text: chapterXhtml(`Chapter ${i + 1}`, 100) })));
    expect((await extractEpub(bytes)).chapters).toHaveLength(3);
    const err = await permanent(extractEpub(bytes, { limits: { totalInflatedMaxBytes: 20_000 } }));
    expect(err.message).toBe('epub members read inflate past 19.5 KiB in total (limit)');
  });

  it('never reads members the package does not reference (a 1.5 GiB one and a corrupt one beside the book)', async () => {
    const book = await extractEpub(unreferencedBombEpub(1536));
    expect(book.chapters.map((c) => c.title)).toEqual(['Chapter One', 'Chapter Two']);
  });

  it('refuses an OPF nesting 60,000 elements, a few KB of file, without a crash', async () => {
    const bytes = nestedOpfEpub(60_000);
    expect(bytes.length).toBeLessThan(8 * 1024);
    const err = await permanent(extractEpub(bytes));
    expect(err.message).toBe('EPUB package document OEBPS/content.opf nests elements deeper than 256 levels (limit)');
    expect(err.code).toBe('markup_too_deep');
  });

  it('bounds the elements of a chapter and of an HTML file', async () => {
    const bytes = buildEpub(opf(['ch1.xhtml']), [{ name: 'OEBPS/ch1.xhtml', text: chapterXhtml('Chapter One', 2000) }]);
    const err = await permanent(extractEpub(bytes, { limits: { markupMaxNodes: 1000 } }));
    expect(err.message).toBe('EPUB chapter OEBPS/ch1.xhtml has more than 1000 elements (limit)');
    const html = new TextEncoder().encode(`<html><body>${'<div>'.repeat(300)}deep${'</div>'.repeat(300)}</body></html>`);
    expect((await permanent(extractHtml(html))).message).toBe('HTML file nests elements deeper than 256 levels (limit)');
  });
});

describe('large plain files', () => {
  it('refuses a 200 MB text file before decoding it, with its size and the limit', async () => {
    const file = writeSparseText(path.join(tempDir('ap-hostile-'), 'huge.txt'), 200);
    const err = await permanent(extractTxt(file));
    expect(err.message).toBe('file too large (200 MiB, limit 64 MiB)');
    expect(err.code).toBe('file_too_large');
    // Hashing streams it: the size is right and nothing is refused there.
    expect((await hashFile(file)).size).toBe(200 * 1024 * 1024);
  });

  it('uses the configured limit', async () => {
    const file = writeSparseText(path.join(tempDir('ap-hostile-'), 'small.txt'), 1);
    const err = await permanent(extractTxt(file, { limits: { textFileMaxBytes: 512 * 1024 } }));
    expect(err.message).toBe('file too large (1 MiB, limit 512 KiB)');
  });
});

describe('memory-bounded PDF reading', () => {
  it('refuses a content stream that inflates past the limit before pdfjs decodes it', async () => {
    const bytes = flateBombPdf(200);
    expect(bytes.length).toBeLessThan(1024 * 1024);
    const err = await permanent(extractPdf(bytes));
    expect(err.message).toMatch(/^PDF stream at byte \d+ inflates past 128 MiB \(limit\)$/);
    expect(err.code).toBe('pdf_stream_too_large');
  });

  it('still reads the same PDF shape when the stream is within the limits', async () => {
    const book = await extractPdf(flateBombPdf(1));
    expect(book.chapters.map((c) => c.text).join(' ')).toContain('The harbour lights came on one by one.');
  });
});

describe('only regular files are opened', () => {
  it('a FIFO in a book file\'s place fails at once as not a regular file (hash, detect, extract)', async () => {
    const dir = tempDir('ap-hostile-');
    const fifo = path.join(dir, 'book.txt');
    execFileSync('mkfifo', [fifo]);
    // No writer ever opens the pipe: a blocking open or read would hang here forever.
    for (const read of [() => hashFile(fifo), () => detectFormat(fifo), () => extractTxt(fifo), () => extractBook(fifo)]) {
      const err = await permanent(read());
      expect(err.message).toBe(`not a regular file: ${fifo} is a named pipe (FIFO)`);
      expect(err.code).toBe('not_a_file');
    }
  });

  it('a device or a directory fails the same way', async () => {
    expect((await permanent(hashFile('/dev/zero'))).message).toBe('not a regular file: /dev/zero is a character device');
    const dir = tempDir('ap-hostile-');
    fs.mkdirSync(path.join(dir, 'folder.epub'));
    const err = await permanent(detectFormat(path.join(dir, 'folder.epub')));
    expect(err.message).toBe(`not a regular file: ${path.join(dir, 'folder.epub')} is a directory`);
  });

  it('a regular file under a symlink is still read', async () => {
    const dir = tempDir('ap-hostile-');
    const file = put(dir, 'real.txt', new TextEncoder().encode('A Title\n\nSome text that is a book.\n'));
    fs.symlinkSync(file, path.join(dir, 'link.txt'));
    expect((await hashFile(path.join(dir, 'link.txt'))).size).toBe(fs.statSync(file).size);
  });
});
