/**
 * Lease-expiry rescue: a book whose worker stopped heartbeating (killed, host lost) sits in a
 * working state with an expired lease. Claims only take claimable states, so the worker runs
 * this small rescue on start and periodically: one guarded write per book moves such books to
 * needs_retry (claimable at once), with a STUCK_RECOVERED audit row by `system:lease-rescue` in
 * the same transaction. Attempts are kept (the lost attempt counts); auto_recoveries is counted,
 * and a book rescued more than `maxAutoRecoveries` times (a book that kills its worker) or out
 * of attempts goes to failed instead.
 *
 * Safe against live work: heartbeats extend leases every lease/3 from the main thread while
 * stages run off-thread, so an expired lease means the holder is gone or hung; if it ever comes
 * back, its next write fails the lease-token check and it abandons the book.
 * Idempotent when several workers run it at once: the guard is repeated inside the write.
 * The policy (caps, messages, audit entry) is here; the guarded write is `engine.queue.rescueExpired`.
 */
import type { EngineServices } from '../services.js';
import type { LeaseRescueDecision, LeaseRescuePlan } from '../db/ops/queue.js';
import type { PipelineRow } from '../db/pipeline-row.js';

export const LEASE_RESCUE_ACTOR = 'system:lease-rescue';

export interface RescueOptions {
  /** After this many automatic rescues the book fails instead (default 3). */
  maxAutoRecoveries?: number;
  /** Overrides each book's max_attempts when set. */
  maxAttempts?: number;
  limit?: number;
}

export interface RescuedBook {
  id: string;
  from: string;
  to: 'needs_retry' | 'failed';
  lease_owner: string | null;
  attempts: number;
  auto_recoveries: number;
}

/** The rescue policy as data for the engine: where each expired book goes, and its audit entry. */
export function leaseRescuePlan(options: RescueOptions = {}): LeaseRescuePlan {
  const maxRecoveries = options.maxAutoRecoveries ?? 3;
  return {
    actor: LEASE_RESCUE_ACTOR,
    limit: options.limit ?? 200,
    decide(row: PipelineRow, now: number): LeaseRescueDecision {
      const maxAttempts = options.maxAttempts ?? row.max_attempts;
      const recoveries = row.auto_recoveries + 1;
      const heldFor = row.heartbeat_at !== null ? Math.round((now - row.heartbeat_at) / 1000) : null;
      const lost = `worker ${row.lease_owner ?? '?'} stopped heartbeating${heldFor !== null ? ` ${heldFor}s ago` : ''} while the book was ${row.state}`;
      const note = `lease expired: ${lost}`;
      if (recoveries > maxRecoveries) {
        const message = `${lost}; the book was rescued ${recoveries} times (limit ${maxRecoveries}), so it may be crashing its worker`;
        return { to: 'failed', errorJson: JSON.stringify({ code: 'too_many_recoveries', stage: row.state, message }), note };
      }
      if (row.attempts >= maxAttempts) {
        const message = `${lost}; attempts ${row.attempts} of ${maxAttempts} used`;
        return { to: 'failed', errorJson: JSON.stringify({ code: 'max_attempts', stage: row.state, message }), note };
      }
      // The lost attempt counts; the book's last error (if any) stays as it was.
      return { to: 'needs_retry', errorJson: row.error_json, note };
    },
    auditFor: (before, after, decision) => ({
      action: 'STUCK_RECOVERED',
      actor: LEASE_RESCUE_ACTOR,
      pipeline_id: before.id,
      reason: decision.note,
      before: before.state,
      after: decision.to,
      details: {
        lease_owner: before.lease_owner,
        lease_expires_at: before.lease_expires_at,
        attempts: before.attempts,
        auto_recoveries: after.auto_recoveries,
      },
    }),
  };
}

export async function rescueExpiredLeases(services: Pick<EngineServices, 'engine'>, options: RescueOptions = {}): Promise<RescuedBook[]> {
  const rescued = await services.engine.queue.rescueExpired(leaseRescuePlan(options));
  return rescued.map(({ before, after, decision }) => ({
    id: before.id,
    from: before.state,
    to: decision.to as RescuedBook['to'],
    lease_owner: before.lease_owner,
    attempts: after.attempts,
    auto_recoveries: after.auto_recoveries,
  }));
}
