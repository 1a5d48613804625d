/** A book's state history on PostgreSQL: through the (pipeline_id, id) index, oldest first. */
import type { HistoryOps, HistoryRow } from '../ops/history.js';
import type { PgContext } from './context.js';
import { run } from './sql.js';

const FOR_PIPELINE = `SELECT id, from_state, to_state, at, duration_ms, actor, details FROM state_history
  WHERE pipeline_id = $1 ORDER BY id LIMIT $2`;

export function pgHistoryOps({ pool }: PgContext): HistoryOps {
  return {
    forPipeline: async (pipelineId, limit = 1000) => (await run<HistoryRow>(pool, FOR_PIPELINE, [pipelineId, limit])).rows,
  };
}
