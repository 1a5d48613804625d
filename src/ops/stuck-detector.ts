/**
 * Stuck detection. A book is stuck when
 *  (a) its lease expired while it is in a working state (its worker died or stalled), or
 *  (b) it has been in a working state longer than multiplier × the state's expected duration.
 * Expected = configured seconds for that state, else the learned median once `min_samples` runs
 * were seen (`state_stats`, refreshed by the durations job), else the built-in default. Waiting
 * books (queued, pending approval) are never stuck.
 *
 * The rule (thresholds, cut-offs, which reason wins, the cap) is here; the reads are the engine's
 * (`engine.stats`), each an index range: (a) over the expired leases, (b) one range per working
 * state of books that entered it before now - threshold.
 */
import { WORKING_STATES } from '../domain/states.js';
import { DEFAULT_EXPECTED_SECONDS } from '../config/ops.js';
import type { LearnedDuration, StateCutoff, StuckCandidate, StuckCandidates, StuckCandidatesQuery } from '../db/ops/stats.js';
import type { StuckBook, StuckDetector as StuckDetectorContract, StuckReason, StuckSurvey } from './types.js';
import type { OpsContext } from './core.js';

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

/** Counting stops one past the cap: more than the cap found means "at least the cap" (capped). */
const COUNT_STOP_AT = STUCK_COUNT_CAP + 1;

export class StuckDetector implements StuckDetectorContract {
  constructor(private readonly ctx: OpsContext) {}

  /** The threshold in force for each working state now, and where it comes from. */
  async thresholds(): Promise<StateThreshold[]> {
    return this.thresholdsFrom(await this.ctx.engine.stats.learnedDurations());
  }

  /**
   * Thresholds from learned durations: configured seconds, else the learned median once
   * `min_samples` runs were seen, else the built-in default; stuck past `multiplier` × that.
   */
  thresholdsFrom(learnedRows: readonly LearnedDuration[]): StateThreshold[] {
    const cfg = this.ctx.config.stuck;
    const learned = new Map(learnedRows.map((r) => [r.state, r]));
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

  /** Each working state's cut-off at `now`: a book that entered it earlier is over threshold. */
  cutoffsAt(now: number, thresholds: readonly StateThreshold[]): StateCutoff[] {
    return thresholds.map((t) => ({ state: t.state, cutoff: now - Math.round(t.threshold_seconds * 1000) }));
  }

  /** Stuck books, longest in their state first; at most `limit` (default 100). */
  async detect(options: DetectOptions = {}): Promise<StuckBook[]> {
    const now = this.ctx.clock();
    const thresholds = await this.thresholds();
    const q = this.candidatesQuery(now, thresholds, options);
    return this.booksFrom(now, thresholds, q.limit, await this.ctx.engine.stats.stuckCandidates(q));
  }

  /**
   * The list and the total at one instant with one set of thresholds, so the tab bar, the
   * alert, the Stuck list and `stuck` all say the same number.
   */
  async survey(options: { limit?: number } = {}): Promise<StuckSurvey> {
    const now = this.ctx.clock();
    const thresholds = await this.thresholds();
    const q = this.candidatesQuery(now, thresholds, options);
    const r = await this.ctx.engine.stats.stuckSurvey({ ...q, stopAt: COUNT_STOP_AT });
    const books = this.booksFrom(now, thresholds, q.limit, r);
    const t = capped(r.count);
    return { books, count: Math.max(books.length, t.count), capped: t.capped };
  }

  /** Working books whose lease has expired: their worker is gone, so they are stuck, not active. */
  async leaseExpiredCount(): Promise<number> {
    return this.ctx.engine.stats.leaseExpiredCount(this.ctx.clock());
  }

  /** How many books are stuck now, at most STUCK_COUNT_CAP (index counts; no list). */
  async count(): Promise<number> {
    const now = this.ctx.clock();
    const cutoffs = this.cutoffsAt(now, await this.thresholds());
    return capped(await this.ctx.engine.stats.stuckCount({ now, cutoffs, stopAt: COUNT_STOP_AT })).count;
  }

  private candidatesQuery(now: number, thresholds: readonly StateThreshold[], options: DetectOptions): StuckCandidatesQuery {
    return {
      now,
      cutoffs: this.cutoffsAt(now, thresholds),
      limit: Math.max(1, Math.min(options.limit ?? 100, 100_000)),
      leaseExpired: options.reason !== 'over_threshold',
      overThreshold: options.reason !== 'lease_expired',
    };
  }

  /** Expired leases first (a book both expired and over threshold is reported as expired), longest stuck first. */
  private booksFrom(now: number, thresholds: readonly StateThreshold[], limit: number, c: StuckCandidates): StuckBook[] {
    const expectedOf = new Map(thresholds.map((t) => [t.state as string, t.expected_seconds]));
    const found = new Map<string, StuckBook>();
    const add = (b: StuckCandidate, reason: StuckReason) => {
      if (found.has(b.id)) return;
      found.set(b.id, {
        id: b.id,
        state: b.state,
        stuck_seconds: Math.max(0, Math.round((now - b.state_entered_at) / 1000)),
        expected_seconds: expectedOf.get(b.state) ?? null,
        source_path: b.source_path,
        reason,
        lease_owner: b.lease_owner,
        priority: b.priority,
        attempts: b.attempts,
        max_attempts: b.max_attempts,
        auto_recoveries: b.auto_recoveries,
        version: b.version,
        state_entered_at: b.state_entered_at,
        lease_expires_at: b.lease_expires_at,
      });
    };
    for (const b of c.leaseExpired) add(b, 'lease_expired');
    for (const b of c.overThreshold) add(b, 'over_threshold');
    return [...found.values()].sort((a, b) => b.stuck_seconds - a.stuck_seconds || a.id.localeCompare(b.id)).slice(0, limit);
  }
}

/** A count read with COUNT_STOP_AT, as shown: beyond the cap it is "10,000+". */
function capped(n: number): { count: number; capped: boolean } {
  return n > STUCK_COUNT_CAP ? { count: STUCK_COUNT_CAP, capped: true } : { count: n, capped: false };
}
