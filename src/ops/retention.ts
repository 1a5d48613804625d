/**
 * Audit retention: the ONLY code that deletes audit rows. Rows are kept per action class
 * (APPROVED/REJECTED 365 days, ROLLED_BACK 730, BATCH_* 90 by default; any action not listed is
 * kept forever). The audit table refuses DELETE unless `audit_gate.open = 1`; this opens the gate
 * naming the AUDIT_PRUNED entry it will append (`audit_gate.pruning`, copied into each deletion
 * record by trigger), deletes, closes it and appends that entry — the policy, the id range per
 * pattern, the count and a digest of every removed row — all in one immediate transaction, so
 * the gate is never seen open by anyone else and a failure leaves it closed. `audit --verify`
 * accepts a gap only when such an entry accounts for it.
 */
import crypto from 'node:crypto';
import { immediate } from '../db/db.js';
import { prunedDigestLine } from '../db/audit.js';
import type { OpsContext } from './core.js';

export interface RetentionReport {
  /** Action pattern → rows deleted. */
  deleted: Record<string, number>;
  total: number;
  audit_id: number | null;
}

export const RETENTION_ACTOR = 'system:retention';
/** How AUDIT_PRUNED's digest is computed, in its own words (verify recomputes it). */
export const PRUNED_DIGEST_OF = 'sha256 over "id\\thash\\taction\\tat\\n" of each removed entry, in id order';
const DAY = 86_400_000;

export class AuditRetention {
  constructor(private readonly ctx: OpsContext) {}

  run(): RetentionReport {
    const cfg = this.ctx.config.retention;
    const report: RetentionReport = { deleted: {}, total: 0, audit_id: null };
    if (!cfg.enabled) return report;
    const db = this.ctx.db;
    // ids grow with time, so "older than" becomes an id bound found through audit_at.
    const firstKept = db.prepare('SELECT COALESCE(MIN(id), 9223372036854775807) AS id FROM audit WHERE at >= @cutoff');
    // Retention's own entries are never removed: they account for the gaps.
    const del = db
      .prepare(
        `DELETE FROM audit INDEXED BY audit_action WHERE action GLOB @pattern
         AND action NOT IN ('AUDIT_RETENTION', 'AUDIT_PRUNED') AND id < @first_kept AND at < @cutoff RETURNING id`,
      )
      .pluck();
    const removed = db.prepare('SELECT id, hash, action, at FROM audit_deletions WHERE pruned_by = ? ORDER BY id');
    return immediate(db, () => {
      const now = this.ctx.clock();
      const entryId = this.ctx.audit.nextId();
      const ranges: Record<string, [number, number]> = {};
      db.prepare('UPDATE audit_gate SET open = 1, pruning = ? WHERE id = 1').run(entryId);
      try {
        for (const [pattern, days] of Object.entries(cfg.days)) {
          const cutoff = now - Math.round(days * DAY);
          const { id } = firstKept.get({ cutoff }) as { id: number };
          const ids = del.all({ pattern, first_kept: id, cutoff }) as number[];
          report.deleted[pattern] = ids.length;
          report.total += ids.length;
          if (ids.length > 0) {
            let lo = ids[0]!;
            let hi = lo;
            for (const x of ids) {
              if (x < lo) lo = x;
              if (x > hi) hi = x;
            }
            ranges[pattern] = [lo, hi];
          }
        }
      } finally {
        db.prepare('UPDATE audit_gate SET open = 0, pruning = NULL WHERE id = 1').run();
      }
      if (report.total > 0) {
        const digest = crypto.createHash('sha256');
        for (const d of removed.iterate(entryId) as Iterable<{ id: number; hash: string; action: string; at: number }>) {
          digest.update(prunedDigestLine(d));
        }
        report.audit_id = this.ctx.audit.append({
          action: 'AUDIT_PRUNED',
          actor: RETENTION_ACTOR,
          count: report.total,
          details: { policy: cfg.days, deleted: report.deleted, ranges, digest: digest.digest('hex'), digest_of: PRUNED_DIGEST_OF },
        });
        // The deletion records name this id; appending must have given it out.
        if (report.audit_id !== entryId) throw new Error(`retention expected to append audit entry #${entryId}, got #${report.audit_id}`);
      }
      return report;
    });
  }
}
