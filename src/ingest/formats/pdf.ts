/**
 * PDF text via poppler when installed (../poppler.ts, several times faster), else pdfjs-dist's
 * legacy build (the one that runs in Node without DOM globals); both give lines with their type
 * size and the outline, and the same chapter logic runs on either. Chapters come
 * from the outline (bookmarks) by destination page; without one, from lines set in larger type
 * than the body (real PDFs mark headings by size, not by blank lines); then from "Chapter N"
 * lines; without those, from groups of pages.
 */
import { PermanentError } from '../../domain/errors.js';
import { loadSource } from '../source.js';
import { ingestLimits } from '../limits.js';
import { checkPdfStreams } from '../pdf-streams.js';
import { readWithPoppler, type PdfLine, type ReadPdf } from '../poppler.js';
import type { IngestLimits } from '../limits.js';
import { nonWhitespaceLength, normalizeText, titleFromFileName, throwIfAborted, FRONT_MATTER_MIN_WORDS, FRONT_MATTER_TITLE, countWords } from '../text.js';
import type { BookSource, Chapter, ExtractOptions, ExtractedBook, Extractor, OutlineSource } from '../types.js';
import { splitByPatterns } from './patterns.js';
import { splitOnHeadings, type Sections } from './sections.js';
import type { Block } from './markup.js';

/** Pages per chapter when a PDF has neither bookmarks nor chapter headings. */
export const PAGES_PER_CHAPTER = 10;

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
let pdfjsPromise: Promise<PdfJs> | undefined;
/** Loaded lazily: pdfjs is large and most books in a library are not PDFs. */
function loadPdfJs(): Promise<PdfJs> {
  pdfjsPromise ??= import('pdfjs-dist/legacy/build/pdf.mjs');
  return pdfjsPromise;
}

interface TextItemLike {
  str: string;
  hasEOL: boolean;
  transform: number[];
}

function isTextItem(item: unknown): item is TextItemLike {
  return typeof item === 'object' && item !== null && 'str' in item && 'transform' in item;
}


/** Groups text items into lines: a vertical move of more than half the type size starts one. */
export function pageLines(items: readonly unknown[]): PdfLine[] {
  const lines: PdfLine[] = [];
  let current: PdfLine | null = null;
  let lastY: number | null = null;
  let lineY: number | null = null;
  let endedLine = false;
  for (const item of items) {
    if (!isTextItem(item)) continue;
    const t = item.transform;
    const y = t[5] ?? 0;
    const size = Math.hypot(t[2] ?? 0, t[3] ?? 0) || 10;
    const moved = lastY !== null && Math.abs(lastY - y) > size * 0.5;
    // pdfjs marks line ends with empty items; a line holding only those is not a line yet, so the
    // text that follows keeps the gap measured from the last line with text.
    if (current === null || ((endedLine || moved) && current.text.trim().length > 0)) {
      current = { text: '', size: 0, gapBefore: lineY === null ? 0 : Math.max(0, lineY - y) };
      lines.push(current);
    } else if (moved && lineY !== null) current.gapBefore = Math.max(0, lineY - y);
    if (item.str.trim()) lineY = y;
    current.text += item.str;
    if (item.str.trim()) current.size = Math.max(current.size, size);
    endedLine = item.hasEOL;
    lastY = y;
  }
  return lines.filter((l) => l.text.trim().length > 0).map((l) => ({ ...l, size: l.size || 10 }));
}

/** The size most of the text is set in (by characters): anything clearly larger is a heading. */
export function bodyTypeSize(pages: readonly PdfLine[][]): number {
  const chars = new Map<number, number>();
  for (const page of pages) for (const l of page) {
    const key = Math.round(l.size * 2) / 2;
    chars.set(key, (chars.get(key) ?? 0) + l.text.length);
  }
  let best = 10;
  let most = -1;
  for (const [size, n] of chars) if (n > most) [best, most] = [size, n];
  return best;
}

const HEADING_SIZE_RATIO = 1.15;

