/**
 * The MCP list's pages on PostgreSQL (src/db/sqlite/stats-pages.ts): newest first, or newest in
 * one state first, keyset-paged on the order's own key, so a deep page costs what the first one
 * does. Without a state, pipelines_created (created_at, id) read backwards is the order itself;
 * with one, pipelines_state_entered (state, state_entered_at) backwards, ids of a tied time
 * sorted as they come (an incremental sort of a few rows). The keyset bound is also written on
 * the index's own column (`state_entered_at <= at`) so the scan starts at the cursor.
 */
import type pg from 'pg';
import { PIPELINE_COLUMNS, type PipelineRow } from '../pipeline-row.js';
import type { PipelinePageQuery } from '../ops/stats.js';
import { run } from './sql.js';

const NEWEST = `SELECT ${PIPELINE_COLUMNS} FROM pipelines ORDER BY created_at DESC, id DESC LIMIT $1`;
const NEWEST_AFTER = `SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE (created_at, id) < ($2, $3)
  ORDER BY created_at DESC, id DESC LIMIT $1`;
const IN_STATE = `SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE state = $2
  ORDER BY state_entered_at DESC, id DESC LIMIT $1`;
const IN_STATE_AFTER = `SELECT ${PIPELINE_COLUMNS} FROM pipelines
  WHERE state = $2 AND state_entered_at <= $3 AND (state_entered_at, id) < ($3, $4)
  ORDER BY state_entered_at DESC, id DESC LIMIT $1`;

export async function pipelinePage(pool: pg.Pool, q: PipelinePageQuery): Promise<PipelineRow[]> {
  const { text, values } =
    q.state !== undefined
      ? q.after
        ? { text: IN_STATE_AFTER, values: [q.limit, q.state, q.after.at, q.after.id] }
        : { text: IN_STATE, values: [q.limit, q.state] }
      : q.after
        ? { text: NEWEST_AFTER, values: [q.limit, q.after.at, q.after.id] }
        : { text: NEWEST, values: [q.limit] };
  return (await run<PipelineRow>(pool, text, values)).rows;
}
