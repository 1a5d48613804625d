import { PermanentError } from '../../domain/errors.js';
import { decodeText, loadSource } from '../source.js';
import { ingestLimits } from '../limits.js';
import { nonWhitespaceLength, normalizeText, titleFromFileName, throwIfAborted } from '../text.js';
import type { BookSource, ExtractOptions, ExtractedBook, Extractor } from '../types.js';
import { splitByPatterns } from './patterns.js';

/**
 * Plain text declares nothing, so title and author come from the common title-page shape: a
 * short first line, optionally followed by "by Someone" within the next few lines.
 */
function titlePage(text: string): { title: string | null; author: string | null } {
  const lines = text.split('\n').slice(0, 8).map((l) => l.trim());
  const first = lines.find((l) => l.length > 0) ?? '';
  let title: string | null = null;
  const gutenberg = /^(?:title|Title)\s*:\s*(.+)$/.exec(first);
  if (gutenberg) title = gutenberg[1]!.trim();
  else if (first.length > 0 && first.length <= 80 && !/[.!?,;]$/.test(first) && !/^chapter\b/i.test(first)) title = first;
  let author: string | null = null;
  for (const l of lines) {
    const by = /^(?:by|author\s*:)\s+(.{2,80})$/i.exec(l);
    if (by) {
      author = by[1]!.trim();
      break;
    }
  }
  return { title, author };
}

export async function extractTxt(source: BookSource, options: ExtractOptions = {}): Promise<ExtractedBook> {
  const limits = ingestLimits(options.limits);
  const { bytes, fileName } = await loadSource(source, options, limits.textFileMaxBytes);
  throwIfAborted(options.signal);
  const text = normalizeText(decodeText(bytes));
  const sourceChars = nonWhitespaceLength(text);
  if (sourceChars === 0) throw new PermanentError('text file has no extractable text (only whitespace)', 'no_text');

  const fallbackTitle = titleFromFileName(fileName);
  const page = titlePage(text);
  const { chapters, headings } = splitByPatterns(text, page.title ?? fallbackTitle);
  return {
    format: 'txt',
    title: page.title ?? fallbackTitle,
    author: page.author,
    chapters,
    outlineSource: headings >= 2 ? 'patterns' : 'single',
    sourceChars,
    metadata: {},
  };
}

export const txtExtractor: Extractor = { format: 'txt', extract: extractTxt };
