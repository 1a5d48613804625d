/**
 * Recovery of stuck books: retry (→ needs_retry with backoff, or failed once attempts are used
 * up), reset (start over: → detected, an embedding book → approved), reject (reason required).
 *
 * Each recovery is one immediate transaction: re-read the book, refuse unless it is still in a
 * working state (and, when given, still at the version the operator saw / its lease still
 * expired), then one compare-and-swap UPDATE that revokes the lease and moves the state, and the
 * STUCK_RECOVERED audit row. Two operators pressing at once: the second finds the book no longer
 * in a working state (or at another version) and gets AlreadyRecoveredError; nothing is written.
 * The worker that held the lease finds its token gone on its next write and abandons the book.
 */
import { immediate } from '../db/db.js';
import type { PipelineRow, PipelinePatch } from '../db/pipeline-row.js';
import type { Actor } from '../domain/actor.js';
import { IllegalTransitionError, InputError } from '../domain/errors.js';
import { isWorkingState, type PipelineState } from '../domain/states.js';
import type { RecoveryRule } from '../config/ops.js';
import type { RecoveryAction, RecoveryResult, StuckBook, StuckRecovery as StuckRecoveryContract } from './types.js';
import type { OpsContext } from './core.js';
import type { StuckDetector } from './stuck-detector.js';

/** The book was already recovered (or moved on) since it was seen; nothing was written. */
export class AlreadyRecoveredError extends IllegalTransitionError {
  override name = 'AlreadyRecoveredError';
}

/** The book has had its automatic recoveries; only an operator may recover it now. */
export class AutoRecoveryCapError extends InputError {
  override name = 'AutoRecoveryCapError';
}

export interface RecoverOptions {
  /** Why (required for reject); stored on the audit row and the history row. */
  reason?: string;
  /** Refuse unless the book is still at this version (what the operator or detector saw). */
  expectedVersion?: number;
  /** Refuse unless the book's lease is still expired (automatic lease rule). */
  requireLeaseExpired?: boolean;
  /** Set by automatic recovery: counts against max_auto_recoveries. */
  auto?: { rule: string };
}

export interface AutoRecoveryReport {
  recovered: { id: string; rule: string; action: RecoveryAction; to: PipelineState; audit_id: number }[];
  /** Stuck books that reached max_auto_recoveries: alert only. */
  capped: string[];
  /** Stuck books no rule matches (left for an operator). */
  unmatched: number;
  skipped: { id: string; why: string }[];
}

export class StuckRecovery implements StuckRecoveryContract {
  constructor(
    private readonly ctx: OpsContext,
    private readonly detector: StuckDetector,
  ) {}

  recover(id: string, action: RecoveryAction, actor: Actor, reason?: string): RecoveryResult {
    return this.recoverWith(id, action, actor, reason !== undefined ? { reason } : {});
  }

  recoverWith(idOrPrefix: string, action: RecoveryAction, actor: Actor | string, options: RecoverOptions = {}): RecoveryResult {
    const why = options.reason?.trim() || undefined;
    if (action === 'reject' && !why) throw new InputError('reject needs a reason (--reason "…")');
    if (action !== 'retry' && action !== 'reset' && action !== 'reject') {
      throw new InputError(`unknown recovery action '${String(action)}': use retry, reset or reject`);
    }
    const id = this.ctx.pipelines.resolveId(idOrPrefix);
    return immediate(this.ctx.db, () => {
      const now = this.ctx.clock();
      const row = this.ctx.pipelines.require(id);
      const short = id.slice(0, 8);
      if (!isWorkingState(row.state)) {
        throw new AlreadyRecoveredError(
          id, row.state, '',
          `pipeline ${short} is ${row.state}, not in a working state: nothing to recover (already recovered?)`,
        );
      }
      if (options.expectedVersion !== undefined && row.version !== options.expectedVersion) {
        throw new AlreadyRecoveredError(id, row.state, '', `pipeline ${short} changed since it was listed (already recovered or moved on); nothing done`);
      }
      const leaseExpired = row.lease_owner !== null && row.lease_expires_at !== null && row.lease_expires_at < now;
      if (options.requireLeaseExpired && !leaseExpired) {
        throw new AlreadyRecoveredError(id, row.state, '', `pipeline ${short} has a live lease again; nothing done`);
      }
      const cap = this.ctx.config.recovery.max_auto_recoveries;
      if (options.auto && row.auto_recoveries >= cap) {
        throw new AutoRecoveryCapError(`pipeline ${short} already had ${row.auto_recoveries} automatic recoveries (max ${cap}); an operator must decide`);
      }
      const stuckSeconds = Math.round((now - row.state_entered_at) / 1000);
      const cause =
        why ??
        (leaseExpired
          ? `lease of ${row.lease_owner} expired ${Math.round((now - row.lease_expires_at!) / 1000)}s ago in ${row.state}`
          : `in ${row.state} for ${stuckSeconds}s`);
      const { to, patch } = this.target(row, action, now, cause);
      if (options.auto) patch.auto_recoveries = row.auto_recoveries + 1;
      const after = this.ctx.pipelines.transitionInTx({
        id,
        from: row.state,
        to,
        actor,
        note: `${action}: ${cause}`,
        releaseLease: true,
        expectedVersion: row.version,
        patch,
      });
      const auditId = this.ctx.audit.append({
        action: 'STUCK_RECOVERED',
        actor,
        pipeline_id: id,
        reason: cause,
        before: row.state,
        after: after.state,
        confidence: row.confidence,
        details: {
          action,
          cause,
          automatic: Boolean(options.auto),
          ...(options.auto ? { rule: options.auto.rule, auto_recoveries: after.auto_recoveries } : {}),
          lease_owner: row.lease_owner,
          lease_expired: leaseExpired,
          stuck_seconds: stuckSeconds,
          attempts: row.attempts,
          max_attempts: row.max_attempts,
          next_attempt_at: after.next_attempt_at,
        },
      });
      return { pipeline: after, action, audit_id: auditId };
    });
  }