function isHeadingLine(line: PdfLine, body: number): boolean {
  const t = line.text.trim();
  // A title starts with a letter or number and is not a sentence: "(see below)." or a line of
  // symbols in a larger font is not one.
  return (
    line.size >= body * HEADING_SIZE_RATIO &&
    t.length <= 90 &&
    /^[\p{L}\p{N}]/u.test(t) &&
    /\p{L}{2}/u.test(t) &&
    !/[,;:]$/.test(t) &&
    !(/\.$/.test(t) && countWords(t) > 3) &&
    countWords(t) <= 14
  );
}

/**
 * Rebuilds paragraphs: a vertical gap well above the type size is a paragraph break, and a line
 * in heading type stands alone (blank lines around it), so "Chapter 2" set large directly above
 * its first paragraph is still seen as a heading line.
 */
function pageText(lines: readonly PdfLine[], body: number): string {
  let out = '';
  let prevHeading = false;
  lines.forEach((l, i) => {
    const heading = isHeadingLine(l, body);
    if (i > 0) out += heading || prevHeading || l.gapBefore > l.size * 1.8 ? '\n\n' : '\n';
    out += l.text;
    prevHeading = heading;
  });
  return normalizeText(out);
}

/**
 * Chapters from lines set in larger type. Sizes rank as levels (largest = 1) and
 * `splitOnHeadings` picks the highest level that occurs twice, so a lone title above its
 * chapters titles the book. A line repeated on several pages is a running head, not a heading.
 */
function chaptersFromTypeSize(pages: readonly PdfLine[][], body: number, fallbackTitle: string): Sections | null {
  const seenOn = new Map<string, number>();
  for (const page of pages) for (const t of new Set(page.filter((l) => isHeadingLine(l, body)).map((l) => l.text.trim()))) {
    seenOn.set(t, (seenOn.get(t) ?? 0) + 1);
  }
  const isHeading = (l: PdfLine) => isHeadingLine(l, body) && (seenOn.get(l.text.trim()) ?? 0) <= 2;
  const sizes = [...new Set(pages.flatMap((p) => p.filter(isHeading).map((l) => Math.round(l.size * 2) / 2)))].sort((a, b) => b - a);
  if (sizes.length === 0) return null;
  const levelOf = (size: number) => Math.min(6, sizes.indexOf(Math.round(size * 2) / 2) + 1);
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    const text = normalizeText(paragraph.join('\n')).trim();
    if (text) blocks.push({ kind: 'text', text });
    paragraph = [];
  };
  for (const page of pages) {
    flush();
    let last: Block | undefined;
    for (const l of page) {
      if (isHeading(l)) {
        flush();
        const level = levelOf(l.size);
        // A heading wrapped onto two lines of the same type is one heading.
        if (last?.kind === 'heading' && last.level === level) last.text = `${last.text} ${l.text.trim()}`;
        else blocks.push((last = { kind: 'heading', level, text: l.text.trim().replace(/\s+/g, ' ') }));
        continue;
      }
      if (l.gapBefore > l.size * 1.8) flush();
      paragraph.push(l.text);
      last = undefined;
    }
  }
  flush();
  const sections = splitOnHeadings(blocks, fallbackTitle);
  return sections.outlineSource === 'headings' && sections.chapters.length >= 2 ? sections : null;
}

function pageGroups(pages: readonly string[]): Chapter[] {
  const chapters: Chapter[] = [];
  for (let start = 0; start < pages.length; start += PAGES_PER_CHAPTER) {
    const end = Math.min(start + PAGES_PER_CHAPTER, pages.length);
    const text = pages.slice(start, end).join('\n\n').trim();
    if (!text) continue;
    const title = end - start === 1 ? `Page ${start + 1}` : `Pages ${start + 1}-${end}`;
    chapters.push({ title, text, order: chapters.length });
  }
  return chapters;
}

function withPdfErrors<T>(what: string, fn: () => Promise<T>): Promise<T> {
  return fn().catch((err: unknown) => {
    if (err instanceof PermanentError) throw err;
    const e = err as Error;
    if (e?.name === 'AbortError') throw err;
    if (e?.name === 'PasswordException') throw new PermanentError('PDF is password-protected', 'encrypted_pdf');
    throw new PermanentError(`PDF could not be parsed (${what}): ${e?.message ?? String(err)}`, 'corrupt_pdf');
  });
}

