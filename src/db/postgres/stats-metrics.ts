/**
 * What one `/metrics` scrape reads on PostgreSQL (src/db/sqlite/stats-metrics.ts), in one
 * REPEATABLE READ, READ ONLY transaction so every gauge describes the same instant. Each read is
 * the summed count aggregate, a probe at one end of an index, or an index range bounded by
 * recent activity, so a scrape costs the same on a million pipelines as on a hundred:
 *
 * - books by state and priority: `pipeline_counts`' slots summed;
 * - oldest queued by priority: one MIN(created_at) probe of `pipelines_claim` per priority that
 *   has queued books (the claim index covers exactly the claimable rows, by priority then created_at);
 * - stuck: stuck detection's own capped counts (stats-stuck.ts), with its cut-offs computed from
 *   the learned durations read in this same snapshot;
 * - finished in the last hour: a range of `state_history_finished`;
 * - workers: the last day's rows by `workers_heartbeat`;
 * - audit: MAX and MIN of the primary key (retention deletes from the oldest end, so the span is
 *   the retained count), never COUNT(*) over the log.
 */
import type pg from 'pg';
import { CLAIMABLE_STATES, MAX_PRIORITY, MIN_PRIORITY } from '../../domain/states.js';
import type { MetricsSnapshot, MetricsSnapshotQuery } from '../ops/stats.js';
import { run } from './sql.js';
import { CLAIMABLE_LIST, DEFAULT_LEASE_MS_SQL, inOneSnapshot, leaseMsSql } from './stats-sql.js';
import { countsIn } from './stats-health.js';
import { count, leaseExpiredCount, learned } from './stats-stuck.js';

const LEASE_MS_SQL = leaseMsSql('info_json');

/** $1: the priorities that have queued books, ascending. */
const OLDEST_BY_PRIORITY = `
  SELECT q.priority, (SELECT MIN(p.created_at) FROM pipelines p
                      WHERE p.state IN (${CLAIMABLE_LIST}) AND p.priority = q.priority) AS t
  FROM unnest($1::int[]) WITH ORDINALITY AS q(priority, ord) ORDER BY q.ord`;

const FINISHED = `
  SELECT to_state, COUNT(*) AS n FROM state_history
  WHERE at >= $1 AND to_state IN ('complete', 'failed') GROUP BY to_state`;

const WORKER_COUNTS = `
  SELECT COUNT(*) FILTER (WHERE stopped_at IS NULL AND $2::bigint - heartbeat_at <= COALESCE(${LEASE_MS_SQL}, ${DEFAULT_LEASE_MS_SQL})) AS live,
         COUNT(*) FILTER (WHERE stopped_at IS NULL AND $2::bigint - heartbeat_at > COALESCE(${LEASE_MS_SQL}, ${DEFAULT_LEASE_MS_SQL})) AS lost,
         COUNT(*) FILTER (WHERE stopped_at IS NOT NULL) AS stopped
  FROM workers WHERE heartbeat_at >= $1`;

const LIVE_WORKERS = `
  SELECT id, heartbeat_at FROM workers
  WHERE heartbeat_at >= $1 AND stopped_at IS NULL
    AND $2::bigint - heartbeat_at <= COALESCE(${LEASE_MS_SQL}, ${DEFAULT_LEASE_MS_SQL})
  ORDER BY heartbeat_at DESC LIMIT $3`;

const AUDIT_ENDS = 'SELECT (SELECT MAX(id) FROM audit) AS head, (SELECT MIN(id) FROM audit) AS first';

/** The migrations run so far (the engine has checked or migrated it on open). */
const SCHEMA = 'SELECT version FROM schema_version WHERE id = 1';

export function metricsSnapshot(pool: pg.Pool, q: MetricsSnapshotQuery): Promise<MetricsSnapshot> {
  return inOneSnapshot(pool, async (c) => {
    const now = q.now;
    const counts = await countsIn(c);
    const claimable = new Set<string>(CLAIMABLE_STATES);
    const queuedAt = new Set<number>();
    for (const b of counts) if (claimable.has(b.state)) queuedAt.add(b.priority);
    const priorities: number[] = [];
    for (let p = MIN_PRIORITY; p <= MAX_PRIORITY; p++) if (queuedAt.has(p)) priorities.push(p);
    const oldestQueuedCreatedAt = new Map<number, number>();
    if (priorities.length > 0) {
      for (const r of (await run<{ priority: number; t: number | null }>(c, OLDEST_BY_PRIORITY, [priorities])).rows) {
        if (r.t !== null) oldestQueuedCreatedAt.set(r.priority, r.t);
      }
    }
    const leaseExpired = await leaseExpiredCount(c, now);
    const cutoffs = q.stuckCutoffs(await learned(c));
    const total = await count(c, { now, cutoffs, stopAt: q.stuckStopAt });
    const finished = { complete: 0, failed: 0 };
    for (const r of (await run<{ to_state: string; n: number }>(c, FINISHED, [q.finishedSince])).rows) {
      if (r.to_state === 'complete' || r.to_state === 'failed') finished[r.to_state] = r.n;
    }
    const wc = (await run<{ live: number; lost: number; stopped: number }>(c, WORKER_COUNTS, [q.workersSince, now])).rows[0]!;
    const liveHeartbeats = (await run<{ id: string; heartbeat_at: number }>(c, LIVE_WORKERS, [q.workersSince, now, q.liveWorkersListed])).rows;
    const audit = (await run<{ head: number | null; first: number | null }>(c, AUDIT_ENDS)).rows[0]!;
    const schema = (await run<{ version: number }>(c, SCHEMA)).rows[0]?.version ?? 0;
    return {
      counts,
      oldestQueuedCreatedAt,
      stuck: { leaseExpired, total },
      finished,
      workers: { live: wc.live, lost: wc.lost, stopped: wc.stopped },
      liveHeartbeats,
      audit: { head: audit.head, first: audit.first },
      schema,
    };
  });
}
