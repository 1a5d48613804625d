/**
 * Stuck detection's reads on PostgreSQL (src/db/sqlite/stats-stuck.ts). Every read is an index
 * range: expired leases over pipelines_lease_stuck (partial: leased rows only, the fleet's
 * concurrency), over-threshold books one range per working state over pipelines_state_entered
 * (`state = s AND state_entered_at < cutoff`, all states in one statement through LATERAL), and
 * the counts stop at a cap, so a poll costs the same however many books are stuck.
 */
import { WORKING_STATES } from '../../domain/states.js';
import type { LearnedDuration, StuckCandidate, StuckCandidates, StuckCandidatesQuery, StuckCountQuery } from '../ops/stats.js';
import type { Queryable } from './tx.js';
import { run } from './sql.js';
import { WORKING_LIST } from './stats-sql.js';

const COLUMNS = `id, state, source_path, state_entered_at, lease_owner, lease_expires_at, priority, attempts,
  max_attempts, auto_recoveries, version`;
const P_COLUMNS = COLUMNS.split(',')
  .map((c) => `p.${c.trim()}`)
  .join(', ');

/**
 * Earliest expiry first, ties in the index's own order (as SQLite walks its copy of the index).
 * The partial index's predicate (lease_owner IS NOT NULL) is written out so the planner uses it.
 */
const LEASE_EXPIRED = `
  SELECT ${COLUMNS} FROM pipelines
  WHERE lease_owner IS NOT NULL AND lease_expires_at < $1 AND state IN (${WORKING_LIST})
  ORDER BY lease_expires_at, state, state_entered_at, lease_owner LIMIT $2`;

/** Per cut-off (in the order given), its state's books longest in it first, at most $3 each. */
const OVER_THRESHOLD = `
  SELECT c.* FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS q(state, cutoff, ord)
  CROSS JOIN LATERAL (
    SELECT ${P_COLUMNS} FROM pipelines p
    WHERE p.state = q.state AND p.state_entered_at < q.cutoff
    ORDER BY p.state_entered_at LIMIT $3) c
  ORDER BY q.ord, c.state_entered_at`;

/** Per cut-off, how many books are over it, each range stopping at $3 (index only). */
const COUNT_OVER = `
  SELECT (SELECT COUNT(*) FROM (
            SELECT 1 FROM pipelines p WHERE p.state = q.state AND p.state_entered_at < q.cutoff LIMIT $3) x) AS n
  FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS q(state, cutoff, ord)
  ORDER BY q.ord`;

/**
 * Expired leases not already over their state's cut-off (those were counted above): one pass
 * over the leased rows. The cut-offs come as one parameter per working state, NULL when not
 * given (a NULL cut-off matches nothing, as SQLite's CASE without that branch).
 */
const COUNT_LEASE_ONLY = `
  SELECT COUNT(*) AS n FROM (
    SELECT 1 FROM pipelines
    WHERE lease_owner IS NOT NULL AND lease_expires_at < $1 AND state IN (${WORKING_LIST})
      AND state_entered_at >= CASE state ${WORKING_STATES.map((s, i) => `WHEN '${s}' THEN $${i + 3}::bigint`).join(' ')} END
    LIMIT $2) x`;

/** Leased rows are few (the fleet's concurrency): exact, no cap needed. */
const COUNT_LEASE_EXPIRED = `
  SELECT COUNT(*) AS n FROM pipelines
  WHERE lease_owner IS NOT NULL AND lease_expires_at < $1 AND state IN (${WORKING_LIST})`;

/**
 * SQLite reads state_stats in its rowid order, which is the order the durations job first wrote
 * the states in (WORKING_STATES); here an upsert moves a row in the heap, so the order is said.
 */
const LEARNED = `
  SELECT state, samples, median_ms, p95_ms, max_ms FROM state_stats
  ORDER BY array_position($1::text[], state), state COLLATE "C"`;

export async function learned(c: Queryable): Promise<LearnedDuration[]> {
  return (await run<LearnedDuration>(c, LEARNED, [WORKING_STATES])).rows;
}

export async function leaseExpiredCount(c: Queryable, now: number): Promise<number> {
  return (await run<{ n: number }>(c, COUNT_LEASE_EXPIRED, [now])).rows[0]!.n;
}

export async function candidates(c: Queryable, q: StuckCandidatesQuery): Promise<StuckCandidates> {
  const leaseExpired = q.leaseExpired ? (await run<StuckCandidate>(c, LEASE_EXPIRED, [q.now, q.limit])).rows : [];
  const overThreshold =
    q.overThreshold && q.cutoffs.length > 0
      ? (await run<StuckCandidate>(c, OVER_THRESHOLD, [q.cutoffs.map((x) => x.state), q.cutoffs.map((x) => x.cutoff), q.limit])).rows
      : [];
  return { leaseExpired, overThreshold };
}

/**
 * SQLite's sum, step for step: each cut-off's count (at most stopAt) is added while the total is
 * below stopAt, then the lease-only ones if it still is. The per-state counts come in one
 * statement, so every range is walked (each still stopping at stopAt): bounded work, one round trip.
 */
export async function count(c: Queryable, q: StuckCountQuery): Promise<number> {
  const cap = q.stopAt;
  let n = 0;
  if (q.cutoffs.length > 0) {
    const per = (await run<{ n: number }>(c, COUNT_OVER, [q.cutoffs.map((x) => x.state), q.cutoffs.map((x) => x.cutoff), cap])).rows;
    for (const r of per) if (n < cap) n += r.n;
  }
  if (n < cap) {
    const given = new Map(q.cutoffs.map((x) => [x.state, x.cutoff]));
    const values = [q.now, cap, ...WORKING_STATES.map((s) => given.get(s) ?? null)];
    n += (await run<{ n: number }>(c, COUNT_LEASE_ONLY, values)).rows[0]!.n;
  }
  return n;
}