const escapeRegExp = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Chapters from bookmarks. A chapter starts where its title is printed on its page (searched
 * from the previous cut, whitespace-tolerant), else at the top of the page: several short
 * chapters on one page each get their own part of it, and no text is in two chapters.
 */
function chaptersAtBookmarks(pages: readonly string[], starts: readonly { title: string; page: number }[]): Chapter[] {
  const pageStart: number[] = [];
  let full = '';
  for (const p of pages) {
    pageStart.push(full.length);
    full += `${p}\n\n`;
  }
  const cuts: number[] = [];
  for (const s of starts) {
    const from = Math.max(pageStart[s.page]!, cuts[cuts.length - 1] ?? 0);
    const to = pageStart[s.page + 1] ?? full.length;
    const words = s.title.split(/\s+/).filter(Boolean).slice(0, 12).map(escapeRegExp);
    const m = words.length > 0 ? new RegExp(words.join('\\s+'), 'i').exec(full.slice(from, to)) : null;
    cuts.push(m ? from + m.index : from);
  }
  const chapters: Chapter[] = [];
  const preamble = full.slice(0, cuts[0]).trim();
  if (countWords(preamble) >= FRONT_MATTER_MIN_WORDS) chapters.push({ title: FRONT_MATTER_TITLE, text: preamble, order: 0 });
  starts.forEach((s, i) => {
    const text = full.slice(cuts[i], cuts[i + 1] ?? full.length).trim();
    if (text) chapters.push({ title: s.title, text, order: chapters.length });
  });
  return chapters;
}

/**
 * Which reader makes the text: `auto` = poppler when installed (see ../poppler.ts), else pdfjs.
 * `pdfjs` forces the fallback (tests of it, and the bench's side-by-side figures).
 */
export type PdfEngine = 'auto' | 'pdfjs';

async function readWithPdfjs(bytes: Uint8Array, limits: IngestLimits, signal: AbortSignal | undefined): Promise<ReadPdf> {
  const pdfjs = await loadPdfJs();
  // pdfjs transfers (detaches) the buffer it is given; hand it a copy so the caller's stays usable.
  const task = pdfjs.getDocument({
    data: new Uint8Array(bytes),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: false,
    verbosity: 0,
  });
  const onAbort = () => void task.destroy();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const doc = await withPdfErrors('document', () => task.promise);
    throwIfAborted(signal);
    const meta = await doc.getMetadata().catch(() => null);
    const raw = (meta?.info ?? {}) as Record<string, unknown>;
    const info: Record<string, string> = {};
    for (const key of ['Title', 'Author', 'Subject', 'Keywords', 'Creator', 'Producer', 'CreationDate', 'Language']) {
      const v = raw[key];
      if (typeof v === 'string' && v.trim()) info[key.toLowerCase()] = v.trim();
    }
    if (doc.numPages > limits.pdfMaxPages) {
      throw new PermanentError(`PDF has ${doc.numPages} pages (limit ${limits.pdfMaxPages})`, 'pdf_too_many_pages');
    }
    const pages: PdfLine[][] = [];
    let chars = 0;
    for (let i = 1; i <= doc.numPages; i++) {
      throwIfAborted(signal);
      const lines = await withPdfErrors(`page ${i}`, async () => {
        const page = await doc.getPage(i);
        const content = await page.getTextContent();
        page.cleanup();
        return pageLines(content.items);
      });
      chars += lines.reduce((n, l) => n + l.text.length + 1, 0);
      if (chars > limits.textMaxChars) {
        throw new PermanentError(`PDF text passes ${limits.textMaxChars} characters at page ${i} (limit)`, 'text_too_large');
      }
      pages.push(lines);
    }
    const outline: { title: string; page: number }[] = [];
    for (const entry of (await doc.getOutline().catch(() => null)) ?? []) {
      try {
        const dest = typeof entry.dest === 'string' ? await doc.getDestination(entry.dest) : entry.dest;
        const ref = dest?.[0];
        if (ref === undefined || ref === null) continue;
        const page = typeof ref === 'number' ? ref : await doc.getPageIndex(ref as Parameters<typeof doc.getPageIndex>[0]);
        const title = entry.title.replace(/\s+/g, ' ').trim();
        if (title) outline.push({ title, page });
      } catch {
        // An unresolvable bookmark is skipped; the others still give a usable outline.
      }
    }
    const numPages = doc.numPages;
    await doc.destroy();
    return { numPages, info, pages, outline };
  } catch (err) {
    throwIfAborted(signal);
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await task.destroy().catch(() => undefined);
  }
}

