/**
 * Priority aging: a book waiting (in a claimable state) longer than `step_after_hours` (24 h) gets
 * effective priority base − `step` (2), never below 1; longer than `top_after_hours` (48 h) it
 * gets 1. Only the effective `priority` column changes; `base_priority` keeps what a person set.
 * One UPDATE over the pipelines_state_entered index ranges, audited PRIORITY_AGED by
 * system:aging with the ids, in the same immediate transaction.
 */
import type { Statement } from 'better-sqlite3';
import { immediate } from '../db/db.js';
import { CLAIMABLE_STATES } from '../domain/states.js';
import type { OpsContext } from './core.js';
import { sqlList } from './core.js';

export interface AgingReport {
  aged: number;
  /** Books now at priority 1 because they waited past top_after_hours. */
  to_top: number;
  ids: string[];
  audit_id: number | null;
}

export const AGING_ACTOR = 'system:aging';

export class PriorityAging {
  private readonly sweep: Statement<{ now: number; step_cutoff: number; top_cutoff: number; step: number }, { id: string; priority: number; before: number }>;

  constructor(private readonly ctx: OpsContext) {
    const target = `(CASE WHEN state_entered_at < @top_cutoff THEN 1 ELSE MAX(1, base_priority - @step) END)`;
    this.sweep = ctx.db.prepare(`
      UPDATE pipelines INDEXED BY pipelines_state_entered
      SET priority = ${target}, updated_at = @now, version = version + 1
      WHERE state IN (${sqlList(CLAIMABLE_STATES)}) AND state_entered_at < @step_cutoff AND priority > ${target}
      RETURNING id, priority, base_priority AS before`);
  }

  run(): AgingReport {
    const cfg = this.ctx.config.aging;
    const report: AgingReport = { aged: 0, to_top: 0, ids: [], audit_id: null };
    if (!cfg.enabled) return report;
    return immediate(this.ctx.db, () => {
      const now = this.ctx.clock();
      const rows = this.sweep.all({
        now,
        step_cutoff: now - cfg.step_after_hours * 3_600_000,
        top_cutoff: now - cfg.top_after_hours * 3_600_000,
        step: cfg.step,
      });
      if (rows.length === 0) return report;
      report.aged = rows.length;
      report.to_top = rows.filter((r) => r.priority === 1).length;
      report.ids = rows.map((r) => r.id);
      report.audit_id = this.ctx.audit.append({
        action: 'PRIORITY_AGED',
        actor: AGING_ACTOR,
        ids: report.ids,
        count: rows.length,
        details: {
          step_after_hours: cfg.step_after_hours,
          top_after_hours: cfg.top_after_hours,
          step: cfg.step,
          to_top: report.to_top,
          priorities: Object.fromEntries(rows.slice(0, 1000).map((r) => [r.id, r.priority])),
        },
      });
      return report;
    });
  }
}
