/**
 * Stuck detection. A book is stuck when
 *  (a) its lease expired while it is in a working state (its worker died or stalled), or
 *  (b) it has been in a working state longer than multiplier × the state's expected duration.
 * Expected = configured seconds for that state, else the learned median once `min_samples` runs
 * were seen (`state_stats`, refreshed by the durations job), else the built-in default. Waiting
 * books (queued, pending approval) are never stuck.
 *
 * Every query is an index range: (a) over pipelines_lease_stuck, (b) one range per working state
 * over pipelines_state_entered (`state = ? AND state_entered_at < now - threshold`).
 */
import type { Statement } from 'better-sqlite3';
import { WORKING_STATES, type PipelineState } from '../domain/states.js';
import { DEFAULT_EXPECTED_SECONDS } from '../config/ops.js';
import type { StuckBook, StuckDetector as StuckDetectorContract, StuckReason, StuckSurvey } from './types.js';
import type { OpsContext } from './core.js';
import { sqlList } from './core.js';

type WorkingState = (typeof WORKING_STATES)[number];

export interface StateThreshold {
  state: WorkingState;
  expected_seconds: number;
  threshold_seconds: number;
  source: 'config' | 'learned' | 'default';
  samples: number;
  p95_seconds: number | null;
  max_seconds: number | null;
}

interface Candidate {
  id: string;
  state: PipelineState;
  source_path: string;
  state_entered_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  priority: number;
  attempts: number;
  max_attempts: number;
  auto_recoveries: number;
  version: number;
}

const COLUMNS = `id, state, source_path, state_entered_at, lease_owner, lease_expires_at, priority, attempts,
  max_attempts, auto_recoveries, version`;
const working = sqlList(WORKING_STATES);

/**
 * Counting stops here: an exact count of a million stuck rows would walk a million index entries
 * on every poll, and "10,000+" says all a person needs (the Queue and Audit tabs stop there too).
 */
export const STUCK_COUNT_CAP = 10_000;

export interface DetectOptions {
  limit?: number;
  /** Only this reason. */
  reason?: StuckReason;
}

export class StuckDetector implements StuckDetectorContract {
  private readonly leaseExpired: Statement<{ now: number; limit: number }, Candidate>;
  private readonly overThreshold: Statement<{ state: string; cutoff: number; limit: number }, Candidate>;
  private readonly countOver: Statement<{ state: string; cutoff: number; cap: number }, { n: number }>;
  private readonly countLeaseOnly: Statement<Record<string, number>, { n: number }>;
  private readonly countLeaseExpired: Statement<{ now: number }, { n: number }>;
  private readonly stats: Statement<[], { state: string; samples: number; median_ms: number | null; p95_ms: number | null; max_ms: number | null }>;

  constructor(private readonly ctx: OpsContext) {
    const db = ctx.db;
    this.leaseExpired = db.prepare(`
      SELECT ${COLUMNS} FROM pipelines INDEXED BY pipelines_lease_stuck
      WHERE lease_owner IS NOT NULL AND lease_expires_at < @now AND state IN (${working})
      ORDER BY lease_expires_at LIMIT @limit`);
    this.overThreshold = db.prepare(`
      SELECT ${COLUMNS} FROM pipelines INDEXED BY pipelines_state_entered
      WHERE state = @state AND state_entered_at < @cutoff
      ORDER BY state_entered_at LIMIT @limit`);
    this.countOver = db.prepare(`
      SELECT COUNT(*) AS n FROM (SELECT 1 FROM pipelines INDEXED BY pipelines_state_entered
      WHERE state = @state AND state_entered_at < @cutoff LIMIT @cap)`);
    // Expired leases not already over threshold: one index-only pass (pipelines_lease_stuck).
    this.countLeaseOnly = db.prepare(`
      SELECT COUNT(*) AS n FROM (SELECT 1 FROM pipelines INDEXED BY pipelines_lease_stuck
      WHERE lease_owner IS NOT NULL AND lease_expires_at < @now AND state IN (${working})
        AND state_entered_at >= CASE state ${WORKING_STATES.map((s) => `WHEN '${s}' THEN @c_${s}`).join(' ')} END
      LIMIT @cap)`);
    // Leased rows are few (the fleet's concurrency): exact, no cap needed.
    this.countLeaseExpired = db.prepare(`
      SELECT COUNT(*) AS n FROM pipelines INDEXED BY pipelines_lease_stuck
      WHERE lease_owner IS NOT NULL AND lease_expires_at < @now AND state IN (${working})`);
    this.stats = db.prepare('SELECT state, samples, median_ms, p95_ms, max_ms FROM state_stats');
  }

