/**
 * The PostgreSQL side of a worker's leases beyond claim and heartbeat (as src/db/sqlite/leases.ts):
 * which books a worker still holds, giving one lease up, the lease rescue of books whose worker
 * died, the breaker state on the worker's row, and the books waiting out a backoff. Every time
 * is the database's clock (ap_now), unless the engine was given one: hosts' clocks drift apart,
 * and a lease written by one host is judged expired by another.
 */
import type { AuditEntryInput } from '../audit.js';
import type { HeldLease, LeaseRescuePlan, QueueOps, RescuedLease } from '../ops/queue.js';
import type { PipelineRow } from '../pipeline-row.js';
import { PIPELINE_COLUMNS } from '../pipeline-row.js';
import type { PgContext } from './context.js';
import { appendIn } from './audit.js';
import { run } from './sql.js';
import { inWorkingStates } from './stats-sql.js';
import { withTx } from './tx.js';

// Leased rows are few (the fleet's concurrency); the partial lease_owner index carries them.
const HELD_BY = 'SELECT id, lease_token FROM pipelines WHERE lease_owner = $1';
const GIVE_UP = 'UPDATE pipelines SET lease_owner = $1, lease_expires_at = ap_now($2) WHERE id = $3 AND lease_token = $4';

/** The pass's time once, so every decision and guard of one rescue compares against the same now. */
const NOW = 'SELECT ap_now($1) AS now';
/**
 * Expired books, oldest expiry first, locked; SKIP LOCKED: a book another rescuer (or its own
 * worker, committing right now) holds is not waited for, it is that one's to settle. The state
 * test is a filter (inWorkingStates), so the range is read in lease order and stops at the limit.
 */
export const EXPIRED = `
  SELECT ${PIPELINE_COLUMNS} FROM pipelines
  WHERE lease_owner IS NOT NULL AND lease_expires_at < $1 AND ${inWorkingStates('state')}
  ORDER BY lease_expires_at LIMIT $2
  FOR UPDATE SKIP LOCKED`;
/** The guard repeated inside the UPDATE (state, token, still expired), as on SQLite (river #1302). */
const RESCUE = `
  UPDATE pipelines SET
    state = $2, error_json = $3, next_attempt_at = NULL,
    lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL,
    auto_recoveries = auto_recoveries + 1,
    state_entered_at = $4, updated_at = $4, version = version + 1,
    last_actor = $5, transition_note = $6
  WHERE id = $1 AND state = $7 AND lease_token IS NOT DISTINCT FROM $8 AND lease_expires_at < $4
  RETURNING ${PIPELINE_COLUMNS}`;

const WAITING_FOR_RETRY = `SELECT COUNT(*) AS n FROM pipelines WHERE state = 'needs_retry' AND next_attempt_at > ap_now($1)`;
/** Bookkeeping of the worker like its heartbeat, not a change to a book: no audit row. */
const BREAKER = `
  UPDATE workers SET info_json = (
    jsonb_set(j, '{breakers}', COALESCE(j -> 'breakers', '{}'::jsonb) || jsonb_build_object($2::text, $3::text))
  )::json
  FROM (SELECT CASE WHEN json_typeof(info_json) = 'object' THEN info_json::jsonb ELSE '{}'::jsonb END AS j
        FROM workers WHERE id = $1) AS cur
  WHERE id = $1`;

type LeaseOps = Pick<QueueOps, 'heldBy' | 'giveUpLease' | 'rescueExpired' | 'setBreakerState' | 'waitingForRetry'>;

export function pgLeaseOps(ctx: PgContext, key: Buffer | null): LeaseOps {
  const { pool } = ctx;

  const rescueExpired = (plan: LeaseRescuePlan): Promise<RescuedLease[]> =>
    withTx(pool, async (c) => {
      const now = (await run<{ now: number }>(c, NOW, [ctx.now()])).rows[0]!.now;
      const expired = (await run<PipelineRow>(c, EXPIRED, [now, plan.limit])).rows;
      const out: RescuedLease[] = [];
      const audit: AuditEntryInput[] = [];
      for (const before of expired) {
        const decision = plan.decide(before, now);
        const after = (
          await run<PipelineRow>(c, RESCUE, [before.id, decision.to, decision.errorJson, now, plan.actor, decision.note, before.state, before.lease_token])
        ).rows[0];
        if (!after) continue;
        audit.push(plan.auditFor(before, after, decision));
        out.push({ before, after, decision });
      }
      // After the books' rows, as every writer does (the chain head is locked last).
      await appendIn(ctx, key, c, audit);
      return out;
    });

  return {
    heldBy: async (workerId): Promise<HeldLease[]> =>
      (await run<{ id: string; lease_token: string | null }>(pool, HELD_BY, [workerId])).rows.map((r) => ({ id: r.id, leaseToken: r.lease_token })),
    giveUpLease: async ({ id, leaseToken, owner }) => ((await run(pool, GIVE_UP, [owner, ctx.now(), id, leaseToken])).rowCount ?? 0) > 0,
    rescueExpired,
    setBreakerState: async (workerId, dependency, state) => {
      await run(pool, BREAKER, [workerId, dependency, state]);
    },
    waitingForRetry: async () => (await run<{ n: number }>(pool, WAITING_FOR_RETRY, [ctx.now()])).rows[0]!.n,
  };
}
