/**
 * Reading a book's state history. History rows are written by triggers (migrations 1 and 5);
 * each pipeline points at its newest row and each row at the book's previous one, so a book's
 * history is a walk of a few rowid probes, with no (pipeline_id, id) index to keep up on every
 * state change.
 */
import type { Db } from './db.js';
import type { StateHistoryRow } from './pipeline-row.js';

/** The history rows of the pipelines matching `seed` (a WHERE over pipelines). Use as `id IN (…)`. */
export function historyChainSql(seed: string): string {
  return `WITH RECURSIVE chain(hid, depth) AS (
      SELECT last_history_id, 0 FROM pipelines WHERE ${seed}
      UNION ALL
      SELECT h.prev_id, c.depth + 1 FROM chain c JOIN state_history h ON h.id = c.hid
      WHERE h.prev_id IS NOT NULL AND c.depth < 100000000)
    SELECT hid FROM chain WHERE hid IS NOT NULL`;
}

/** One pipeline's history, oldest first (at most `limit` rows: the oldest ones). */
export function readHistoryRows(db: Db, pipelineId: string, limit = 1000): Omit<StateHistoryRow, 'pipeline_id'>[] {
  return db
    .prepare(
      `SELECT id, from_state, to_state, at, duration_ms, actor, details FROM state_history
       WHERE id IN (${historyChainSql('id = ?')}) ORDER BY id LIMIT ?`,
    )
    .all(pipelineId, limit) as Omit<StateHistoryRow, 'pipeline_id'>[];
}
