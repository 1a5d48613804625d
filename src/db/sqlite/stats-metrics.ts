/**
 * What one `/metrics` scrape reads, in one read transaction so every gauge describes the same
 * instant. Every statement is an aggregate row read, an index range bounded by recent activity,
 * or a probe at one end of an index, so a scrape costs the same on a million pipelines as on a
 * hundred:
 *
 * - books by state and priority: the trigger-kept `pipeline_counts` aggregate (≤ 19 × 10 rows);
 * - oldest queued by priority: one `MIN(created_at)` probe per priority on `pipelines_claim`
 *   (the claim index covers exactly the claimable rows, ordered by priority then created_at);
 * - stuck by reason: stuck detection's own capped index counts (what `stuck` and health say);
 * - finished in the last hour: a range of `state_history_finished` (an hour of completions);
 * - workers: the last day's rows by `workers_heartbeat` (as `health` counts them);
 * - audit: the head id and the retained span by rowid probes (never COUNT(*) over the log).
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db.js';
import { schemaVersion } from '../db.js';
import { CLAIMABLE_STATES, MAX_PRIORITY, MIN_PRIORITY } from '../../domain/states.js';
import type { MetricsSnapshot, MetricsSnapshotQuery, StateCount } from '../ops/stats.js';
import type { StuckReads } from './stats-stuck.js';
import { CLAIMABLE_LIST, DEFAULT_LEASE_MS_SQL, leaseMsSql } from './stats-sql.js';

const LEASE_MS_SQL = leaseMsSql('');

export class MetricsReads {
  private readonly counts: Statement<[], StateCount>;
  private readonly oldestAt: Statement<{ priority: number }, { t: number | null }>;
  private readonly finished: Statement<{ since: number }, { to_state: string; n: number }>;
  private readonly workerCounts: Statement<{ since: number; now: number }, { live: number | null; lost: number | null; stopped: number | null }>;
  private readonly liveWorkers: Statement<{ now: number; since: number; limit: number }, { id: string; heartbeat_at: number }>;
  private readonly auditEnds: Statement<[], { head: number | null; first: number | null }>;
  private readonly snapshotTx: (q: MetricsSnapshotQuery) => MetricsSnapshot;

  constructor(
    private readonly db: Db,
    private readonly stuck: StuckReads,
  ) {
    this.counts = db.prepare('SELECT state, priority, n FROM pipeline_counts WHERE n <> 0');
    this.oldestAt = db.prepare(
      `SELECT MIN(created_at) AS t FROM pipelines INDEXED BY pipelines_claim WHERE state IN (${CLAIMABLE_LIST}) AND priority = @priority`,
    );
    this.finished = db.prepare(`
      SELECT to_state, COUNT(*) AS n FROM state_history INDEXED BY state_history_finished
      WHERE at >= @since AND to_state IN ('complete', 'failed') GROUP BY to_state`);
    this.workerCounts = db.prepare(`
      SELECT SUM(stopped_at IS NULL AND @now - heartbeat_at <= COALESCE(${LEASE_MS_SQL}, ${DEFAULT_LEASE_MS_SQL})) AS live,
             SUM(stopped_at IS NULL AND @now - heartbeat_at > COALESCE(${LEASE_MS_SQL}, ${DEFAULT_LEASE_MS_SQL})) AS lost,
             SUM(stopped_at IS NOT NULL) AS stopped
      FROM workers INDEXED BY workers_heartbeat WHERE heartbeat_at >= @since`);
    this.liveWorkers = db.prepare(`
      SELECT id, heartbeat_at FROM workers INDEXED BY workers_heartbeat
      WHERE heartbeat_at >= @since AND stopped_at IS NULL
        AND @now - heartbeat_at <= COALESCE(${LEASE_MS_SQL}, ${DEFAULT_LEASE_MS_SQL})
      ORDER BY heartbeat_at DESC LIMIT @limit`);
    // MAX and MIN of the rowid are one probe each; retention deletes from the oldest end, so
    // the span is the retained count.
    this.auditEnds = db.prepare('SELECT (SELECT MAX(id) FROM audit) AS head, (SELECT MIN(id) FROM audit) AS first');
    // One read transaction: the gauges of a scrape agree with each other.
    this.snapshotTx = db.transaction((q: MetricsSnapshotQuery) => this.readNow(q));
  }

  snapshot(q: MetricsSnapshotQuery): MetricsSnapshot {
    return this.snapshotTx(q);
  }

  private readNow(q: MetricsSnapshotQuery): MetricsSnapshot {
    const now = q.now;
    const counts = this.counts.all();
    const queuedAt = new Set<number>();
    const claimable = new Set<string>(CLAIMABLE_STATES);
    for (const b of counts) if (claimable.has(b.state)) queuedAt.add(b.priority);
    const oldestQueuedCreatedAt = new Map<number, number>();
    for (let p = MIN_PRIORITY; p <= MAX_PRIORITY; p++) {
      if (!queuedAt.has(p)) continue;
      const t = this.oldestAt.get({ priority: p })!.t;
      if (t !== null) oldestQueuedCreatedAt.set(p, t);
    }
    const leaseExpired = this.stuck.leaseExpiredCount(now);
    const cutoffs = q.stuckCutoffs(this.stuck.learned());
    const total = this.stuck.count({ now, cutoffs, stopAt: q.stuckStopAt });
    const finished = { complete: 0, failed: 0 };
    for (const r of this.finished.all({ since: q.finishedSince })) {
      if (r.to_state === 'complete' || r.to_state === 'failed') finished[r.to_state] = r.n;
    }
    const wc = this.workerCounts.get({ since: q.workersSince, now })!;
    const liveHeartbeats = this.liveWorkers.all({ now, since: q.workersSince, limit: q.liveWorkersListed });
    const audit = this.auditEnds.get()!;
    return {
      counts,
      oldestQueuedCreatedAt,
      stuck: { leaseExpired, total },
      finished,
      workers: { live: wc.live ?? 0, lost: wc.lost ?? 0, stopped: wc.stopped ?? 0 },
      liveHeartbeats,
      audit,
      schema: schemaVersion(this.db),
    };
  }
}
