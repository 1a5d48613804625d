import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/domain/errors.js';
import {
  extractBook,
  extractEpub,
  extractHtml,
  extractMarkdown,
  extractPdf,
  extractTxt,
  type ExtractedBook,
} from '../../src/ingest/index.js';
import {
  buildPdf,
  sampleBook,
  txtHeading,
  writeEmptyFile,
  writeEpub,
  writeEpubWithoutContainer,
  writeHtml,
  writeMarkdown,
  writePdf,
  writePdfBook,
  writeTextNamedPdf,
  writeTruncatedEpub,
  writeTxt,
  type FixtureBook,
} from '../fixtures/books.js';
import { useTempDir } from './helpers.js';

const dir = useTempDir('extract-');
const book: FixtureBook = sampleBook(11, 'fiction', 3);
const titles = book.chapters.map((c) => c.title);

/** A distinctive phrase from the middle of each chapter must survive extraction. */
function expectChapterText(extracted: ExtractedBook, source: FixtureBook) {
  source.chapters.forEach((c, i) => {
    const words = c.text.split(/\s+/);
    const phrase = words.slice(20, 28).join(' ');
    expect(extracted.chapters[i]?.text.replace(/\s+/g, ' ')).toContain(phrase);
  });
  expect(extracted.chapters.map((c) => c.order)).toEqual(source.chapters.map((_, i) => i));
  expect(extracted.sourceChars).toBeGreaterThan(source.chapters.reduce((n, c) => n + c.text.replace(/\s/g, '').length, 0) * 0.95);
}

