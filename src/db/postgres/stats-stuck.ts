/**
 * Stuck detection's reads on PostgreSQL (src/db/sqlite/stats-stuck.ts). Every read is an index
 * range: expired leases over pipelines_lease_stuck (partial: leased rows only, the fleet's
 * concurrency), over-threshold books one range per working state over pipelines_state_entered
 * (`state = s AND state_entered_at < cutoff`, all states in one statement through LATERAL), and
 * the counts stop at a cap, so a poll costs the same however many books are stuck.
 *
 * Each operation is one statement, lists as JSON (see stats-health.ts for why round trips are
 * what a report costs), and one statement reads one snapshot: the survey's list and its count
 * describe the same instant without a transaction around them.
 */
import { WORKING_STATES } from '../../domain/states.js';
import type { LearnedDuration, StuckCandidate, StuckCandidates, StuckCandidatesQuery, StuckCountQuery } from '../ops/stats.js';
import type { Queryable } from './tx.js';
import { run } from './sql.js';
import { WORKING_LIST, inWorkingStates } from './stats-sql.js';

const COLUMNS = `p.id, p.state, p.source_path, p.state_entered_at, p.lease_owner, p.lease_expires_at, p.priority,
  p.attempts, p.max_attempts, p.auto_recoveries, p.version`;

/**
 * Working books whose lease ran out, earliest expiry first (ties in the index's own order, as
 * SQLite walks its copy of the index). The partial index's predicate is written out so the
 * planner takes it. `$on` false reads nothing. The state test is a filter (inWorkingStates), so
 * the range is read in lease order and stops at the limit.
 */
export const leaseExpiredJson = (now: string, limit: string, on: string) => `
  SELECT COALESCE(json_agg(l ORDER BY l.lease_expires_at, l.state, l.state_entered_at, l.lease_owner), '[]') FROM (
    SELECT ${COLUMNS} FROM pipelines p
    WHERE ${on}::boolean AND p.lease_owner IS NOT NULL AND p.lease_expires_at < ${now} AND ${inWorkingStates('p.state')}
    ORDER BY p.lease_expires_at, p.state, p.state_entered_at, p.lease_owner LIMIT ${limit}) l`;

/** Per cut-off (in the order given), its state's books longest in it first, at most `limit` each. */
const overThresholdJson = (states: string, cutoffs: string, limit: string, on: string) => `
  SELECT COALESCE(json_agg(c ORDER BY q.ord, c.state_entered_at), '[]')
  FROM unnest(${states}::text[], ${cutoffs}::bigint[]) WITH ORDINALITY AS q(state, cutoff, ord)
  CROSS JOIN LATERAL (
    SELECT ${COLUMNS} FROM pipelines p
    WHERE ${on}::boolean AND p.state = q.state AND p.state_entered_at < q.cutoff
    ORDER BY p.state_entered_at LIMIT ${limit}) c`;

/** Per cut-off, how many books are over it, each range stopping at `cap` (index only). */
const countOverJson = (states: string, cutoffs: string, cap: string) => `
  SELECT COALESCE(json_agg(x.n ORDER BY q.ord), '[]')
  FROM unnest(${states}::text[], ${cutoffs}::bigint[]) WITH ORDINALITY AS q(state, cutoff, ord)
  CROSS JOIN LATERAL (
    SELECT COUNT(*) AS n FROM (
      SELECT 1 FROM pipelines p WHERE p.state = q.state AND p.state_entered_at < q.cutoff LIMIT ${cap}) y) x`;

/**
 * Expired leases not already over their state's cut-off (those are counted above): one pass over
 * the leased rows. The cut-offs come as one parameter per working state from `first` on, NULL
 * when not given (a NULL cut-off matches nothing, as SQLite's CASE without that branch).
 */
const countLeaseOnly = (now: string, cap: string, first: number) => `
  SELECT COUNT(*) FROM (
    SELECT 1 FROM pipelines
    WHERE lease_owner IS NOT NULL AND lease_expires_at < ${now} AND state IN (${WORKING_LIST})
      AND state_entered_at >= CASE state ${WORKING_STATES.map((s, i) => `WHEN '${s}' THEN $${first + i}::bigint`).join(' ')} END
    LIMIT ${cap}) x`;

/** $1 now, $2 limit, $3 leaseExpired, $4 states, $5 cut-offs, $6 overThreshold. */
const CANDIDATES = `
  SELECT (${leaseExpiredJson('$1', '$2', '$3')}) AS lease_expired,
         (${overThresholdJson('$4', '$5', '$2', '$6')}) AS over_threshold`;