  /** The threshold in force for each working state now, and where it comes from. */
  thresholds(): StateThreshold[] {
    const cfg = this.ctx.config.stuck;
    const learned = new Map(this.stats.all().map((r) => [r.state, r]));
    return WORKING_STATES.map((state) => {
      const s = learned.get(state);
      const configured = cfg.expected_seconds[state];
      let expected: number;
      let source: StateThreshold['source'];
      if (configured !== undefined) {
        expected = configured;
        source = 'config';
      } else if (s && s.samples >= cfg.min_samples && s.median_ms !== null && s.median_ms > 0) {
        expected = s.median_ms / 1000;
        source = 'learned';
      } else {
        expected = DEFAULT_EXPECTED_SECONDS[state];
        source = 'default';
      }
      return {
        state,
        expected_seconds: expected,
        threshold_seconds: expected * cfg.multiplier,
        source,
        samples: s?.samples ?? 0,
        p95_seconds: s?.p95_ms != null ? s.p95_ms / 1000 : null,
        max_seconds: s?.max_ms != null ? s.max_ms / 1000 : null,
      };
    });
  }

  /** Stuck books, longest in their state first; at most `limit` (default 100). */
  detect(options: DetectOptions = {}): StuckBook[] {
    return this.detectAt(this.ctx.clock(), this.thresholds(), options);
  }

  /**
   * The list and the total at one instant with one set of thresholds, so the tab bar, the
   * alert, the Stuck list and `stuck` all say the same number.
   */
  survey(options: { limit?: number } = {}): StuckSurvey {
    const now = this.ctx.clock();
    const thresholds = this.thresholds();
    const books = this.detectAt(now, thresholds, options);
    const t = this.tallyAt(now, thresholds);
    return { books, count: Math.max(books.length, t.count), capped: t.capped };
  }

  /** Working books whose lease has expired: their worker is gone, so they are stuck, not active. */
  leaseExpiredCount(): number {
    return this.countLeaseExpired.get({ now: this.ctx.clock() })!.n;
  }

  private detectAt(now: number, thresholds: StateThreshold[], options: DetectOptions): StuckBook[] {
    const limit = Math.max(1, Math.min(options.limit ?? 100, 100_000));
    const expectedOf = new Map(thresholds.map((t) => [t.state as string, t.expected_seconds]));
    const found = new Map<string, StuckBook>();
    const add = (c: Candidate, reason: StuckReason) => {
      if (found.has(c.id)) return;
      found.set(c.id, {
        id: c.id,
        state: c.state,
        stuck_seconds: Math.max(0, Math.round((now - c.state_entered_at) / 1000)),
        expected_seconds: expectedOf.get(c.state) ?? null,
        source_path: c.source_path,
        reason,
        lease_owner: c.lease_owner,
        priority: c.priority,
        attempts: c.attempts,
        max_attempts: c.max_attempts,
        auto_recoveries: c.auto_recoveries,
        version: c.version,
        state_entered_at: c.state_entered_at,
        lease_expires_at: c.lease_expires_at,
      });
    };
    if (options.reason !== 'over_threshold') {
      for (const c of this.leaseExpired.all({ now, limit })) add(c, 'lease_expired');
    }
    if (options.reason !== 'lease_expired') {
      for (const t of thresholds) {
        const cutoff = now - Math.round(t.threshold_seconds * 1000);
        for (const c of this.overThreshold.all({ state: t.state, cutoff, limit })) add(c, 'over_threshold');
      }
    }
    return [...found.values()].sort((a, b) => b.stuck_seconds - a.stuck_seconds || a.id.localeCompare(b.id)).slice(0, limit);
  }

  /** How many books are stuck now, at most STUCK_COUNT_CAP (index counts; no list). */
  count(): number {
    return this.tallyAt(this.ctx.clock(), this.thresholds()).count;
  }

  /** Index counts per state, each stopping at the cap: bounded work however many are stuck. */
  private tallyAt(now: number, thresholds: StateThreshold[]): { count: number; capped: boolean } {
    const cap = STUCK_COUNT_CAP + 1;
    let n = 0;
    const params: Record<string, number> = { now, cap };
    for (const t of thresholds) {
      const cutoff = now - Math.round(t.threshold_seconds * 1000);
      params[`c_${t.state}`] = cutoff;
      if (n < cap) n += this.countOver.get({ state: t.state, cutoff, cap })!.n;
    }
    if (n < cap) n += this.countLeaseOnly.get(params)!.n;
    return n > STUCK_COUNT_CAP ? { count: STUCK_COUNT_CAP, capped: true } : { count: n, capped: false };
  }
}
