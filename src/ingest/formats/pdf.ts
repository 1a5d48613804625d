/**
 * PDF via pdfjs-dist's legacy build (the one that runs in Node without DOM globals). Chapters come
 * from the outline (bookmarks) by destination page; without one, from "Chapter N" lines; without
 * those, from groups of pages.
 */
import { PermanentError } from '../../domain/errors.js';
import { loadSource } from '../source.js';
import { ingestLimits } from '../limits.js';
import { checkPdfStreams } from '../pdf-streams.js';
import { nonWhitespaceLength, normalizeText, titleFromFileName, throwIfAborted, FRONT_MATTER_MIN_WORDS, FRONT_MATTER_TITLE, countWords } from '../text.js';
import type { BookSource, Chapter, ExtractOptions, ExtractedBook, Extractor, OutlineSource } from '../types.js';
import { splitByPatterns } from './patterns.js';

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

/** Rebuilds lines and paragraphs: a vertical gap well above the font size is a paragraph break. */
function pageText(items: readonly unknown[]): string {
  let out = '';
  let lastY: number | null = null;
  for (const item of items) {
    if (!isTextItem(item)) continue;
    const y = item.transform[5] ?? 0;
    const size = Math.abs(item.transform[3] ?? 0) || 10;
    if (lastY !== null && !out.endsWith('\n')) {
      if (Math.abs(lastY - y) > size * 0.5) out += '\n';
    }
    if (lastY !== null && lastY - y > size * 1.8 && !out.endsWith('\n\n')) out += '\n';
    out += item.str;
    if (item.hasEOL) out += '\n';
    lastY = y;
  }
  return normalizeText(out);
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

export async function extractPdf(source: BookSource, options: ExtractOptions = {}): Promise<ExtractedBook> {
  const limits = ingestLimits(options.limits);
  const { bytes, fileName } = await loadSource(source, options, limits.documentFileMaxBytes);
  const signal = options.signal;
  throwIfAborted(signal);
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 1024));
  if (!head.includes('%PDF-')) throw new PermanentError('file is not a PDF (no %PDF header)', 'format_mismatch');

  // Before pdfjs: it would inflate a Flate bomb whole (see ../pdf-streams.ts).
  checkPdfStreams(bytes, { streamMaxBytes: limits.pdfStreamMaxBytes, totalMaxBytes: limits.pdfStreamsMaxBytes }, signal);
  throwIfAborted(signal);

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
    const info = (meta?.info ?? {}) as Record<string, unknown>;
    const metadata: Record<string, string> = { pages: String(doc.numPages) };
    for (const key of ['Title', 'Author', 'Subject', 'Keywords', 'Creator', 'Producer', 'CreationDate', 'Language']) {
      const v = info[key];
      if (typeof v === 'string' && v.trim()) metadata[key.toLowerCase()] = v.trim();
    }

    if (doc.numPages > limits.pdfMaxPages) {
      throw new PermanentError(`PDF has ${doc.numPages} pages (limit ${limits.pdfMaxPages})`, 'pdf_too_many_pages');
    }
    const pages: string[] = [];
    let chars = 0;
    for (let i = 1; i <= doc.numPages; i++) {
      throwIfAborted(signal);
      const text = await withPdfErrors(`page ${i}`, async () => {
        const page = await doc.getPage(i);
        const content = await page.getTextContent();
        page.cleanup();
        return pageText(content.items);
      });
      chars += text.length;
      if (chars > limits.textMaxChars) {
        throw new PermanentError(`PDF text passes ${limits.textMaxChars} characters at page ${i} (limit)`, 'text_too_large');
      }
      pages.push(text);
    }
    const fullText = pages.join('\n\n');
    const sourceChars = nonWhitespaceLength(fullText);
    if (sourceChars === 0) {
      throw new PermanentError(`PDF has no extractable text in ${doc.numPages} page(s) (scanned images need OCR)`, 'no_text');
    }

    const fallbackTitle = metadata['title'] ?? titleFromFileName(fileName);
    let chapters: Chapter[] = [];
    let outlineSource: OutlineSource = 'outline';

    const outline = await doc.getOutline().catch(() => null);
    const starts: { title: string; page: number }[] = [];
    for (const entry of outline ?? []) {
      try {
        const dest = typeof entry.dest === 'string' ? await doc.getDestination(entry.dest) : entry.dest;
        const ref = dest?.[0];
        if (ref === undefined || ref === null) continue;
        const page = typeof ref === 'number' ? ref : await doc.getPageIndex(ref as Parameters<typeof doc.getPageIndex>[0]);
        const title = entry.title.replace(/\s+/g, ' ').trim();
        if (title) starts.push({ title, page });
      } catch {
        // An unresolvable bookmark is skipped; the others still give a usable outline.
      }
    }
    starts.sort((a, b) => a.page - b.page);
    if (starts.length > 0) {
      const preamble = pages.slice(0, starts[0]!.page).join('\n\n').trim();
      if (countWords(preamble) >= FRONT_MATTER_MIN_WORDS) chapters.push({ title: FRONT_MATTER_TITLE, text: preamble, order: 0 });
      for (let s = 0; s < starts.length; s++) {
        const end = starts[s + 1]?.page ?? pages.length;
        // Two bookmarks on one page share it; the later one would otherwise be empty.
        const text = pages.slice(starts[s]!.page, Math.max(end, starts[s]!.page + 1)).join('\n\n').trim();
        if (text) chapters.push({ title: starts[s]!.title, text, order: chapters.length });
      }
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
    await doc.destroy();
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
  } catch (err) {
    throwIfAborted(signal);
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await task.destroy().catch(() => undefined);
  }
}

export const pdfExtractor: Extractor = { format: 'pdf', extract: extractPdf };
