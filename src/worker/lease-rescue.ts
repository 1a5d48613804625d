/**
 * Lease-expiry rescue: a book whose worker stopped heartbeating (killed, host lost) sits in a
 * working state with an expired lease. Claims only take claimable states, so the worker runs
 * this small rescue on start and periodically: one guarded UPDATE moves such books to
 * needs_retry (claimable at once), with a STUCK_RECOVERED audit row by `system:lease-rescue` in
 * the same transaction. Attempts are kept (the lost attempt counts); auto_recoveries is counted,
 * and a book rescued more than `maxAutoRecoveries` times (a book that kills its worker) or out
 * of attempts goes to failed instead.
 *
 * Safe against live work: heartbeats extend leases every lease/3 from the main thread while
 * stages run off-thread, so an expired lease means the holder is gone or hung; if it ever comes
 * back, its next write fails the lease-token check and it abandons the book.
 * Idempotent when several workers run it at once: the guard is repeated inside the UPDATE.
 */
import type { Services } from '../services.js';
import { immediate } from '../db/db.js';
import type { PipelineRow } from '../db/pipeline-row.js';
import { WORKING_STATES } from '../domain/states.js';
import { PIPELINE_COLUMNS } from '../db/pipeline-row.js';

export const LEASE_RESCUE_ACTOR = 'system:lease-rescue';

const working = WORKING_STATES.map((s) => `'${s}'`).join(', ');

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

export function rescueExpiredLeases(services: Services, options: RescueOptions = {}): RescuedBook[] {
  const { db, clock, audit } = services;
  const maxRecoveries = options.maxAutoRecoveries ?? 3;
  const limit = options.limit ?? 200;
  return immediate(db, () => {
    const now = clock();
    const expired = db
      .prepare(
        `SELECT ${PIPELINE_COLUMNS} FROM pipelines INDEXED BY pipelines_lease_stuck
         WHERE lease_owner IS NOT NULL AND lease_expires_at < @now AND state IN (${working})
         ORDER BY lease_expires_at LIMIT @limit`,
      )
      .all({ now, limit }) as PipelineRow[];
    if (expired.length === 0) return [];
    const update = db.prepare(`
      UPDATE pipelines SET
        state = @to, error_json = @error, next_attempt_at = NULL,
        lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL,
        auto_recoveries = auto_recoveries + 1,
        state_entered_at = @now, updated_at = @now, version = version + 1,
        last_actor = @actor, transition_note = @note
      WHERE id = @id AND state = @from AND lease_token IS @token AND lease_expires_at < @now
      RETURNING ${PIPELINE_COLUMNS}`);
    const out: RescuedBook[] = [];
    for (const row of expired) {
      const maxAttempts = options.maxAttempts ?? row.max_attempts;
      const recoveries = row.auto_recoveries + 1;
      let to: 'needs_retry' | 'failed' = 'needs_retry';
      let error: string | null = row.error_json;
      const heldFor = row.heartbeat_at !== null ? Math.round((now - row.heartbeat_at) / 1000) : null;
      const lost = `worker ${row.lease_owner ?? '?'} stopped heartbeating${heldFor !== null ? ` ${heldFor}s ago` : ''} while the book was ${row.state}`;
      if (recoveries > maxRecoveries) {
        to = 'failed';
        error = JSON.stringify({
          code: 'too_many_recoveries',
          stage: row.state,
          message: `${lost}; the book was rescued ${recoveries} times (limit ${maxRecoveries}), so it may be crashing its worker`,
        });
      } else if (row.attempts >= maxAttempts) {
        to = 'failed';
        error = JSON.stringify({
          code: 'max_attempts',
          stage: row.state,
          message: `${lost}; attempts ${row.attempts} of ${maxAttempts} used`,
        });
      }
      const note = `lease expired: ${lost}`;
      const after = update.get({
        id: row.id,
        from: row.state,
        to,
        token: row.lease_token,
        now,
        error,
        actor: LEASE_RESCUE_ACTOR,
        note,
      }) as PipelineRow | undefined;
      if (!after) continue;
      audit.append({
        action: 'STUCK_RECOVERED',
        actor: LEASE_RESCUE_ACTOR,
        pipeline_id: row.id,
        reason: note,
        before: row.state,
        after: to,
        details: {
          lease_owner: row.lease_owner,
          lease_expires_at: row.lease_expires_at,
          attempts: row.attempts,
          auto_recoveries: after.auto_recoveries,
        },
      });
      out.push({
        id: row.id,
        from: row.state,
        to,
        lease_owner: row.lease_owner,
        attempts: after.attempts,
        auto_recoveries: after.auto_recoveries,
      });
    }
    return out;
  });
}
