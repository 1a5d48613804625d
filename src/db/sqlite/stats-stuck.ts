/**
 * Stuck detection's reads. Every query is an index range: expired leases over
 * pipelines_lease_stuck, over-threshold books one range per working state over
 * pipelines_state_entered (`state = ? AND state_entered_at < cutoff`), and the counts stop at a
 * cap, so a poll costs the same however many books are stuck.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db.js';
import { WORKING_STATES } from '../../domain/states.js';
import type { LearnedDuration, StuckCandidate, StuckCandidates, StuckCandidatesQuery, StuckCountQuery } from '../ops/stats.js';
import { WORKING_LIST } from './stats-sql.js';

const COLUMNS = `id, state, source_path, state_entered_at, lease_owner, lease_expires_at, priority, attempts,
  max_attempts, auto_recoveries, version`;

export class StuckReads {
  private readonly leaseExpired: Statement<{ now: number; limit: number }, StuckCandidate>;
  private readonly overThreshold: Statement<{ state: string; cutoff: number; limit: number }, StuckCandidate>;
  private readonly countOver: Statement<{ state: string; cutoff: number; cap: number }, { n: number }>;
  private readonly countLeaseOnly: Statement<Record<string, number>, { n: number }>;
  private readonly countLeaseExpired: Statement<{ now: number }, { n: number }>;
  private readonly stats: Statement<[], LearnedDuration>;

  constructor(db: Db) {
    this.leaseExpired = db.prepare(`
      SELECT ${COLUMNS} FROM pipelines INDEXED BY pipelines_lease_stuck
      WHERE lease_owner IS NOT NULL AND lease_expires_at < @now AND state IN (${WORKING_LIST})
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
      WHERE lease_owner IS NOT NULL AND lease_expires_at < @now AND state IN (${WORKING_LIST})
        AND state_entered_at >= CASE state ${WORKING_STATES.map((s) => `WHEN '${s}' THEN @c_${s}`).join(' ')} END
      LIMIT @cap)`);
    // Leased rows are few (the fleet's concurrency): exact, no cap needed.
    this.countLeaseExpired = db.prepare(`
      SELECT COUNT(*) AS n FROM pipelines INDEXED BY pipelines_lease_stuck
      WHERE lease_owner IS NOT NULL AND lease_expires_at < @now AND state IN (${WORKING_LIST})`);
    this.stats = db.prepare('SELECT state, samples, median_ms, p95_ms, max_ms FROM state_stats');
  }

  learned(): LearnedDuration[] {
    return this.stats.all();
  }

  leaseExpiredCount(now: number): number {
    return this.countLeaseExpired.get({ now })!.n;
  }

  candidates(q: StuckCandidatesQuery): StuckCandidates {
    const leaseExpired = q.leaseExpired ? this.leaseExpired.all({ now: q.now, limit: q.limit }) : [];
    const overThreshold: StuckCandidate[] = [];
    if (q.overThreshold) {
      for (const c of q.cutoffs) overThreshold.push(...this.overThreshold.all({ state: c.state, cutoff: c.cutoff, limit: q.limit }));
    }
    return { leaseExpired, overThreshold };
  }

  /** Index counts per state, each stopping at `stopAt`: bounded work however many are stuck. */
  count(q: StuckCountQuery): number {
    const cap = q.stopAt;
    let n = 0;
    const params: Record<string, number> = { now: q.now, cap };
    for (const c of q.cutoffs) params[`c_${c.state}`] = c.cutoff;
    for (const c of q.cutoffs) {
      if (n < cap) n += this.countOver.get({ state: c.state, cutoff: c.cutoff, cap })!.n;
    }
    if (n < cap) n += this.countLeaseOnly.get(params)!.n;
    return n;
  }
}
