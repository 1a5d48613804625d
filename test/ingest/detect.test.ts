import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/domain/errors.js';
import { detectFormat } from '../../src/ingest/index.js';
import {
  sampleBook,
  writeDocx,
  writeEmptyFile,
  writeEpub,
  writeEpubWithoutContainer,
  writeHtml,
  writeJpeg,
  writeMarkdown,
  writePdfBook,
  writeTextNamedPdf,
  writeTruncatedEpub,
  writeTxt,
} from '../fixtures/books.js';
import { useTempDir } from './helpers.js';

const dir = useTempDir('detect-');
const book = sampleBook();

describe('detectFormat', () => {
  it('recognises every supported format from a real file', async () => {
    expect(await detectFormat(writeEpub(dir, book))).toBe('epub');
    expect(await detectFormat(writePdfBook(dir, book))).toBe('pdf');
    expect(await detectFormat(writeMarkdown(dir, book))).toBe('markdown');
    expect(await detectFormat(writeHtml(dir, book))).toBe('html');
    expect(await detectFormat(writeTxt(dir, book))).toBe('txt');
  });

  it('trusts magic bytes over a misleading extension', async () => {
    const epubAsZip = writeEpub(dir, book, { fileName: 'download.bin' });
    expect(await detectFormat(epubAsZip)).toBe('epub');
    const pdf = writePdfBook(dir, book, { fileName: 'scan.txt' });
    expect(await detectFormat(pdf)).toBe('pdf');
  });

  it('accepts the .markdown, .htm and .xhtml extensions and sniffs HTML without one', async () => {
    writeFileSync(join(dir, 'notes.markdown'), '# Notes\n\ntext\n');
    writeFileSync(join(dir, 'page.htm'), '<p>hi</p>');
    writeFileSync(join(dir, 'page.xhtml'), '<html><body><p>hi</p></body></html>');
    writeFileSync(join(dir, 'README'), '<!DOCTYPE html><html><body><p>hi</p></body></html>');
    expect(await detectFormat(join(dir, 'notes.markdown'))).toBe('markdown');
    expect(await detectFormat(join(dir, 'page.htm'))).toBe('html');
    expect(await detectFormat(join(dir, 'page.xhtml'))).toBe('html');
    expect(await detectFormat(join(dir, 'README'))).toBe('html');
  });

  it('still opens a truncated or container-less EPUB as epub, so the extractor can name the damage', async () => {
    expect(await detectFormat(writeTruncatedEpub(dir))).toBe('epub');
    expect(await detectFormat(writeEpubWithoutContainer(dir))).toBe('epub');
  });

  const broken: [string, () => string, RegExp][] = [
    ['a zero-byte file', () => writeEmptyFile(dir), /file is empty \(0 bytes\)/],
    ['text named .pdf', () => writeTextNamedPdf(dir), /file named \.pdf is not a PDF \(no %PDF header\)/],
    ['a .docx', () => writeDocx(dir), /unsupported format: report\.docx is a Word document/],
    ['a JPEG', () => writeJpeg(dir), /unsupported format: cover\.jpg is a JPEG image/],
    ['text named .epub', () => writeTxt(dir, book, { fileName: 'fake.epub' }), /file named \.epub is not an EPUB \(not a zip archive\)/],
    ['an unknown text extension', () => writeTxt(dir, book, { fileName: 'notes.rtfd' }), /unsupported file type \.rtfd/],
  ];
  for (const [what, make, message] of broken) {
    it(`rejects ${what} with a PermanentError naming the cause`, async () => {
      const err = await detectFormat(make()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PermanentError);
      expect((err as Error).message).toMatch(message);
    });
  }

  it('rejects binary content named .txt', async () => {
    const path = join(dir, 'binary.txt');
    writeFileSync(path, new Uint8Array([0x00, 0x01, 0x02, 0x03, 0x41, 0x00]));
    await expect(detectFormat(path)).rejects.toThrow(/file named \.txt is not text \(binary data\)/);
  });

  it('reports a missing file as permanent', async () => {
    await expect(detectFormat(join(dir, 'nope.epub'))).rejects.toThrow(PermanentError);
  });
});
