/**
 * processing: title/author/structure from the extracted book, chapters and chunks by the
 * strategy (chunking in the thread pool), and the library rows written in ONE transaction that
 * first deletes any earlier rows for the book (idempotent; the commit also carries the state
 * change, so a cancelled stage leaves no half-written book).
 */
import { PermanentError } from '../../domain/errors.js';
import { countWords } from '../../ingest/text.js';
import type { Stage, StageContext, StageResult, StrategyRecord } from '../stage.js';
import { extracted } from './classifying.js';

export function strategyOf(ctx: StageContext): StrategyRecord {
  if (ctx.memo.strategy) return ctx.memo.strategy;
  const raw = ctx.pipeline.strategy_json;
  if (!raw) throw new PermanentError('no strategy recorded for this book (strategy_json is empty)', 'no_strategy');
  const record = JSON.parse(raw) as StrategyRecord;
  ctx.memo.strategy = record;
  return record;
}

export const processingStage: Stage = {
  name: 'processing',
  async run(ctx: StageContext): Promise<StageResult> {
    const record = strategyOf(ctx);
    const book = await extracted(ctx);
    const chunks = await ctx.runner.run('chunk', { chapters: book.chapters, strategy: record.strategy }, ctx.signal);
    ctx.memo.chunks = chunks;
    const p = ctx.pipeline;
    const chapters = book.chapters.map((c, i) => ({ ord: i, title: c.title, wordCount: countWords(c.text) }));
    const words = chapters.reduce((s, c) => s + c.wordCount, 0);
    const now = ctx.clock();
    return {
      to: 'validating',
      note: `${chapters.length} chapters, ${chunks.length} chunks (${record.name})`,
      info: { strategy: record.name, chapters: chapters.length, chunks: chunks.length, words },
      library: {
        kind: 'replace',
        book: {
          pipelineId: p.id,
          title: book.title,
          author: book.author,
          language: book.language ?? null,
          format: book.format,
          bookType: p.book_type,
          strategy: record.name,
          chapters,
          chunks: chunks.map((k) => ({ ord: k.index, chapterOrd: k.chapterIndex, text: k.text, wordCount: k.wordCount })),
          createdAt: now,
        },
      },
    };
  },
};
