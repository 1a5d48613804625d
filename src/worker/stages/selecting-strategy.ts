/**
 * selecting_strategy: strategies are data (built-in set or the configured file); low
 * classification confidence picks the conservative one. The chosen strategy is stored whole in
 * strategy_json, so processing later uses exactly what was recorded.
 */
import { selectStrategy } from '../../ingest/strategies.js';
import { BOOK_TYPES, type BookType } from '../../domain/states.js';
import { throwIfAborted } from '../../ingest/text.js';
import type { Stage, StageContext, StageResult, StrategyRecord } from '../stage.js';

export const selectingStrategyStage: Stage = {
  name: 'selecting_strategy',
  async run(ctx: StageContext): Promise<StageResult> {
    throwIfAborted(ctx.signal);
    const p = ctx.pipeline;
    const type: BookType = (BOOK_TYPES as readonly string[]).includes(p.book_type ?? '') ? (p.book_type as BookType) : 'unknown';
    const confidence = p.confidence ?? 0;
    const threshold = ctx.settings.lowConfidenceThreshold;
    const strategy = selectStrategy(type, confidence, { strategies: ctx.settings.strategies, lowConfidenceThreshold: threshold });
    const reason =
      confidence < threshold
        ? `confidence ${confidence.toFixed(2)} below ${threshold}: conservative strategy`
        : `book type ${type} (confidence ${confidence.toFixed(2)})`;
    const record: StrategyRecord = { name: strategy.name, reason, strategy };
    ctx.memo.strategy = record;
    return {
      to: 'processing',
      patch: { strategy_json: JSON.stringify(record) },
      note: `strategy ${strategy.name}`,
      info: { strategy: strategy.name },
    };
  },
};
