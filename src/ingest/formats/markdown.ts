import { PermanentError } from '../../domain/errors.js';
import { decodeText, loadSource } from '../source.js';
import { ingestLimits } from '../limits.js';
import { nonWhitespaceLength, normalizeText, titleFromFileName, throwIfAborted } from '../text.js';
import type { BookSource, ExtractOptions, ExtractedBook, Extractor } from '../types.js';
import type { Block } from './markup.js';
import { splitOnHeadings } from './sections.js';

/** `key: value` lines of a leading `---` block; enough for title/author without a YAML dep. */
export function parseFrontMatter(text: string): { data: Record<string, string>; body: string } {
  const m = /^---[ \t]*\n([\s\S]*?)\n(?:---|\.\.\.)[ \t]*(?:\n|$)/.exec(text);
  if (!m) return { data: {}, body: text };
  const data: Record<string, string> = {};
  for (const line of (m[1] ?? '').split('\n')) {
    const kv = /^([A-Za-z][\w-]*)\s*:\s*(.*)$/.exec(line);
    if (!kv) continue;
    const value = (kv[2] ?? '').trim().replace(/^(['"])(.*)\1$/, '$2');
    if (value) data[(kv[1] ?? '').toLowerCase()] = value;
  }
  return { data, body: text.slice(m[0].length) };
}

/** Inline markup that is noise for reading text; code spans and fences stay, they carry meaning. */
function stripInline(text: string): string {
  return text
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, '$2');
}

export function markdownBlocks(body: string): Block[] {
  const lines = body.split('\n');
  const blocks: Block[] = [];
  let para: string[] = [];
  const flush = () => {
    const text = stripInline(para.join('\n')).trim();
    para = [];
    if (text) blocks.push({ kind: 'text', text });
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const fence = /^\s{0,3}(```|~~~)/.exec(line);
    if (fence) {
      flush();
      const code = [line];
      let j = i + 1;
      while (j < lines.length && !(lines[j] ?? '').trimStart().startsWith(fence[1]!)) code.push(lines[j++] ?? '');
      if (j < lines.length) code.push(lines[j] ?? '');
      blocks.push({ kind: 'text', text: code.join('\n') });
      i = j;
      continue;
    }
    const atx = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (atx) {
      flush();
      const text = stripInline(atx[2] ?? '').trim();
      if (text) blocks.push({ kind: 'heading', level: atx[1]!.length, text });
      continue;
    }
    const setext = /^\s{0,3}(=+|-+)\s*$/.exec(line);
    if (setext && para.length > 0) {
      // The underlined line is the heading; lines above it (rare) stay a paragraph.
      const title = para.pop() ?? '';
      flush();
      blocks.push({ kind: 'heading', level: setext[1]!.startsWith('=') ? 1 : 2, text: stripInline(title).trim() });
      continue;
    }
    if (line.trim() === '') flush();
    else para.push(line);
  }
  flush();
  return blocks;
}

export async function extractMarkdown(source: BookSource, options: ExtractOptions = {}): Promise<ExtractedBook> {
  const limits = ingestLimits(options.limits);
  const { bytes, fileName } = await loadSource(source, options, limits.textFileMaxBytes);
  throwIfAborted(options.signal);
  const { data, body } = parseFrontMatter(normalizeText(decodeText(bytes)));
  const blocks = markdownBlocks(body);
  const sourceChars = nonWhitespaceLength(blocks.map((b) => b.text).join('\n'));
  if (sourceChars === 0) throw new PermanentError('Markdown file has no extractable text', 'no_text');

  const fallbackTitle = titleFromFileName(fileName);
  const sections = splitOnHeadings(blocks, fallbackTitle);
  const language = data['language'] ?? data['lang'];
  return {
    format: 'markdown',
    title: data['title'] ?? sections.headingTitle ?? fallbackTitle,
    author: data['author'] ?? data['authors'] ?? data['creator'] ?? null,
    ...(language ? { language } : {}),
    chapters: sections.chapters,
    outlineSource: sections.outlineSource,
    sourceChars,
    metadata: data,
  };
}

export const markdownExtractor: Extractor = { format: 'markdown', extract: extractMarkdown };
