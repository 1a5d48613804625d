/**
 * The SQLite side of a worker's leases beyond claim and heartbeat (src/db/queue.ts): which books
 * a worker still holds, giving one lease up, and the lease rescue of books whose worker died.
 * Statements are prepared on first use, once per connection.
 */
import type { Statement } from 'better-sqlite3';
import { immediate } from '../db.js';
import type { SqliteStores } from './engine.js';
import type { HeldLease, LeaseRescuePlan, QueueOps, RescuedLease } from '../ops/queue.js';
import type { PipelineRow } from '../pipeline-row.js';
import { PIPELINE_COLUMNS } from '../pipeline-row.js';
import { WORKING_STATES } from '../../domain/states.js';

const working = WORKING_STATES.map((s) => `'${s}'`).join(', ');

interface Stmts {
  heldBy: Statement<[string], { id: string; lease_token: string | null }>;
  giveUp: Statement<[{ dead: string; now: number; id: string; token: string }]>;
  expired: Statement<[{ now: number; limit: number }], PipelineRow>;
  rescue: Statement<[Record<string, unknown>], PipelineRow>;
  waitingForRetry: Statement<[number], { n: number }>;
  breaker: Statement<[{ id: string; dependency: string; state: string }]>;
}

function prepare({ db }: SqliteStores): Stmts {
  return {
    // Leased rows are few; the lease index carries lease_owner.
    heldBy: db.prepare('SELECT id, lease_token FROM pipelines INDEXED BY pipelines_lease_stuck WHERE lease_owner = ?'),
    giveUp: db.prepare('UPDATE pipelines SET lease_owner = @dead, lease_expires_at = @now WHERE id = @id AND lease_token = @token'),
    expired: db.prepare(
      `SELECT ${PIPELINE_COLUMNS} FROM pipelines INDEXED BY pipelines_lease_stuck
       WHERE lease_owner IS NOT NULL AND lease_expires_at < @now AND state IN (${working})
       ORDER BY lease_expires_at LIMIT @limit`,
    ),
    // The guard is repeated inside the UPDATE (state, token, still expired): a worker that came
    // back and committed in between keeps its write (river #1302).
    rescue: db.prepare(`
      UPDATE pipelines SET
        state = @to, error_json = @error, next_attempt_at = NULL,
        lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL,
        auto_recoveries = auto_recoveries + 1,
        state_entered_at = @now, updated_at = @now, version = version + 1,
        last_actor = @actor, transition_note = @note
      WHERE id = @id AND state = @from AND lease_token IS @token AND lease_expires_at < @now
      RETURNING ${PIPELINE_COLUMNS}`),
    waitingForRetry: db.prepare(`SELECT COUNT(*) AS n FROM pipelines WHERE state = 'needs_retry' AND next_attempt_at > ?`),
    // Bookkeeping of the worker like its heartbeat, not a change to a book: no audit row.
    breaker: db.prepare(
      `UPDATE workers SET info_json = json_set(CASE WHEN json_valid(info_json) THEN info_json ELSE '{}' END, '$.breakers.' || @dependency, @state) WHERE id = @id`,
    ),
  };
}

type LeaseOps = Pick<QueueOps, 'heldBy' | 'giveUpLease' | 'rescueExpired' | 'setBreakerState' | 'waitingForRetry'>;

export function sqliteLeaseOps(stores: SqliteStores): LeaseOps {
  const { db, clock, audit } = stores;
  let stmts: Stmts | undefined;
  const s = () => (stmts ??= prepare(stores));

  function rescueExpired(plan: LeaseRescuePlan): RescuedLease[] {
    return immediate(db, () => {
      const now = clock();
      const expired = s().expired.all({ now, limit: plan.limit });
      const out: RescuedLease[] = [];
      for (const before of expired) {
        const decision = plan.decide(before, now);
        const after = s().rescue.get({
          id: before.id,
          from: before.state,
          to: decision.to,
          token: before.lease_token,
          now,
          error: decision.errorJson,
          actor: plan.actor,
          note: decision.note,
        });
        if (!after) continue;
        audit.append(plan.auditFor(before, after, decision));
        out.push({ before, after, decision });
      }
      return out;
    });
  }

  return {
    heldBy: async (workerId): Promise<HeldLease[]> => s().heldBy.all(workerId).map((r) => ({ id: r.id, leaseToken: r.lease_token })),
    giveUpLease: async ({ id, leaseToken, owner }) => s().giveUp.run({ dead: owner, now: clock(), id, token: leaseToken }).changes > 0,
    rescueExpired: async (plan) => rescueExpired(plan),
    setBreakerState: async (workerId, dependency, state) => {
      s().breaker.run({ id: workerId, dependency, state });
    },
    waitingForRetry: async () => s().waitingForRetry.get(clock())!.n,
  };
}
