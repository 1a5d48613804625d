/**
 * Shipped in src/ (not test/) because the demo writes real books on a user's machine; test/fixtures re-exports it.
 * Builders that write real book files (and realistically broken ones) into a directory at test
 * time, so no binary fixture is ever committed and every format path runs on genuine bytes.
 */
import { strToU8, zipSync, type Zippable } from 'fflate';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BookFormat } from '../ingest/types.js';
import { GENRES, createRng, generateBook, pick, type FixtureBook, type FixtureChapter, type Genre } from './genres.js';

export { GENRES, createRng, generateBook, type FixtureBook, type FixtureChapter, type Genre } from './genres.js';

/** Fixed zip timestamps: the same book must give the same bytes (and hash) on every run. */
const ZIP_OPTIONS = { mtime: new Date('2024-01-01T00:00:00Z') };

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 48) || 'book';
}

function put(dir: string, fileName: string, data: string | Uint8Array): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, fileName);
  writeFileSync(path, data);
  return path;
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function paragraphs(text: string): string[] {
  return text.split(/\n\s*\n/).map((p) => p.trim()).filter((p) => p.length > 0);
}

const isCode = (p: string) => p.startsWith('```');
const codeBody = (p: string) => p.replace(/^```[^\n]*\n?/, '').replace(/\n?```$/, '');

function htmlBody(chapter: FixtureChapter, headingTag: string): string {
  const body = paragraphs(chapter.text)
    .map((p) => (isCode(p) ? `<pre><code>${xmlEscape(codeBody(p))}</code></pre>` : `<p>${xmlEscape(p)}</p>`))
    .join('\n');
  return `<${headingTag}>${xmlEscape(chapter.title)}</${headingTag}>\n${body}`;
}

// ---------------------------------------------------------------------------------------------
// EPUB

export interface EpubOptions {
  fileName?: string;
  /** Write an EPUB 2 NCX table of contents instead of an EPUB 3 nav document. */
  ncx?: boolean;
  /** Leave META-INF/container.xml out (a broken package). */
  omitContainer?: boolean;
}

function epubEntries(book: FixtureBook, options: EpubOptions): Zippable {
  const files: Zippable = {};
  // OCF: `mimetype` first and stored, so the file's first bytes identify it as an EPUB.
  files['mimetype'] = [strToU8('application/epub+zip'), { level: 0 }];
  if (!options.omitContainer) {
    files['META-INF/container.xml'] = strToU8(
      `<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>`,
    );
  }
  const items = book.chapters.map((_, i) => ({ id: `ch${i + 1}`, href: `text/chapter${i + 1}.xhtml` }));
  const tocItem = options.ncx
    ? '<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>'
    : '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>';
  files['OEBPS/content.opf'] = strToU8(
    `<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="${options.ncx ? '2.0' : '3.0'}" unique-identifier="bookid">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="bookid">urn:uuid:fixture-${slug(book.title)}</dc:identifier>
    <dc:title>${xmlEscape(book.title)}</dc:title>
    <dc:creator>${xmlEscape(book.author)}</dc:creator>
    <dc:language>${book.language ?? 'en'}</dc:language>
    <dc:publisher>Fixture Press</dc:publisher>
    <meta property="dcterms:modified">2024-01-01T00:00:00Z</meta>
  </metadata>
  <manifest>
    ${tocItem}
    <item id="cover" href="text/cover.xhtml" media-type="application/xhtml+xml"/>
    ${items.map((it) => `<item id="${it.id}" href="${it.href}" media-type="application/xhtml+xml"/>`).join('\n    ')}
  </manifest>
  <spine${options.ncx ? ' toc="ncx"' : ''}>
    <itemref idref="cover"/>
    ${items.map((it) => `<itemref idref="${it.id}"/>`).join('\n    ')}
  </spine>
</package>`,
  );
  // A cover page with an image and no text, as real EPUBs have; it must not become a chapter.
  files['OEBPS/text/cover.xhtml'] = strToU8(
    `<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Cover</title></head><body><div><img src="../cover.jpg" alt=""/></div></body></html>`,
  );
  if (options.ncx) {
    files['OEBPS/toc.ncx'] = strToU8(
      `<?xml version="1.0" encoding="UTF-8"?>
<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1">
  <head><meta name="dtb:uid" content="fixture"/></head>
  <docTitle><text>${xmlEscape(book.title)}</text></docTitle>
  <navMap>
    ${book.chapters.map((c, i) => `<navPoint id="np${i + 1}" playOrder="${i + 1}"><navLabel><text>${xmlEscape(c.title)}</text></navLabel><content src="${items[i]!.href}"/></navPoint>`).join('\n    ')}
  </navMap>
</ncx>`,
    );
  } else {
    files['OEBPS/nav.xhtml'] = strToU8(
      `<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">
<head><title>Contents</title></head>
<body><nav epub:type="toc"><h1>Contents</h1><ol>
  ${book.chapters.map((c, i) => `<li><a href="${items[i]!.href}">${xmlEscape(c.title)}</a></li>`).join('\n  ')}
</ol></nav></body></html>`,
    );
  }
  book.chapters.forEach((c, i) => {
    files[`OEBPS/${items[i]!.href}`] = strToU8(
      `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="${book.language ?? 'en'}">
<head><title>${xmlEscape(c.title)}</title><style>p { margin: 0 }</style></head>
<body><section>
${htmlBody(c, 'h2')}
</section></body></html>`,
    );
  });
  return files;
}