/** $1 now, $2 cap, $3 states, $4 cut-offs, $5… one cut-off per working state. */
const COUNT = `
  SELECT (${countOverJson('$3', '$4', '$2')}) AS per_state, (${countLeaseOnly('$1', '$2', 5)}) AS lease_only`;

/** CANDIDATES' $1–$6, then $7 cap, $8… one cut-off per working state. */
const SURVEY = `
  SELECT (${leaseExpiredJson('$1', '$2', '$3')}) AS lease_expired,
         (${overThresholdJson('$4', '$5', '$2', '$6')}) AS over_threshold,
         (${countOverJson('$4', '$5', '$7')}) AS per_state,
         (${countLeaseOnly('$1', '$7', 8)}) AS lease_only`;

/** Leased rows are few (the fleet's concurrency): exact, no cap needed. $1 now. */
export const COUNT_LEASE_EXPIRED = `
  SELECT COUNT(*) AS n FROM pipelines
  WHERE lease_owner IS NOT NULL AND lease_expires_at < $1 AND state IN (${WORKING_LIST})`;

/**
 * SQLite reads state_stats in its rowid order, which is the order the durations job first wrote
 * the states in (WORKING_STATES); here an upsert moves a row in the heap, so the order is said.
 */
const learnedOrder = (states: string) => `array_position(${states}::text[], state), state COLLATE "C"`;
const LEARNED = `SELECT state, samples, median_ms, p95_ms, max_ms FROM state_stats ORDER BY ${learnedOrder('$1')}`;

/** The same rows as one JSON list, for a statement that reads more ($states: WORKING_STATES). */
export const learnedJson = (states: string) => `
  SELECT COALESCE(json_agg(s ORDER BY ${learnedOrder(states)}), '[]') FROM (
    SELECT state, samples, median_ms, p95_ms, max_ms FROM state_stats) s`;

export async function learned(c: Queryable): Promise<LearnedDuration[]> {
  return (await run<LearnedDuration>(c, LEARNED, [WORKING_STATES])).rows;
}

export async function leaseExpiredCount(c: Queryable, now: number): Promise<number> {
  return (await run<{ n: number }>(c, COUNT_LEASE_EXPIRED, [now])).rows[0]!.n;
}

const candidateValues = (q: StuckCandidatesQuery): unknown[] => [
  q.now, q.limit, q.leaseExpired, q.cutoffs.map((x) => x.state), q.cutoffs.map((x) => x.cutoff), q.overThreshold,
];

/** One cut-off per working state, in WORKING_STATES order (null where none was given; the last given wins). */
const perWorkingState = (q: StuckCountQuery): (number | null)[] => {
  const given = new Map(q.cutoffs.map((x) => [x.state, x.cutoff]));
  return WORKING_STATES.map((s) => given.get(s) ?? null);
};

/**
 * SQLite's sum, step for step: each cut-off's count (at most stopAt) is added while the total is
 * below stopAt, then the lease-only ones if it still is. Here every range is read in the one
 * statement (each still stopping at stopAt): bounded work, one round trip.
 */
function total(perState: number[], leaseOnly: number, cap: number): number {
  let n = 0;
  for (const k of perState) if (n < cap) n += k;
  if (n < cap) n += leaseOnly;
  return n;
}

export async function candidates(c: Queryable, q: StuckCandidatesQuery): Promise<StuckCandidates> {
  const r = (await run<{ lease_expired: string; over_threshold: string }>(c, CANDIDATES, candidateValues(q))).rows[0]!;
  return { leaseExpired: JSON.parse(r.lease_expired) as StuckCandidate[], overThreshold: JSON.parse(r.over_threshold) as StuckCandidate[] };
}

export async function count(c: Queryable, q: StuckCountQuery): Promise<number> {
  const values = [q.now, q.stopAt, q.cutoffs.map((x) => x.state), q.cutoffs.map((x) => x.cutoff), ...perWorkingState(q)];
  const r = (await run<{ per_state: string; lease_only: number }>(c, COUNT, values)).rows[0]!;
  return total(JSON.parse(r.per_state) as number[], r.lease_only, q.stopAt);
}

export async function survey(c: Queryable, q: StuckCandidatesQuery & { stopAt: number }): Promise<StuckCandidates & { count: number }> {
  const values = [...candidateValues(q), q.stopAt, ...perWorkingState(q)];
  const r = (await run<{ lease_expired: string; over_threshold: string; per_state: string; lease_only: number }>(c, SURVEY, values)).rows[0]!;
  return {
    leaseExpired: JSON.parse(r.lease_expired) as StuckCandidate[],
    overThreshold: JSON.parse(r.over_threshold) as StuckCandidate[],
    count: total(JSON.parse(r.per_state) as number[], r.lease_only, q.stopAt),
  };
}
