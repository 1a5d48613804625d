/**
 * The work queue on PostgreSQL. A claim is one statement, the shape every Postgres queue uses
 * (River's JobGetAvailable, Oban's basic engine, graphile-worker): a CTE picks the claimable
 * rows in claim order through the partial index `pipelines_claim`, `FOR UPDATE SKIP LOCKED`, and
 * an UPDATE … FROM it moves them under a lease. The CTE is kept on purpose: inlined into the
 * UPDATE, the planner may re-run the LIMIT subquery and update more rows than asked (Oban's
 * note). SKIP LOCKED lets concurrent claimers pass each other's rows instead of queueing on
 * them, and a row can be locked by one claimer only, so no book is claimed twice.
 *
 * Times (leases, backoff) are the database's clock unless the engine was given one (tests).
 */
import crypto from 'node:crypto';
import os from 'node:os';
import type { QueueOps, ClaimCursor } from '../ops/queue.js';
import type { Claim } from '../queue.js';
import { MAX_CLAIM_BATCH } from '../queue.js';
import type { PipelineRow } from '../pipeline-row.js';
import { PIPELINE_COLUMNS } from '../pipeline-row.js';
import { CLAIMABLE_STATES, MAX_PRIORITY, MIN_PRIORITY } from '../../domain/states.js';
import { InputError } from '../../domain/errors.js';
import type { PgContext } from './context.js';
import { P_COLUMNS } from './context.js';
import { CLAIMABLE_LIST } from './migrations.js';
import { run, runQuiet } from './sql.js';
import { pgLeaseOps } from './leases.js';

/**
 * $1 now (or null: the server's), $2 how many, $3 worker, $4 token, $5 lease ms, $6 actor.
 * What a claim sets is SQLite's CLAIM_SET: a retried book that had been approved resumes at
 * embedding; aging's raised priority ends with the wait. Exported for the bench, whose pgbench
 * reference runs this very text.
 */
export const CLAIM = `
  WITH picked AS (
    SELECT id, priority AS pick_priority FROM pipelines
    WHERE state IN (${CLAIMABLE_LIST}) AND (next_attempt_at IS NULL OR next_attempt_at <= ap_now($1))
    ORDER BY priority, created_at, id
    LIMIT $2
    FOR UPDATE SKIP LOCKED
  )
  UPDATE pipelines p SET
    state = CASE WHEN p.state = 'approved' OR (p.state = 'needs_retry' AND p.approved_by IS NOT NULL)
                 THEN 'embedding' ELSE 'hashing' END,
    lease_owner = $3, lease_token = $4,
    lease_expires_at = ap_now($1) + $5, heartbeat_at = ap_now($1),
    attempts = p.attempts + 1, next_attempt_at = NULL,
    priority = p.base_priority,
    state_entered_at = ap_now($1), updated_at = ap_now($1), version = p.version + 1,
    last_actor = $6, transition_note = 'claimed'
  FROM picked
  WHERE p.id = picked.id AND p.state IN (${CLAIMABLE_LIST})
  RETURNING picked.pick_priority, ${P_COLUMNS}`;

/** One statement: the worker's row and every lease it holds (heartbeat per worker, not per book). */
const HEARTBEAT = `
  WITH w AS (UPDATE workers SET heartbeat_at = ap_now($1) WHERE id = $2)
  UPDATE pipelines SET lease_expires_at = ap_now($1) + $3, heartbeat_at = ap_now($1) WHERE lease_owner = $2`;

const REGISTER = `
  INSERT INTO workers (id, pid, host, started_at, heartbeat_at, concurrency, info_json)
  VALUES ($1, $2, $3, ap_now($4), ap_now($4), $5, $6)
  ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, host = excluded.host, started_at = excluded.started_at,
    heartbeat_at = excluded.heartbeat_at, stopped_at = NULL, concurrency = excluded.concurrency,
    info_json = excluded.info_json`;

