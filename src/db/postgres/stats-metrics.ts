/**
 * What one `/metrics` scrape reads on PostgreSQL (src/db/sqlite/stats-metrics.ts), in one
 * REPEATABLE READ, READ ONLY transaction so every gauge describes the same instant: one
 * statement for everything but the stuck total, then the stuck count with the cut-offs the
 * caller computes (synchronously) from the learned durations read in the first. Each figure is
 * the summed count aggregate, a probe at one end of an index, or an index range bounded by
 * recent activity, so a scrape costs the same on a million pipelines as on a hundred:
 *
 * - books by state and priority: `pipeline_counts`' slots summed;
 * - oldest queued by priority: one MIN(created_at) probe of `pipelines_claim` per priority that
 *   has queued books (the claim index covers exactly the claimable rows, by priority then created_at);
 * - stuck: stuck detection's own capped counts (stats-stuck.ts);
 * - finished in the last hour: a range of `state_history_finished`;
 * - workers: the last day's rows by `workers_heartbeat`;
 * - audit: MAX and MIN of the primary key (retention deletes from the oldest end, so the span is
 *   the retained count), never COUNT(*) over the log.
 */
import type pg from 'pg';
import { WORKING_STATES } from '../../domain/states.js';
import type { LearnedDuration, MetricsSnapshot, MetricsSnapshotQuery, StateCount } from '../ops/stats.js';
import { run } from './sql.js';
import { CLAIMABLE_LIST, DEFAULT_LEASE_MS_SQL, inOneSnapshot, leaseMsSql } from './stats-sql.js';
import { COUNTS_JSON } from './stats-health.js';
import { COUNT_LEASE_EXPIRED, count, learnedJson } from './stats-stuck.js';

const LEASE_MS_SQL = leaseMsSql('info_json');

/** $1 now, $2 finishedSince, $3 workersSince, $4 liveWorkersListed, $5 the working states. */
const SNAPSHOT = `
  SELECT
    (${COUNTS_JSON}) AS counts,
    -- Priorities (ascending) that have claimable books in the aggregate, each with its oldest.
    (SELECT COALESCE(json_agg(json_build_array(q.priority,
              (SELECT MIN(p.created_at) FROM pipelines p WHERE p.state IN (${CLAIMABLE_LIST}) AND p.priority = q.priority))
            ORDER BY q.priority), '[]')
     FROM (SELECT priority FROM pipeline_counts WHERE state IN (${CLAIMABLE_LIST})
           GROUP BY priority HAVING SUM(n) <> 0) q) AS oldest,
    (${COUNT_LEASE_EXPIRED}) AS lease_expired,
    (${learnedJson('$5')}) AS learned,
    (SELECT json_build_object('complete', COUNT(*) FILTER (WHERE to_state = 'complete'),
                              'failed', COUNT(*) FILTER (WHERE to_state = 'failed'))
     FROM state_history WHERE at >= $2 AND to_state IN ('complete', 'failed')) AS finished,
    (SELECT json_build_object(
       'live', COUNT(*) FILTER (WHERE stopped_at IS NULL AND $1::bigint - heartbeat_at <= COALESCE(${LEASE_MS_SQL}, ${DEFAULT_LEASE_MS_SQL})),
       'lost', COUNT(*) FILTER (WHERE stopped_at IS NULL AND $1::bigint - heartbeat_at > COALESCE(${LEASE_MS_SQL}, ${DEFAULT_LEASE_MS_SQL})),
       'stopped', COUNT(*) FILTER (WHERE stopped_at IS NOT NULL))
     FROM workers WHERE heartbeat_at >= $3) AS workers,
    (SELECT COALESCE(json_agg(w ORDER BY w.heartbeat_at DESC), '[]') FROM (
       SELECT id, heartbeat_at FROM workers
       WHERE heartbeat_at >= $3 AND stopped_at IS NULL
         AND $1::bigint - heartbeat_at <= COALESCE(${LEASE_MS_SQL}, ${DEFAULT_LEASE_MS_SQL})
       ORDER BY heartbeat_at DESC LIMIT $4) w) AS live_heartbeats,
    (SELECT MAX(id) FROM audit) AS audit_head,
    (SELECT MIN(id) FROM audit) AS audit_first,
    -- The migrations run so far (the engine checked or migrated the schema when it opened).
    (SELECT version FROM schema_version WHERE id = 1) AS schema`;

interface SnapshotRow {
  counts: string;
  oldest: string;
  lease_expired: number;
  learned: string;
  finished: string;
  workers: string;
  live_heartbeats: string;
  audit_head: number | null;
  audit_first: number | null;
  schema: number | null;
}

export function metricsSnapshot(pool: pg.Pool, q: MetricsSnapshotQuery): Promise<MetricsSnapshot> {
  return inOneSnapshot(pool, async (c) => {
    const r = (await run<SnapshotRow>(c, SNAPSHOT, [q.now, q.finishedSince, q.workersSince, q.liveWorkersListed, WORKING_STATES])).rows[0]!;
    const cutoffs = q.stuckCutoffs(JSON.parse(r.learned) as LearnedDuration[]);
    const total = await count(c, { now: q.now, cutoffs, stopAt: q.stuckStopAt });
    return {
      counts: JSON.parse(r.counts) as StateCount[],
      oldestQueuedCreatedAt: new Map((JSON.parse(r.oldest) as [number, number | null][]).filter((e): e is [number, number] => e[1] !== null)),
      stuck: { leaseExpired: r.lease_expired, total },
      finished: JSON.parse(r.finished) as MetricsSnapshot['finished'],
      workers: JSON.parse(r.workers) as MetricsSnapshot['workers'],
      liveHeartbeats: JSON.parse(r.live_heartbeats) as MetricsSnapshot['liveHeartbeats'],
      audit: { head: r.audit_head, first: r.audit_first },
      schema: r.schema ?? 0,
    };
  });
}
