/**
 * The health report's reads on PostgreSQL, the same figures as src/db/sqlite/stats-health.ts
 * from the same kind of index ranges: counts from the 16-slot `pipeline_counts` aggregate
 * (summed on read, ≤ 15 × 10 × 16 rows), completions by pipelines_completed, the failure rate
 * by state_history_finished, durations by state_history_learning, the oldest queued book by one
 * pipelines_state_entered probe per claimable state, workers by workers_heartbeat.
 *
 * All of it is ONE statement (each figure a subquery, lists as JSON): the server does ~1 ms of
 * work, but every round trip waits for both processes to be scheduled, and on a busy host that
 * wait is what a report costs (measured on 2 shared cores at load ~13: 3–7 ms per statement
 * against 0.1 ms of server time, so nine statements took ~60 ms, one takes what its work takes).
 * One statement also reads one snapshot, so the figures agree with each other.
 */
import type pg from 'pg';
import { CLAIMABLE_STATES, WORKING_STATES } from '../../domain/states.js';
import type { HealthAggregates, HealthAggregatesQuery, StateCount, WorkerRecord } from '../ops/stats.js';
import type { Queryable } from './tx.js';
import { run } from './sql.js';
import { BYTE_ORDER, DEFAULT_LEASE_MS_SQL, EARLY_EXITS, WORKING_LIST, leaseMsSql } from './stats-sql.js';

const LEASE_MS_SQL = leaseMsSql('w.info_json');

/** Non-empty cells in (state, priority) order: SQLite's table order (its primary key, bytewise). */
export const COUNTS_JSON = `
  SELECT COALESCE(json_agg(c ORDER BY c.state ${BYTE_ORDER}, c.priority), '[]') FROM (
    SELECT state, priority, SUM(n)::bigint AS n FROM pipeline_counts
    GROUP BY state, priority HAVING SUM(n) <> 0) c`;

/**
 * The listed workers (at most $limit, newest heartbeat first), then the books each holds: one
 * pipelines_lease_owner range per listed worker (leased rows are few: the fleet's concurrency).
 * breakers is the JSON value itself; workerRecords turns it into what json_extract gives.
 */
const workersJson = (stopped: 'IS NULL' | 'IS NOT NULL', limit: string) => `
  SELECT COALESCE(json_agg(w ORDER BY w.heartbeat_at DESC), '[]') FROM (
    SELECT w.id, w.pid, w.host, w.started_at, w.heartbeat_at, w.stopped_at, w.lease_ms, w.breakers,
           (SELECT COUNT(*) FROM pipelines p WHERE p.lease_owner = w.id) AS active_books
    FROM (SELECT w.id, w.pid, w.host, w.started_at, w.heartbeat_at, w.stopped_at, ${LEASE_MS_SQL} AS lease_ms,
                 w.info_json -> 'breakers' AS breakers
          FROM workers w WHERE w.heartbeat_at >= $5 AND w.stopped_at ${stopped}
          ORDER BY w.heartbeat_at DESC LIMIT ${limit}) w) w`;

/**
 * $1 completedSince, $2 perMinuteFrom, $3 now + 1, $4 failureWindow, $5 workersSince,
 * $6 liveWorkersListed, $7 stoppedWorkersListed, $8 durationsSince, $9 now, $10 the working
 * states (in the order the report lists them), $11 the claimable states.
 */