/** Stopped, and its leases expired at once so recovery need not wait them out. */
const UNREGISTER = `
  WITH w AS (UPDATE workers SET stopped_at = ap_now($1), heartbeat_at = ap_now($1) WHERE id = $2)
  UPDATE pipelines SET lease_expires_at = ap_now($1) WHERE lease_owner = $2`;

const QUEUED_BY_PRIORITY = `SELECT priority, SUM(n)::bigint AS n FROM pipeline_counts WHERE state IN (${CLAIMABLE_LIST}) GROUP BY priority`;

export function pgQueueOps(ctx: PgContext, key: Buffer | null): QueueOps {
  const { pool } = ctx;
  const tokenPrefix = crypto.randomBytes(6).toString('hex');
  let tokenCounter = 0;
  const newToken = () => `${tokenPrefix}-${(++tokenCounter).toString(36)}`;

  async function claim(workerId: string, leaseMs: number, max: number): Promise<Claim[]> {
    // One statement, so no explicit transaction: autocommit makes it one.
    const token = newToken();
    const rows = (
      await run<PipelineRow & { pick_priority: number }>(pool, CLAIM, [ctx.now(), max, workerId, token, leaseMs, `system:worker:${workerId}`])
    ).rows;
    // RETURNING comes back in no particular order and shows the reset priority: the pick's
    // priority says where each book stood.
    rows.sort((a, b) => a.pick_priority - b.pick_priority || a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return rows.map(({ pick_priority: _, ...pipeline }) => ({ pipeline: pipeline as PipelineRow, leaseToken: token }));
  }

  return {
    ...pgLeaseOps(ctx, key),
    async claimNext(workerId, leaseMs) {
      return (await claim(workerId, leaseMs, 1))[0];
    },
    async claimBatch(workerId, leaseMs, max) {
      if (!Number.isInteger(max) || max < 1 || max > MAX_CLAIM_BATCH) {
        throw new InputError(`a claim batch takes 1 to ${MAX_CLAIM_BATCH} books, got ${String(max)}`);
      }
      return claim(workerId, leaseMs, max);
    },
    async heartbeat(workerId, leaseMs) {
      return (await runQuiet(pool, HEARTBEAT, [ctx.now(), workerId, leaseMs])).rowCount ?? 0;
    },
    async register(workerId, info = {}) {
      await run(pool, REGISTER, [workerId, process.pid, os.hostname(), ctx.now(), info.concurrency ?? 1, JSON.stringify(info)]);
    },
    async unregister(workerId) {
      return (await run(pool, UNREGISTER, [ctx.now(), workerId])).rowCount ?? 0;
    },
    async queuedByPriority() {
      const rows = (await run<{ priority: number; n: number }>(pool, QUEUED_BY_PRIORITY)).rows;
      const out: Record<number, number> = {};
      for (let p = MIN_PRIORITY; p <= MAX_PRIORITY; p++) out[p] = 0;
      for (const r of rows) out[r.priority] = r.n;
      return out;
    },
    async window(options: { limit: number; after?: ClaimCursor }) {
      const values: unknown[] = [options.limit];
      let keyset = '';
      if (options.after) {
        values.push(options.after.priority, options.after.created_at, options.after.id);
        keyset = 'AND (priority, created_at, id) > ($2, $3, $4)';
      }
      const sql = `SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE state IN (${CLAIMABLE_LIST}) ${keyset}
        ORDER BY priority, created_at, id LIMIT $1`;
      return (await run<PipelineRow>(pool, sql, values)).rows;
    },
    async positionOf(row) {
      if (!(CLAIMABLE_STATES as readonly string[]).includes(row.state)) return undefined;
      const sql = `SELECT COUNT(*) AS n FROM pipelines WHERE state IN (${CLAIMABLE_LIST}) AND (priority, created_at, id) < ($1, $2, $3)`;
      return (await run<{ n: number }>(pool, sql, [row.priority, row.created_at, row.id])).rows[0]!.n;
    },
  };
}
