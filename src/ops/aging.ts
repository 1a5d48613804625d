/**
 * Priority aging: a book waiting (in a claimable state) longer than `step_after_hours` (24 h) gets
 * effective priority base − `step` (2), never below 1; longer than `top_after_hours` (48 h) it
 * gets 1. Only the effective `priority` column changes; `base_priority` keeps what a person set.
 * One engine operation (`upkeep.ageWaiting`: one statement over the pipelines_state_entered index
 * ranges in SQLite), audited PRIORITY_AGED by system:aging with the ids, in the same transaction.
 */
import type { OpsContext } from './core.js';

export interface AgingReport {
  aged: number;
  /** Books now at priority 1 because they waited past top_after_hours. */
  to_top: number;
  ids: string[];
  audit_id: number | null;
}

export const AGING_ACTOR = 'system:aging';

export class PriorityAging {
  constructor(private readonly ctx: OpsContext) {}

  async run(): Promise<AgingReport> {
    const cfg = this.ctx.config.aging;
    const report: AgingReport = { aged: 0, to_top: 0, ids: [], audit_id: null };
    if (!cfg.enabled) return report;
    const r = await this.ctx.engine.upkeep.ageWaiting({
      stepAfterMs: cfg.step_after_hours * 3_600_000,
      topAfterMs: cfg.top_after_hours * 3_600_000,
      step: cfg.step,
      audit: (rows) => ({
        action: 'PRIORITY_AGED',
        actor: AGING_ACTOR,
        ids: rows.map((x) => x.id),
        count: rows.length,
        details: {
          step_after_hours: cfg.step_after_hours,
          top_after_hours: cfg.top_after_hours,
          step: cfg.step,
          to_top: rows.filter((x) => x.priority === 1).length,
          priorities: Object.fromEntries(rows.slice(0, 1000).map((x) => [x.id, x.priority])),
        },
      }),
    });
    if (r.aged.length === 0) return report;
    report.aged = r.aged.length;
    report.to_top = r.aged.filter((x) => x.priority === 1).length;
    report.ids = r.aged.map((x) => x.id);
    report.audit_id = r.auditId;
    return report;
  }
}
