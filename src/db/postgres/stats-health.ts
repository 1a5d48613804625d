/**
 * The health report's reads on PostgreSQL, the same figures as src/db/sqlite/stats-health.ts
 * from the same kind of index ranges: counts from the 16-slot `pipeline_counts` aggregate
 * (summed on read, ≤ 15 × 10 × 16 rows), completions by pipelines_completed, the failure rate
 * by state_history_finished, durations by state_history_learning, the oldest queued book by one
 * pipelines_state_entered probe per claimable state, workers by workers_heartbeat. The reads run
 * one after another on one pooled connection: a one-shot `health` opens one connection, not ten.
 */
import type pg from 'pg';
import type { Queryable } from './tx.js';
import { CLAIMABLE_STATES, WORKING_STATES } from '../../domain/states.js';
import type { HealthAggregates, HealthAggregatesQuery, StateCount, WorkerRecord } from '../ops/stats.js';
import { run } from './sql.js';
import { BYTE_ORDER, DEFAULT_LEASE_MS_SQL, EARLY_EXITS, WORKING_LIST, leaseMsSql, onOneClient } from './stats-sql.js';

const LEASE_MS_SQL = leaseMsSql('w.info_json');

/** Non-empty cells in (state, priority) order: SQLite's table order (its primary key, bytewise). */
export const COUNTS = `
  SELECT state, priority, SUM(n)::bigint AS n FROM pipeline_counts
  GROUP BY state, priority HAVING SUM(n) <> 0 ORDER BY state ${BYTE_ORDER}, priority`;

const COMPLETED_SINCE = 'SELECT COUNT(*) AS n FROM pipelines WHERE completed_at IS NOT NULL AND completed_at >= $1';

/**
 * Each completion's minute since $1, not truncated: SQLite binds a JS number as REAL, so its
 * (completed_at - @start) / 60000 is a real division, and completions in one minute fall into
 * as many rows as they have distinct offsets (the caller floors and adds them up).
 */
const PER_MINUTE = `
  SELECT (completed_at - $1::bigint)::float8 / 60000 AS b, COUNT(*) AS n FROM pipelines
  WHERE completed_at IS NOT NULL AND completed_at >= $1::bigint AND completed_at < $2::bigint
  GROUP BY 1 ORDER BY 1`;

/** The index's own order (at, to_state) backwards, so ties at the window's edge fall as in SQLite. */
const FINISHED = `
  SELECT COUNT(*) AS n, COUNT(*) FILTER (WHERE to_state = 'failed') AS failed FROM (
    SELECT to_state FROM state_history WHERE to_state IN ('complete', 'failed')
    ORDER BY at DESC, to_state DESC LIMIT $1) f`;

/**
 * Each working state's last 200 successful runs since $2, one backward range of
 * state_history_learning per state ($1: the states, in the order the report lists them). AVG of
 * bigint is numeric; as float8 it is the same double SQLite's AVG gives (sum / count, rounded once).
 */
const DURATIONS = `
  SELECT s.state, a.avg_ms, a.n FROM unnest($1::text[]) WITH ORDINALITY AS s(state, ord)
  CROSS JOIN LATERAL (
    SELECT AVG(r.d)::float8 AS avg_ms, COUNT(*) AS n FROM (
      SELECT h.duration_ms AS d FROM state_history h
      WHERE h.from_state = s.state AND h.from_state IN (${WORKING_LIST}) AND h.at >= $2::bigint
        AND h.duration_ms IS NOT NULL AND h.to_state NOT IN (${EARLY_EXITS})
      ORDER BY h.at DESC, h.duration_ms DESC LIMIT 200) r) a
  ORDER BY s.ord`;

/** One MIN probe of pipelines_state_entered per claimable state (an IN list would scan them all). */
const OLDEST_QUEUED = `
  SELECT MIN(x.t) AS t FROM (
    SELECT (SELECT MIN(p.state_entered_at) FROM pipelines p WHERE p.state = s.state) AS t
    FROM unnest($1::text[]) AS s(state)) x`;

/**
 * The last day's workers by the heartbeat index (a clean stop also sets heartbeat_at), running
 * and lost ones listed apart from stopped ones so a day of restarts cannot push a dead worker off
 * the list. breakers comes back as its JSON; workerRecord turns it into json_extract's value.
 */
