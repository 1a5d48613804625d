/**
 * classifying: extracts the book (in the thread pool; PDFs from their real text) and asks the
 * classifier — the built-in offline heuristic (in the pool) or a configured external command —
 * for book type, confidence and reasons, stored in profile_json.
 */
import { classifyInputFor } from '../../ingest/classifier.js';
import type { BookFormat, ExtractedBook } from '../../ingest/types.js';
import type { Stage, StageContext, StageResult } from '../stage.js';

export async function extracted(ctx: StageContext): Promise<ExtractedBook> {
  if (ctx.memo.extracted) return ctx.memo.extracted;
  const book = await ctx.runner.run(
    'extract',
    { path: ctx.pipeline.source_path, format: (ctx.pipeline.format as BookFormat | null) ?? null },
    ctx.signal,
  );
  ctx.memo.extracted = book;
  return book;
}

export const classifyingStage: Stage = {
  name: 'classifying',
  async run(ctx: StageContext): Promise<StageResult> {
    const book = await extracted(ctx);
    const input = classifyInputFor(book);
    const classifier = ctx.settings.classifier;
    const c =
      classifier === 'builtin'
        ? await ctx.runner.run('classify', input, ctx.signal)
        : await classifier.classify(input, { signal: ctx.signal });
    ctx.memo.classification = c;
    const profile = {
      classifier: classifier === 'builtin' ? 'builtin:heuristic' : classifier.name,
      book_type: c.bookType,
      confidence: c.confidence,
      reasons: c.reasons,
      title: book.title,
      author: book.author,
      language: book.language ?? null,
      format: book.format,
      outline_source: book.outlineSource,
      chapters: book.chapters.length,
      source_chars: book.sourceChars,
      metadata: book.metadata,
    };
    return {
      to: 'selecting_strategy',
      patch: { book_type: c.bookType, confidence: c.confidence, profile_json: JSON.stringify(profile), format: book.format },
      info: { book_type: c.bookType, confidence: c.confidence, chapters: book.chapters.length },
    };
  },
};
