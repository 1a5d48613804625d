import { basename } from 'node:path';
import { detectFormat } from './detect.js';
import { epubExtractor } from './formats/epub.js';
import { htmlExtractor } from './formats/html.js';
import { markdownExtractor } from './formats/markdown.js';
import { pdfExtractor } from './formats/pdf.js';
import { txtExtractor } from './formats/txt.js';
import type { BookFormat, ExtractedBook, Extractor, StageOptions } from './types.js';

const EXTRACTORS: Record<BookFormat, Extractor> = {
  epub: epubExtractor,
  pdf: pdfExtractor,
  markdown: markdownExtractor,
  html: htmlExtractor,
  txt: txtExtractor,
};

export function extractorFor(format: BookFormat): Extractor {
  return EXTRACTORS[format];
}

/** Detect, then extract: the whole "what is in this file" step for one path. */
export async function extractBook(path: string, options: StageOptions = {}): Promise<ExtractedBook> {
  const format = await detectFormat(path, options);
  return EXTRACTORS[format].extract(path, { ...options, fileName: basename(path) });
}