export async function extractPdf(source: BookSource, options: ExtractOptions & { pdfEngine?: PdfEngine } = {}): Promise<ExtractedBook> {
  const limits = ingestLimits(options.limits);
  const { bytes, fileName } = await loadSource(source, options, limits.documentFileMaxBytes);
  const signal = options.signal;
  throwIfAborted(signal);
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 1024));
  if (!head.includes('%PDF-')) throw new PermanentError('file is not a PDF (no %PDF header)', 'format_mismatch');

  // The stream budget (../pdf-streams.ts) holds for both readers. pdfjs would inflate a Flate
  // bomb whole, so it only starts after the check; poppler runs in its own processes, so it
  // starts first and the check overlaps its work, stopping it if the book is refused.
  const checkStreams = () => checkPdfStreams(bytes, { streamMaxBytes: limits.pdfStreamMaxBytes, totalMaxBytes: limits.pdfStreamsMaxBytes }, signal);
  let read: ReadPdf | null = null;
  if (options.pdfEngine !== 'pdfjs') {
    const stop = new AbortController();
    const pending = readWithPoppler(bytes, limits, signal ? AbortSignal.any([signal, stop.signal]) : stop.signal);
    pending.catch(() => undefined);
    try {
      checkStreams();
      throwIfAborted(signal);
    } catch (err) {
      stop.abort();
      await pending.catch(() => undefined);
      throw err;
    }
    read = await pending;
  } else checkStreams();
  throwIfAborted(signal);
  read ??= await readWithPdfjs(bytes, limits, signal);
  const metadata: Record<string, string> = { pages: String(read.numPages) };
  for (const key of ['title', 'author', 'subject', 'keywords', 'creator', 'producer', 'creationdate', 'language']) {
    const v = read.info[key];
    if (v) metadata[key] = v;
  }
  const pageLineSets = read.pages;
  const body = bodyTypeSize(pageLineSets);
  const pages = pageLineSets.map((lines) => pageText(lines, body));
  const fullText = pages.join('\n\n');
  const sourceChars = nonWhitespaceLength(fullText);
  if (sourceChars === 0) {
    throw new PermanentError(`PDF has no extractable text in ${read.numPages} page(s) (scanned images need OCR)`, 'no_text');
  }

  const fallbackTitle = metadata['title'] ?? titleFromFileName(fileName);
  let chapters: Chapter[] = [];
  let outlineSource: OutlineSource = 'outline';
  const starts = read.outline.filter((s) => s.page < pages.length).sort((a, b) => a.page - b.page);
  if (starts.length > 0) chapters = chaptersAtBookmarks(pages, starts);
  const bySize = chapters.length === 0 ? chaptersFromTypeSize(pageLineSets, body, fallbackTitle) : null;
  if (bySize) {
    chapters = bySize.chapters;
    outlineSource = 'headings';
  }
  if (chapters.length === 0) {
    const byPattern = splitByPatterns(fullText, fallbackTitle);
    if (byPattern.headings >= 2) {
      chapters = byPattern.chapters;
      outlineSource = 'patterns';
    } else if (pages.length > 1) {
      chapters = pageGroups(pages);
      outlineSource = 'pages';
    } else {
      chapters = byPattern.chapters;
      outlineSource = 'single';
    }
  }
  return {
    format: 'pdf',
    title: fallbackTitle,
    author: metadata['author'] ?? null,
    ...(metadata['language'] ? { language: metadata['language'] } : {}),
    chapters,
    outlineSource,
    sourceChars,
    metadata,
  };
}

export const pdfExtractor: Extractor = { format: 'pdf', extract: extractPdf };

export type { PdfLine } from '../poppler.js';