const HEALTH = `
  SELECT
    (${COUNTS_JSON}) AS counts,
    (SELECT COUNT(*) FROM pipelines WHERE completed_at IS NOT NULL AND completed_at >= $1) AS completed,
    -- Not truncated: SQLite binds a JS number as REAL, so its (completed_at - @start) / 60000 is
    -- a real division, one row per distinct offset (the caller floors them into its buckets).
    (SELECT COALESCE(json_agg(m ORDER BY m.b), '[]') FROM (
       SELECT (completed_at - $2::bigint)::float8 / 60000 AS b, COUNT(*) AS n FROM pipelines
       WHERE completed_at IS NOT NULL AND completed_at >= $2::bigint AND completed_at < $3::bigint GROUP BY 1) m) AS per_minute,
    -- The index's own order (at, to_state) backwards, so ties at the window's edge fall as in SQLite.
    (SELECT json_build_object('n', COUNT(*), 'failed', COUNT(*) FILTER (WHERE f.to_state = 'failed')) FROM (
       SELECT to_state FROM state_history WHERE to_state IN ('complete', 'failed')
       ORDER BY at DESC, to_state DESC LIMIT $4) f) AS finished,
    -- Each working state's last 200 successful runs since $8: one backward range of
    -- state_history_learning per state. AVG of bigint is numeric; as float8 it is the double
    -- SQLite's AVG gives (sum / count, rounded once).
    (SELECT json_agg(json_build_object('state', s.state, 'avg_ms', a.avg_ms, 'n', a.n) ORDER BY s.ord)
     FROM unnest($10::text[]) WITH ORDINALITY AS s(state, ord)
     CROSS JOIN LATERAL (
       SELECT AVG(r.d)::float8 AS avg_ms, COUNT(*) AS n FROM (
         SELECT h.duration_ms AS d FROM state_history h
         WHERE h.from_state = s.state AND h.from_state IN (${WORKING_LIST}) AND h.at >= $8::bigint
           AND h.duration_ms IS NOT NULL AND h.to_state NOT IN (${EARLY_EXITS})
         ORDER BY h.at DESC, h.duration_ms DESC LIMIT 200) r) a) AS durations,
    -- One MIN probe of pipelines_state_entered per claimable state (an IN list would scan them all).
    (SELECT MIN((SELECT MIN(p.state_entered_at) FROM pipelines p WHERE p.state = s.state))
     FROM unnest($11::text[]) AS s(state)) AS oldest,
    -- Running and lost workers are listed apart from stopped ones, so a day of restarts cannot
    -- push a dead worker off the list (a clean stop also sets heartbeat_at).
    (${workersJson('IS NULL', '$6')}) AS live_workers,
    (${workersJson('IS NOT NULL', '$7')}) AS stopped_workers,
    (SELECT json_build_object(
       'running', COUNT(*) FILTER (WHERE w.stopped_at IS NULL AND $9::bigint - w.heartbeat_at <= COALESCE(${LEASE_MS_SQL}, ${DEFAULT_LEASE_MS_SQL})),
       'lost', COUNT(*) FILTER (WHERE w.stopped_at IS NULL AND $9::bigint - w.heartbeat_at > COALESCE(${LEASE_MS_SQL}, ${DEFAULT_LEASE_MS_SQL})),
       'stopped', COUNT(*) FILTER (WHERE w.stopped_at IS NOT NULL))
     FROM workers w WHERE w.heartbeat_at >= $5) AS worker_counts`;

const LAST_HEARTBEAT = 'SELECT MAX(heartbeat_at) AS t FROM workers';

/**
 * info_json.breakers as SQLite's json_extract gives it: an object or array as compact JSON text
 * (the PostgreSQL writer goes through jsonb, which adds spaces), a string as itself, true/false
 * as 1/0, a number as the number, JSON null as NULL.
 */
function asExtracted(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return (v ? 1 : 0) as unknown as string;
  if (typeof v === 'object') return JSON.stringify(v);
  return v as string;
}

function workerRecords(json: string): WorkerRecord[] {
  const rows = JSON.parse(json) as (Omit<WorkerRecord, 'breakers'> & { breakers: unknown })[];
  return rows.map((r) => ({ ...r, breakers: asExtracted(r.breakers) }));
}

interface HealthRow {
  counts: string;
  completed: number;
  per_minute: string;
  finished: string;
  durations: string;
  oldest: number | null;
  live_workers: string;
  stopped_workers: string;
  worker_counts: string;
}

export async function healthAggregates(pool: pg.Pool, q: HealthAggregatesQuery): Promise<HealthAggregates> {
  const r = (
    await run<HealthRow>(pool, HEALTH, [
      q.completedSince, q.perMinuteFrom, q.now + 1, q.failureWindow, q.workersSince,
      q.liveWorkersListed, q.stoppedWorkersListed, q.durationsSince, q.now, WORKING_STATES, CLAIMABLE_STATES,
    ])
  ).rows[0]!;
  return {
    counts: JSON.parse(r.counts) as StateCount[],
    completed: r.completed,
    perMinute: JSON.parse(r.per_minute) as { b: number; n: number }[],
    finished: JSON.parse(r.finished) as { n: number; failed: number },
    durations: JSON.parse(r.durations) as HealthAggregates['durations'],
    oldestQueuedEnteredAt: r.oldest,
    liveWorkers: workerRecords(r.live_workers),
    stoppedWorkers: workerRecords(r.stopped_workers),
    workerCounts: JSON.parse(r.worker_counts) as HealthAggregates['workerCounts'],
  };
}

export async function lastHeartbeat(c: Queryable): Promise<number | null> {
  return (await run<{ t: number | null }>(c, LAST_HEARTBEAT)).rows[0]!.t;
}