export function writeEpub(dir: string, book: FixtureBook, options: EpubOptions = {}): string {
  return put(dir, options.fileName ?? `${slug(book.title)}.epub`, zipSync(epubEntries(book, options), ZIP_OPTIONS));
}

// ---------------------------------------------------------------------------------------------
// PDF

export interface PdfBook {
  title: string;
  author: string;
  /** Text of each page; lines are kept, blank lines become paragraph gaps. */
  pages: string[];
  /** Bookmarks: title and 0-based page index. */
  outline?: { title: string; page: number }[];
}

/** WinAnsiEncoding bytes for the few non-Latin-1 characters generated texts use. */
const WIN_ANSI: Record<string, string> = { '€': '\x80', '‘': '\x91', '’': '\x92', '“': '\x93', '”': '\x94', '–': '\x96', '—': '\x97' };

function pdfString(s: string): string {
  const mapped = [...s].map((ch) => WIN_ANSI[ch] ?? (ch.charCodeAt(0) <= 0xff ? ch : '?')).join('');
  return `(${mapped.replace(/\\/g, '\\\\').replace(/\(/g, '\\(').replace(/\)/g, '\\)')})`;
}

/** A hand-built PDF 1.4: Helvetica text, Info dictionary, optional /Outlines, exact xref offsets. */
export function buildPdf(book: PdfBook): Uint8Array {
  const objects: (string | null)[] = [];
  const reserve = () => objects.push(null);
  const set = (id: number, body: string) => {
    objects[id - 1] = body;
  };
  const catalogId = reserve();
  const pagesId = reserve();
  const fontId = reserve();
  set(fontId, '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const pageIds: number[] = [];
  for (const text of book.pages) {
    const lines = text.split('\n');
    const ops = lines.map((l) => (l.trim() ? `${pdfString(l)} Tj T*` : 'T*')).join('\n');
    const content = `BT\n/F1 11 Tf\n14 TL\n72 740 Td\n${ops}\nET`;
    const contentId = reserve();
    set(contentId, `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`);
    const pageId = reserve();
    set(pageId, `<< /Type /Page /Parent ${pagesId} 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 ${fontId} 0 R >> >> /Contents ${contentId} 0 R >>`);
    pageIds.push(pageId);
  }
  set(pagesId, `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pageIds.length} >>`);
  let outlines = '';
  if (book.outline && book.outline.length > 0) {
    const rootId = reserve();
    const ids = book.outline.map(() => reserve());
    book.outline.forEach((o, i) => {
      const page = pageIds[o.page];
      if (page === undefined) throw new Error(`outline entry '${o.title}' points at missing page ${o.page}`);
      const prev = i > 0 ? ` /Prev ${ids[i - 1]} 0 R` : '';
      const next = i < ids.length - 1 ? ` /Next ${ids[i + 1]} 0 R` : '';
      set(ids[i]!, `<< /Title ${pdfString(o.title)} /Parent ${rootId} 0 R /Dest [${page} 0 R /XYZ 0 792 0]${prev}${next} >>`);
    });
    set(rootId, `<< /Type /Outlines /First ${ids[0]} 0 R /Last ${ids[ids.length - 1]} 0 R /Count ${ids.length} >>`);
    outlines = ` /Outlines ${rootId} 0 R /PageMode /UseOutlines`;
  }
  set(catalogId, `<< /Type /Catalog /Pages ${pagesId} 0 R${outlines} >>`);
  const infoId = reserve();
  set(infoId, `<< /Title ${pdfString(book.title)} /Author ${pdfString(book.author)} /Producer (agentic-pipeline fixtures) >>`);

  let out = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  out += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  out += `trailer\n<< /Size ${objects.length + 1} /Root ${catalogId} 0 R /Info ${infoId} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(out, 'latin1'));
}

export function writePdf(dir: string, book: PdfBook, fileName = `${slug(book.title)}.pdf`): string {
  return put(dir, fileName, buildPdf(book));
}

function wrap(text: string, width = 90): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

const LINES_PER_PAGE = 46;

/** Lays chapters out on pages (each chapter starts a page) with one bookmark per chapter. */
export function pdfPagesFor(book: FixtureBook, withOutline = true): PdfBook {
  const pages: string[] = [];
  const outline: { title: string; page: number }[] = [];
  for (const chapter of book.chapters) {
    outline.push({ title: chapter.title, page: pages.length });
    const lines: string[] = [chapter.title, ''];
    for (const p of paragraphs(chapter.text)) {
      if (isCode(p)) lines.push(...codeBody(p).split('\n'));
      else lines.push(...wrap(p));
      lines.push('');
    }
    for (let i = 0; i < lines.length; i += LINES_PER_PAGE) pages.push(lines.slice(i, i + LINES_PER_PAGE).join('\n'));
  }
  return { title: book.title, author: book.author, pages, ...(withOutline ? { outline } : {}) };
}

export function writePdfBook(dir: string, book: FixtureBook, options: { outline?: boolean; fileName?: string } = {}): string {
  return writePdf(dir, pdfPagesFor(book, options.outline ?? true), options.fileName ?? `${slug(book.title)}.pdf`);
}

// ---------------------------------------------------------------------------------------------
// Text formats

export type TxtHeadingStyle = 'chapter' | 'roman' | 'numbered' | 'upper-chapter';

const ROMAN = ['I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X', 'XI', 'XII', 'XIII', 'XIV', 'XV', 'XVI', 'XVII', 'XVIII', 'XIX', 'XX'];

/** The heading line(s) `writeTxt` writes for chapter i, as the extractor should report them. */
export function txtHeading(style: TxtHeadingStyle, i: number, title: string): { lines: string; extractedTitle: string } {
  switch (style) {
    case 'chapter':
      return { lines: `Chapter ${i + 1}: ${title}`, extractedTitle: `Chapter ${i + 1}: ${title}` };
    case 'upper-chapter':
      return { lines: `CHAPTER ${ROMAN[i]}\n\n${title}`, extractedTitle: `CHAPTER ${ROMAN[i]}: ${title}` };
    case 'roman':
      return { lines: `${ROMAN[i]}. ${title}`, extractedTitle: `${ROMAN[i]}. ${title}` };
    case 'numbered':
      return { lines: `${i + 1}. ${title}`, extractedTitle: `${i + 1}. ${title}` };
  }
}

export function writeTxt(dir: string, book: FixtureBook, options: { headingStyle?: TxtHeadingStyle; fileName?: string } = {}): string {
  const style = options.headingStyle ?? 'chapter';
  const parts = [book.title, `by ${book.author}`];
  book.chapters.forEach((c, i) => {
    parts.push(txtHeading(style, i, c.title).lines);
    parts.push(paragraphs(c.text).map((p) => (isCode(p) ? codeBody(p).split('\n').map((l) => `    ${l}`).join('\n') : p)).join('\n\n'));
  });
  return put(dir, options.fileName ?? `${slug(book.title)}.txt`, `${parts.join('\n\n\n')}\n`);
}

export function writeMarkdown(dir: string, book: FixtureBook, options: { frontMatter?: boolean; fileName?: string } = {}): string {
  const frontMatter = options.frontMatter ?? true;
  const head = frontMatter
    ? `---\ntitle: "${book.title}"\nauthor: ${book.author}\nlanguage: ${book.language ?? 'en'}\n---\n\n# ${book.title}\n\n`
    : `${book.title}\n${'='.repeat(book.title.length)}\n\n`;
  const body = book.chapters.map((c) => `## ${c.title}\n\n${paragraphs(c.text).join('\n\n')}\n`).join('\n');
  return put(dir, options.fileName ?? `${slug(book.title)}.md`, head + body);
}

export function writeHtml(dir: string, book: FixtureBook, options: { fileName?: string } = {}): string {
  const html = `<!DOCTYPE html>
<html lang="${book.language ?? 'en'}">
<head>
<meta charset="utf-8">
<title>${xmlEscape(book.title)}</title>
<meta name="author" content="${xmlEscape(book.author)}">
<script>window.analytics = { track() {} };</script>
</head>
<body>
<nav><a href="#">Home</a> | <a href="#">Contents</a></nav>
<h1>${xmlEscape(book.title)}</h1>
${book.chapters.map((c) => `<article>\n${htmlBody(c, 'h2')}\n</article>`).join('\n')}
</body>
</html>
`;
  return put(dir, options.fileName ?? `${slug(book.title)}.html`, html);
}

// ---------------------------------------------------------------------------------------------
// Broken files

/** A valid EPUB cut in half: starts like an EPUB, but the zip central directory is gone. */
export function writeTruncatedEpub(dir: string, fileName = 'truncated.epub'): string {
  const full = zipSync(epubEntries(sampleBook(), {}), ZIP_OPTIONS);
  return put(dir, fileName, full.subarray(0, Math.floor(full.length / 2)));
}

export function writeEmptyFile(dir: string, fileName = 'empty.epub'): string {
  return put(dir, fileName, new Uint8Array(0));
}

export function writeTextNamedPdf(dir: string, fileName = 'not-really.pdf'): string {
  return put(dir, fileName, 'This is plain text that someone saved with a .pdf extension.\n');
}

/** The shape of an Office Open XML document: a zip, but not an EPUB. */
export function writeDocx(dir: string, fileName = 'report.docx'): string {
  const files: Zippable = {
    '[Content_Types].xml': strToU8('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'),
    'word/document.xml': strToU8('<?xml version="1.0"?><w:document xmlns:w="urn:w"><w:body><w:p><w:r><w:t>Hello</w:t></w:r></w:p></w:body></w:document>'),
  };
  return put(dir, fileName, zipSync(files, ZIP_OPTIONS));
}

export function writeEpubWithoutContainer(dir: string, fileName = 'no-container.epub'): string {
  return writeEpub(dir, sampleBook(), { fileName, omitContainer: true });
}

/** A JPEG header under a supported-looking name is still caught by its magic bytes. */
export function writeJpeg(dir: string, fileName = 'cover.jpg'): string {
  return put(dir, fileName, new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]));
}

