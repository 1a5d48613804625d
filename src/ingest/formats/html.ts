import { PermanentError } from '../../domain/errors.js';
import { decodeText, loadSource } from '../source.js';
import { ingestLimits } from '../limits.js';
import { nonWhitespaceLength, titleFromFileName, throwIfAborted } from '../text.js';
import type { BookSource, ExtractOptions, ExtractedBook, Extractor } from '../types.js';
import { blocksToText, parseMarkup } from './markup.js';
import { splitOnHeadings } from './sections.js';

export async function extractHtml(source: BookSource, options: ExtractOptions = {}): Promise<ExtractedBook> {
  const limits = ingestLimits(options.limits);
  const { bytes, fileName } = await loadSource(source, options, limits.textFileMaxBytes);
  throwIfAborted(options.signal);
  const parsed = parseMarkup(decodeText(bytes), 'HTML file', { maxDepth: limits.markupMaxDepth, maxNodes: limits.markupMaxNodes });
  const fullText = blocksToText(parsed.blocks);
  const sourceChars = nonWhitespaceLength(fullText);
  if (sourceChars === 0) throw new PermanentError('HTML file has no extractable text', 'no_text');

  const fallbackTitle = titleFromFileName(fileName);
  const sections = splitOnHeadings(parsed.blocks, fallbackTitle);
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed.meta)) if (v.trim()) metadata[k] = v.trim();
  const author = parsed.meta['author']?.trim() || parsed.meta['dc.creator']?.trim() || null;
  return {
    format: 'html',
    title: parsed.title ?? sections.headingTitle ?? fallbackTitle,
    author,
    ...(parsed.lang ? { language: parsed.lang } : {}),
    chapters: sections.chapters,
    outlineSource: sections.outlineSource,
    sourceChars,
    metadata,
  };
}

export const htmlExtractor: Extractor = { format: 'html', extract: extractHtml };
