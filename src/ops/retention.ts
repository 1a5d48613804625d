/**
 * Audit retention: the ONLY code that deletes audit rows. Rows are kept per action class
 * (APPROVED/REJECTED 365 days, ROLLED_BACK 730, BATCH_* 90 by default; any action not listed is
 * kept forever). The audit table refuses DELETE unless `audit_gate.open = 1`; this opens the gate,
 * deletes, closes it and records an AUDIT_RETENTION row with the counts, all in one immediate
 * transaction, so the gate is never seen open by anyone else and a failure leaves it closed.
 */
import { immediate } from '../store/db.js';
import type { OpsContext } from './core.js';

export interface RetentionReport {
  /** Action pattern → rows deleted. */
  deleted: Record<string, number>;
  total: number;
  audit_id: number | null;
}

export const RETENTION_ACTOR = 'system:retention';
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
    const del = db.prepare(
      `DELETE FROM audit INDEXED BY audit_action WHERE action GLOB @pattern AND action <> 'AUDIT_RETENTION'
       AND id < @first_kept AND at < @cutoff`,
    );
    return immediate(db, () => {
      const now = this.ctx.clock();
      db.prepare('UPDATE audit_gate SET open = 1 WHERE id = 1').run();
      try {
        for (const [pattern, days] of Object.entries(cfg.days)) {
          const cutoff = now - Math.round(days * DAY);
          const { id } = firstKept.get({ cutoff }) as { id: number };
          const n = del.run({ pattern, first_kept: id, cutoff }).changes;
          report.deleted[pattern] = n;
          report.total += n;
        }
      } finally {
        db.prepare('UPDATE audit_gate SET open = 0 WHERE id = 1').run();
      }
      if (report.total > 0) {
        report.audit_id = this.ctx.audit.append({
          action: 'AUDIT_RETENTION',
          actor: RETENTION_ACTOR,
          count: report.total,
          details: { deleted: report.deleted, days: cfg.days },
        });
      }
      return report;
    });
  }
}
