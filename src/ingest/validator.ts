/**
 * Checks a processed book against its strategy's rules. Failures are sentences an operator can
 * act on, because they are shown as-is in the approval queue.
 */
import { countWords, nonWhitespaceLength } from './text.js';
import type { Chunk, ExtractedBook, Strategy, ValidationResult } from './types.js';

const pct = (x: number) => `${Math.round(x * 100)}%`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Text a chunk adds beyond its overlap with the previous one. */
function newText(chunk: Chunk): string {
  if (chunk.overlapWords === 0) return chunk.text;
  return chunk.text.split(/\s+/).slice(chunk.overlapWords).join(' ');
}

export function validateChunks(book: Pick<ExtractedBook, 'chapters' | 'sourceChars'>, chunks: readonly Chunk[], strategy: Strategy): ValidationResult {
  const rules = strategy.validation;
  const chapters = book.chapters.length;
  const words = book.chapters.reduce((sum, c) => sum + countWords(c.text), 0);

  const seen = new Set<string>();
  let duplicates = 0;
  for (const c of chunks) {
    const key = c.text.toLowerCase().replace(/\s+/g, ' ').trim();
    if (seen.has(key)) duplicates++;
    else seen.add(key);
  }
  const duplicateChunkShare = chunks.length > 0 ? duplicates / chunks.length : 0;
  const keptChars = chunks.reduce((sum, c) => sum + nonWhitespaceLength(newText(c)), 0);
  const keptShare = book.sourceChars > 0 ? Math.min(1, keptChars / book.sourceChars) : 0;

  const failures: string[] = [];
  const name = `strategy '${strategy.name}'`;
  if (chapters < rules.minChapters) failures.push(`only ${plural(chapters, 'chapter')}, ${name} wants >= ${rules.minChapters}`);
  if (words < rules.minWords) failures.push(`only ${plural(words, 'word')} of text, ${name} wants >= ${rules.minWords}`);
  if (chunks.length === 0) failures.push('no chunks were produced');
  if (duplicateChunkShare > rules.maxDuplicateChunkShare) {
    failures.push(`${pct(duplicateChunkShare)} of chunks (${duplicates} of ${chunks.length}) repeat earlier ones, ${name} allows <= ${pct(rules.maxDuplicateChunkShare)}`);
  }
  if (keptShare < rules.minSourceKeptShare) {
    failures.push(`only ${pct(keptShare)} of the source text was kept, ${name} wants >= ${pct(rules.minSourceKeptShare)}`);
  }
  return {
    ok: failures.length === 0,
    failures,
    stats: { chapters, words, chunks: chunks.length, duplicateChunkShare, sourceChars: book.sourceChars, keptChars, keptShare },
  };
}