// ---------------------------------------------------------------------------------------------
// Samples and libraries

/** A small fixed fiction book for format tests. */
export function sampleBook(seed = 7, genre: Genre = 'fiction', chapters = 3): FixtureBook {
  return generateBook(genre, createRng(seed), { chapters, wordsPerChapter: 220 });
}

export interface LibraryOptions {
  seed?: number;
  formats?: readonly BookFormat[];
  genres?: readonly Genre[];
  chapters?: number;
  wordsPerChapter?: number;
}

export interface LibraryEntry {
  path: string;
  format: BookFormat;
  genre: Genre;
  title: string;
  author: string;
  chapterTitles: string[];
  words: number;
}

const ALL_FORMATS: readonly BookFormat[] = ['epub', 'pdf', 'markdown', 'html', 'txt'];

/**
 * n books cycling through genres and formats (so every genre meets every format over a large
 * library), deterministic from the seed. Titles get a serial number so they never collide.
 */
export function writeLibrary(dir: string, n: number, options: LibraryOptions = {}): LibraryEntry[] {
  const r = createRng(options.seed ?? 42);
  const formats = options.formats ?? ALL_FORMATS;
  const genres = options.genres ?? GENRES;
  const entries: LibraryEntry[] = [];
  for (let i = 0; i < n; i++) {
    const genre = genres[i % genres.length]!;
    const format = formats[Math.floor(i / genres.length + i) % formats.length]!;
    const chapters = options.chapters ?? 3 + Math.floor(r() * 3);
    const book = generateBook(genre, r, { chapters, wordsPerChapter: options.wordsPerChapter ?? 260 + Math.floor(r() * 120) });
    book.title = `${book.title} (No. ${i + 1})`;
    const fileName = `${String(i + 1).padStart(4, '0')}-${slug(book.title)}`;
    let path: string;
    switch (format) {
      case 'epub':
        path = writeEpub(dir, book, { fileName: `${fileName}.epub`, ncx: pick(r, [false, true]) });
        break;
      case 'pdf':
        path = writePdfBook(dir, book, { fileName: `${fileName}.pdf` });
        break;
      case 'markdown':
        path = writeMarkdown(dir, book, { fileName: `${fileName}.md` });
        break;
      case 'html':
        path = writeHtml(dir, book, { fileName: `${fileName}.html` });
        break;
      case 'txt':
        path = writeTxt(dir, book, { fileName: `${fileName}.txt`, headingStyle: pick(r, ['chapter', 'upper-chapter', 'roman'] as const) });
        break;
    }
    entries.push({
      path,
      format,
      genre,
      title: book.title,
      author: book.author,
      chapterTitles: book.chapters.map((c) => c.title),
      words: book.chapters.reduce((s, c) => s + c.text.split(/\s+/).filter(Boolean).length, 0),
    });
  }
  return entries;
}

/** Convenience for tests that want bytes of a built file. */
export function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}