  private target(row: PipelineRow, action: RecoveryAction, now: number, cause: string): { to: PipelineState; patch: PipelinePatch } {
    switch (action) {
      case 'retry': {
        const error_json = JSON.stringify({ code: 'stuck', message: cause });
        // The claim that started this run counted the attempt; used up → failed, not retried.
        if (row.attempts >= row.max_attempts) return { to: 'failed', patch: { error_json, next_attempt_at: null } };
        const cfg = this.ctx.config.recovery;
        const backoffMs = Math.min(cfg.backoff_max_seconds, cfg.backoff_base_seconds * 2 ** Math.max(0, row.attempts - 1)) * 1000;
        return { to: 'needs_retry', patch: { error_json, next_attempt_at: now + Math.round(backoffMs) } };
      }
      case 'reset':
        return {
          to: row.state === 'embedding' ? 'approved' : 'detected',
          patch: { attempts: 0, next_attempt_at: null, error_json: null },
        };
      case 'reject':
        return { to: 'rejected', patch: { next_attempt_at: null } };
    }
  }

  /**
   * Applies the configured automatic rules to the books stuck now. At most max_auto_recoveries
   * per book; after that the book is only reported (capped) for an operator.
   */
  async autoRecover(options: { limit?: number } = {}): Promise<AutoRecoveryReport> {
    const cfg = this.ctx.config;
    const report: AutoRecoveryReport = { recovered: [], capped: [], unmatched: 0, skipped: [] };
    const now = this.ctx.clock();
    const stuck = await this.detector.detect({ limit: options.limit ?? 1000 });
    for (const book of stuck) {
      const rule = this.matchRule(book, cfg.recovery.rules, now);
      if (!rule) {
        report.unmatched++;
        continue;
      }
      if (book.auto_recoveries >= cfg.recovery.max_auto_recoveries) {
        report.capped.push(book.id);
        continue;
      }
      try {
        const r = this.recoverWith(book.id, rule.action, `auto:${rule.name}`, {
          expectedVersion: book.version,
          requireLeaseExpired: rule.when === 'lease_expired',
          auto: { rule: rule.name },
          ...(rule.action === 'reject' ? { reason: `automatic rule ${rule.name}` } : {}),
        });
        report.recovered.push({ id: book.id, rule: rule.name, action: rule.action, to: r.pipeline.state, audit_id: r.audit_id });
      } catch (err) {
        if (err instanceof AutoRecoveryCapError) report.capped.push(book.id);
        else if (err instanceof InputError) report.skipped.push({ id: book.id, why: err.message });
        else throw err;
      }
    }
    return report;
  }

  private matchRule(book: StuckBook, rules: readonly RecoveryRule[], now: number): RecoveryRule | undefined {
    const leaseExpired = book.lease_owner !== null && book.lease_expires_at != null && book.lease_expires_at < now;
    const threshold = book.expected_seconds !== null ? book.expected_seconds * this.ctx.config.stuck.multiplier : Infinity;
    const inState = book.state_entered_at !== undefined ? (now - book.state_entered_at) / 1000 : book.stuck_seconds;
    const over = inState > threshold;
    return rules.find(
      (r) =>
        (r.when === 'lease_expired' ? leaseExpired : over) &&
        (r.state === undefined || r.state === book.state) &&
        (r.min_stuck_seconds === undefined || book.stuck_seconds >= r.min_stuck_seconds),
    );
  }
}