describe('EPUB extractor', () => {
  it('reads title, author, language and nav chapter titles in spine order, skipping the image-only cover', async () => {
    const b = await extractEpub(writeEpub(dir, book));
    expect(b.format).toBe('epub');
    expect(b.title).toBe(book.title);
    expect(b.author).toBe(book.author);
    expect(b.language).toBe('en');
    expect(b.metadata['publisher']).toBe('Fixture Press');
    expect(b.outlineSource).toBe('nav');
    expect(b.chapters.map((c) => c.title)).toEqual(titles);
    expectChapterText(b, book);
  });

  it('uses the NCX table of contents of an EPUB 2 package', async () => {
    const b = await extractEpub(writeEpub(dir, book, { ncx: true, fileName: 'ncx.epub' }));
    expect(b.outlineSource).toBe('ncx');
    expect(b.chapters.map((c) => c.title)).toEqual(titles);
  });

  it('keeps code listings from <pre> with their line breaks', async () => {
    const tutorial = sampleBook(3, 'technical_tutorial', 2);
    const b = await extractEpub(writeEpub(dir, tutorial, { fileName: 'tutorial.epub' }));
    const all = b.chapters.map((c) => c.text).join('\n');
    expect(all).toMatch(/\n {2}return result;\n\}/);
  });

  it('accepts the bytes of the file as well as its path', async () => {
    const path = writeEpub(dir, book, { fileName: 'bytes.epub' });
    const { readFileSync } = await import('node:fs');
    const b = await extractEpub(new Uint8Array(readFileSync(path)), { fileName: 'bytes.epub' });
    expect(b.chapters.map((c) => c.title)).toEqual(titles);
  });

  it('names a truncated zip as the cause', async () => {
    const err = await extractEpub(writeTruncatedEpub(dir)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toMatch(/^EPUB is not a valid zip archive \(truncated\?\)/);
  });

  it('names a missing container.xml as the cause', async () => {
    const err = await extractEpub(writeEpubWithoutContainer(dir)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toMatch(/no META-INF\/container\.xml/);
  });

  it('rejects a zero-byte file as empty', async () => {
    await expect(extractEpub(writeEmptyFile(dir, 'zero.epub'))).rejects.toThrow(/file is empty \(0 bytes\)/);
  });
});

describe('PDF extractor', () => {
  it('reads Info title/author and splits chapters at outline destinations', async () => {
    const path = writePdfBook(dir, book);
    const b = await extractPdf(path);
    expect(b.format).toBe('pdf');
    expect(b.title).toBe(book.title);
    expect(b.author).toBe(book.author);
    expect(b.outlineSource).toBe('outline');
    expect(b.chapters.map((c) => c.title)).toEqual(titles);
    expectChapterText(b, book);
    expect(Number(b.metadata['pages'])).toBeGreaterThanOrEqual(3);
  });

  it('extracts text from every page, including bookmarks that span several pages', async () => {
    const path = writePdf(dir, {
      title: 'Pages',
      author: 'P. Writer',
      pages: ['Opening words on page one.', 'Middle words on page two.', 'Closing words on page three.'],
      outline: [
        { title: 'Part A', page: 0 },
        { title: 'Part B', page: 2 },
      ],
    }, 'pages.pdf');
    const b = await extractPdf(path);
    expect(b.chapters.map((c) => c.title)).toEqual(['Part A', 'Part B']);
    expect(b.chapters[0]?.text).toContain('Opening words on page one.');
    expect(b.chapters[0]?.text).toContain('Middle words on page two.');
    expect(b.chapters[1]?.text).toBe('Closing words on page three.');
  });

  it('falls back to "Chapter N" heading lines when there is no outline', async () => {
    const pages = book.chapters.map((c, i) => `Chapter ${i + 1}\n\n${c.text.split(/\n\n/)[0]}`);
    const b = await extractPdf(writePdf(dir, { title: 'No Outline', author: 'A', pages }, 'no-outline.pdf'));
    expect(b.outlineSource).toBe('patterns');
    expect(b.chapters.map((c) => c.title)).toEqual(['Chapter 1', 'Chapter 2', 'Chapter 3']);
  });

  it('groups pages into chapters when there is neither outline nor headings', async () => {
    const pages = Array.from({ length: 12 }, (_, i) => `Plain page number ${i + 1} with some words.`);
    const b = await extractPdf(writePdf(dir, { title: 'Plain', author: 'A', pages }, 'plain.pdf'));
    expect(b.outlineSource).toBe('pages');
    expect(b.chapters.map((c) => c.title)).toEqual(['Pages 1-10', 'Pages 11-12']);
    expect(b.chapters[1]?.text).toContain('Plain page number 12 with some words.');
  });

  it('keeps the Euro sign and parentheses written in WinAnsi strings', async () => {
    const b = await extractPdf(writePdf(dir, { title: 'Prices (2024)', author: 'A', pages: ['Doubles from €80 (breakfast included).'] }, 'euro.pdf'));
    expect(b.title).toBe('Prices (2024)');
    expect(b.chapters[0]?.text).toBe('Doubles from €80 (breakfast included).');
  });

  it('rejects a PDF with no text on any page', async () => {
    const err = await extractPdf(writePdf(dir, { title: 'Blank', author: 'A', pages: ['', ''] }, 'blank.pdf')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toMatch(/PDF has no extractable text in 2 page\(s\)/);
  });

  it('rejects a PDF that pdfjs cannot parse', async () => {
    const bytes = buildPdf({ title: 'T', author: 'A', pages: ['text'] });
    const path = join(dir, 'garbled.pdf');
    writeFileSync(path, Buffer.concat([Buffer.from(bytes.subarray(0, 9)), Buffer.from('garbage '.repeat(40))]));
    const err = await extractPdf(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toMatch(/^PDF could not be parsed/);
  });

  it('rejects a text file named .pdf', async () => {
    await expect(extractPdf(writeTextNamedPdf(dir))).rejects.toThrow(/not a PDF \(no %PDF header\)/);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(extractPdf(writePdfBook(dir, book, { fileName: 'abort.pdf' }), { signal: controller.signal })).rejects.toThrow(/abort/i);
  });
});

describe('Markdown extractor', () => {
  it('reads front matter and splits on ## chapters under a single # title', async () => {
    const b = await extractMarkdown(writeMarkdown(dir, book));
    expect(b.title).toBe(book.title);
    expect(b.author).toBe(book.author);
    expect(b.language).toBe('en');
    expect(b.outlineSource).toBe('headings');
    expect(b.chapters.map((c) => c.title)).toEqual(titles);
    expectChapterText(b, book);
  });

  it('understands setext headings and takes the title from them without front matter', async () => {
    const b = await extractMarkdown(writeMarkdown(dir, book, { frontMatter: false, fileName: 'setext.md' }));
    expect(b.title).toBe(book.title);
    expect(b.author).toBeNull();
    expect(b.chapters.map((c) => c.title)).toEqual(titles);
  });

  it('does not treat # lines inside code fences as headings', async () => {
    const md = '# One\n\nText one.\n\n```sh\n# not a heading\nnpm install\n```\n\n# Two\n\nText two.\n';
    const path = join(dir, 'fence.md');
    writeFileSync(path, md);
    const b = await extractMarkdown(path);
    expect(b.chapters.map((c) => c.title)).toEqual(['One', 'Two']);
    expect(b.chapters[0]?.text).toContain('# not a heading');
  });

  it('rejects a file with only whitespace', async () => {
    const path = join(dir, 'blank.md');
    writeFileSync(path, '\n\n   \n');
    await expect(extractMarkdown(path)).rejects.toThrow(/no extractable text/);
  });
});

describe('HTML extractor', () => {
  it('reads <title>, meta author, lang and h2 chapters, ignoring scripts and navigation', async () => {
    const b = await extractHtml(writeHtml(dir, book));
    expect(b.title).toBe(book.title);
    expect(b.author).toBe(book.author);
    expect(b.language).toBe('en');
    expect(b.chapters.map((c) => c.title)).toEqual(titles);
    const all = b.chapters.map((c) => c.text).join(' ');
    expect(all).not.toContain('analytics');
    expect(all).not.toContain('Home');
    expectChapterText(b, book);
  });

  it('splits on h1 when there are several, decoding entities', async () => {
    const path = join(dir, 'h1.html');
    writeFileSync(path, '<html><body><h1>Fish &amp; Chips</h1><p>First&nbsp;part.</p><h1>Second</h1><p>More.</p></body></html>');
    const b = await extractHtml(path);
    expect(b.title).toBe('h1');
    expect(b.chapters).toEqual([
      { title: 'Fish & Chips', text: 'First part.', order: 0 },
      { title: 'Second', text: 'More.', order: 1 },
    ]);
  });
});

describe('plain text extractor', () => {
  const styles = ['chapter', 'upper-chapter', 'roman', 'numbered'] as const;
  for (const style of styles) {
    it(`finds "${txtHeading(style, 0, 'Title').extractedTitle}"-style chapters and the title page`, async () => {
      const b = await extractTxt(writeTxt(dir, book, { headingStyle: style, fileName: `${style}.txt` }));
      expect(b.title).toBe(book.title);
      expect(b.author).toBe(book.author);
      expect(b.outlineSource).toBe('patterns');
      expect(b.chapters.map((c) => c.title)).toEqual(book.chapters.map((c, i) => txtHeading(style, i, c.title).extractedTitle));
      expectChapterText(b, book);
    });
  }

  it('finds "Part One" headings', async () => {
    const path = join(dir, 'parts.txt');
    writeFileSync(path, 'Part One\n\nThe first part is here.\n\nPart Two\n\nThe second part is here.\n');
    const b = await extractTxt(path);
    expect(b.chapters.map((c) => c.title)).toEqual(['Part One', 'Part Two']);
  });

  it('keeps unstructured text as one chapter titled from the file', async () => {
    const path = join(dir, 'loose-notes.txt');
    writeFileSync(path, 'these notes have no title line.\n\n1. Preheat the oven.\n\nThen wait for it.\n');
    const b = await extractTxt(path);
    expect(b.outlineSource).toBe('single');
    expect(b.title).toBe('loose notes');
    expect(b.chapters).toHaveLength(1);
    expect(b.chapters[0]?.text).toContain('Preheat the oven.');
  });

  it('rejects a file with only whitespace', async () => {
    const path = join(dir, 'spaces.txt');
    writeFileSync(path, '   \n\t\n');
    await expect(extractTxt(path)).rejects.toThrow(PermanentError);
  });
});

describe('extractBook', () => {
  it('detects and extracts each format through one call', async () => {
    const paths = [writeEpub(dir, book, { fileName: 'x.epub' }), writePdfBook(dir, book, { fileName: 'x.pdf' }), writeMarkdown(dir, book, { fileName: 'x.md' }), writeHtml(dir, book, { fileName: 'x.html' }), writeTxt(dir, book, { fileName: 'x.txt' })];
    const formats = [];
    for (const p of paths) {
      const b = await extractBook(p);
      formats.push(b.format);
      expect(b.chapters).toHaveLength(3);
    }
    expect(formats).toEqual(['epub', 'pdf', 'markdown', 'html', 'txt']);
  });

  it('fails a zero-byte file before any extractor runs', async () => {
    await expect(extractBook(writeEmptyFile(dir, 'zero.txt'))).rejects.toThrow(/file is empty \(0 bytes\)/);
  });
});
