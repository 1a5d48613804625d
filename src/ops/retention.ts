/**
 * Audit retention: the ONLY code that deletes audit rows. Rows are kept per action class
 * (APPROVED/REJECTED 365 days, ROLLED_BACK 730, BATCH_* 90 by default; any action not listed is
 * kept forever). The deletion and its AUDIT_PRUNED entry — the policy, the id range per pattern,
 * the count and a digest of every removed row — are one engine operation (`upkeep.pruneAudit`,
 * one transaction; in SQLite through the audit gate, see src/db/sqlite/upkeep.ts). `audit --verify`
 * accepts a gap only when such an entry accounts for it.
 */
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

export class AuditRetention {
  constructor(private readonly ctx: OpsContext) {}

  async run(): Promise<RetentionReport> {
    const cfg = this.ctx.config.retention;
    const report: RetentionReport = { deleted: {}, total: 0, audit_id: null };
    if (!cfg.enabled) return report;
    const r = await this.ctx.engine.upkeep.pruneAudit({
      days: cfg.days,
      audit: (pruned) => ({
        action: 'AUDIT_PRUNED',
        actor: RETENTION_ACTOR,
        count: pruned.total,
        details: { policy: cfg.days, deleted: pruned.deleted, ranges: pruned.ranges, digest: pruned.digest, digest_of: PRUNED_DIGEST_OF },
      }),
    });
    return { deleted: r.deleted, total: r.total, audit_id: r.auditId };
  }
}