const workersFrom = (stopped: 'IS NULL' | 'IS NOT NULL') => `
  SELECT w.id, w.pid, w.host, w.started_at, w.heartbeat_at, w.stopped_at, ${LEASE_MS_SQL} AS lease_ms,
         w.info_json -> 'breakers' AS breakers, COALESCE(l.n, 0)::bigint AS active_books
  FROM workers w
  -- Leased rows are few (the fleet's concurrency): pipelines_lease_owner, index only.
  LEFT JOIN (SELECT lease_owner, COUNT(*) AS n FROM pipelines WHERE lease_owner IS NOT NULL GROUP BY lease_owner) l
    ON l.lease_owner = w.id
  WHERE w.heartbeat_at >= $1 AND w.stopped_at ${stopped}
  ORDER BY w.heartbeat_at DESC LIMIT $2`;
const LIVE_WORKERS = workersFrom('IS NULL');
const STOPPED_WORKERS = workersFrom('IS NOT NULL');

const WORKER_COUNTS = `
  SELECT COUNT(*) FILTER (WHERE w.stopped_at IS NULL AND $2::bigint - w.heartbeat_at <= COALESCE(${LEASE_MS_SQL}, ${DEFAULT_LEASE_MS_SQL})) AS running,
         COUNT(*) FILTER (WHERE w.stopped_at IS NULL AND $2::bigint - w.heartbeat_at > COALESCE(${LEASE_MS_SQL}, ${DEFAULT_LEASE_MS_SQL})) AS lost,
         COUNT(*) FILTER (WHERE w.stopped_at IS NOT NULL) AS stopped
  FROM workers w WHERE w.heartbeat_at >= $1`;

const LAST_HEARTBEAT = 'SELECT MAX(heartbeat_at) AS t FROM workers';

/**
 * info_json.breakers as SQLite's json_extract gives it: an object or array as compact JSON text
 * (the PostgreSQL writer goes through jsonb, which adds spaces), a string as itself, true/false
 * as 1/0, a number as the number, JSON null as NULL.
 */
function asExtracted(json: string | null): string | null {
  if (json === null) return null;
  const v = JSON.parse(json) as unknown;
  if (v === null) return null;
  if (typeof v === 'boolean') return (v ? 1 : 0) as unknown as string;
  if (typeof v === 'object') return JSON.stringify(v);
  return v as string;
}

const workerRecords = (rows: WorkerRecord[]): WorkerRecord[] => {
  for (const r of rows) r.breakers = asExtracted(r.breakers);
  return rows;
};

export async function countsIn(c: Queryable): Promise<StateCount[]> {
  return (await run<StateCount>(c, COUNTS)).rows;
}

export function healthAggregates(pool: pg.Pool, q: HealthAggregatesQuery): Promise<HealthAggregates> {
  return onOneClient(pool, async (c) => {
    const counts = await countsIn(c);
    const completed = (await run<{ n: number }>(c, COMPLETED_SINCE, [q.completedSince])).rows[0]!.n;
    const perMinute = (await run<{ b: number; n: number }>(c, PER_MINUTE, [q.perMinuteFrom, q.now + 1])).rows;
    const durations = (await run<{ state: string; avg_ms: number | null; n: number }>(c, DURATIONS, [WORKING_STATES, q.durationsSince])).rows;
    const liveWorkers = workerRecords((await run<WorkerRecord>(c, LIVE_WORKERS, [q.workersSince, q.liveWorkersListed])).rows);
    const stoppedWorkers = workerRecords((await run<WorkerRecord>(c, STOPPED_WORKERS, [q.workersSince, q.stoppedWorkersListed])).rows);
    const wc = (await run<{ running: number; lost: number; stopped: number }>(c, WORKER_COUNTS, [q.workersSince, q.now])).rows[0]!;
    const oldest = (await run<{ t: number | null }>(c, OLDEST_QUEUED, [CLAIMABLE_STATES])).rows[0]!.t;
    const fin = (await run<{ n: number; failed: number }>(c, FINISHED, [q.failureWindow])).rows[0]!;
    return {
      counts,
      completed,
      perMinute,
      finished: { n: fin.n, failed: fin.failed },
      durations,
      oldestQueuedEnteredAt: oldest,
      liveWorkers,
      stoppedWorkers,
      workerCounts: { running: wc.running, lost: wc.lost, stopped: wc.stopped },
    };
  });
}

export async function lastHeartbeat(c: Queryable): Promise<number | null> {
  return (await run<{ t: number | null }>(c, LAST_HEARTBEAT)).rows[0]!.t;
}
