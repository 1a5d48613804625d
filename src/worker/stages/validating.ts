/**
 * validating: the strategy's quality rules. The first failure sends the book back to processing
 * once with the strategy's fallback; a second failure (or no fallback) rejects it with the
 * reasons, and its library rows are removed in the same transaction.
 */
import { fallbackStrategy } from '../../ingest/strategies.js';
import type { Stage, StageContext, StageResult, StrategyRecord } from '../stage.js';
import { extracted } from './classifying.js';
import { strategyOf } from './processing.js';

export const validatingStage: Stage = {
  name: 'validating',
  async run(ctx: StageContext): Promise<StageResult> {
    const record = strategyOf(ctx);
    const book = await extracted(ctx);
    let chunks = ctx.memo.chunks;
    if (!chunks) {
      // Not carried over (should not happen within one claim): re-chunk, same strategy, same result.
      chunks = await ctx.runner.run('chunk', { chapters: book.chapters, strategy: record.strategy }, ctx.signal);
    }
    const v = await ctx.runner.run(
      'validate',
      { book: { chapters: book.chapters, sourceChars: book.sourceChars }, chunks, strategy: record.strategy },
      ctx.signal,
    );
    ctx.memo.validation = v;
    const p = ctx.pipeline;
    if (v.ok) {
      const result = {
        title: book.title,
        author: book.author,
        strategy: record.name,
        fallback_from: record.fallback_from ?? null,
        chapters: v.stats.chapters,
        chunks: v.stats.chunks,
        words: v.stats.words,
        validation: v.stats,
      };
      return {
        to: 'pending_approval',
        patch: { result_json: JSON.stringify(result), error_json: null },
        info: { strategy: record.name, chunks: v.stats.chunks, kept: Math.round(v.stats.keptShare * 100) / 100 },
      };
    }
    const fallback = record.fallback_from ? null : fallbackStrategy(record.strategy, ctx.settings.strategies);
    if (fallback) {
      const next: StrategyRecord = {
        name: fallback.name,
        reason: `fallback after strategy '${record.name}' failed validation`,
        strategy: fallback,
        fallback_from: record.name,
        previous_failures: v.failures,
      };
      ctx.memo.strategy = next;
      ctx.memo.chunks = undefined;
      return {
        to: 'processing',
        patch: { strategy_json: JSON.stringify(next) },
        note: `validation failed (${v.failures.join('; ')}); re-running with fallback strategy ${fallback.name}`,
        info: { failures: v.failures, fallback: fallback.name },
      };
    }
    const message = `validation failed with strategy '${record.name}'${record.fallback_from ? ` (fallback after '${record.fallback_from}')` : ''}: ${v.failures.join('; ')}`;
    return {
      to: 'rejected',
      patch: {
        error_json: JSON.stringify({
          code: 'validation_failed',
          stage: 'validating',
          message,
          failures: v.failures,
          previous_failures: record.previous_failures ?? null,
          strategy: record.name,
          stats: v.stats,
        }),
      },
      note: message,
      info: { failures: v.failures },
      library: { kind: 'clear' },
      audit: [
        {
          action: 'REJECTED',
          actor: ctx.actor,
          pipeline_id: p.id,
          reason: message,
          before: 'validating',
          after: 'rejected',
          confidence: p.confidence,
          details: { failures: v.failures, strategy: record.name, fallback_from: record.fallback_from ?? null },
        },
      ],
    };
  },
};
