/**
 * The health report's reads: counts from the trigger-kept `pipeline_counts` aggregate, everything
 * else through index ranges (completions by pipelines_completed, the failure rate by
 * state_history_finished, durations by state_history_learning, the oldest queued book by
 * pipelines_state_entered, workers by workers_heartbeat), so one report costs a few milliseconds
 * at a million pipelines.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db.js';
import { CLAIMABLE_STATES, WORKING_STATES } from '../../domain/states.js';
import type { HealthAggregates, HealthAggregatesQuery, StateCount, WorkerRecord } from '../ops/stats.js';
import { DEFAULT_LEASE_MS_SQL, EARLY_EXITS, WORKING_LIST, leaseMsSql } from './stats-sql.js';

const LEASE_MS_SQL = leaseMsSql('w');

export class HealthReads {
  private readonly counts: Statement<[], StateCount>;
  private readonly completedSince: Statement<{ since: number }, { n: number }>;
  private readonly perMinute: Statement<{ start: number; end: number }, { b: number; n: number }>;
  private readonly finished: Statement<{ window: number }, { n: number; failed: number | null }>;
  private readonly avgState: Statement<{ state: string; since: number }, { avg: number | null; n: number }>;
  private readonly oldestIn: Statement<{ state: string }, { t: number | null }>;
  private readonly liveWorkers: Statement<{ since: number; limit: number }, WorkerRecord>;
  private readonly stoppedWorkers: Statement<{ since: number; limit: number }, WorkerRecord>;
  private readonly workerCounts: Statement<{ since: number; now: number }, { running: number | null; lost: number | null; stopped: number | null }>;
  private readonly lastHeartbeatStmt: Statement<[], { t: number | null }>;

  constructor(db: Db) {
    this.counts = db.prepare('SELECT state, priority, n FROM pipeline_counts WHERE n <> 0');
    this.completedSince = db.prepare(
      'SELECT COUNT(*) AS n FROM pipelines INDEXED BY pipelines_completed WHERE completed_at IS NOT NULL AND completed_at >= @since',
    );
    this.perMinute = db.prepare(`
      SELECT (completed_at - @start) / 60000 AS b, COUNT(*) AS n FROM pipelines INDEXED BY pipelines_completed
      WHERE completed_at IS NOT NULL AND completed_at >= @start AND completed_at < @end GROUP BY b`);
    this.finished = db.prepare(`
      SELECT COUNT(*) AS n, SUM(to_state = 'failed') AS failed FROM (
        SELECT to_state FROM state_history INDEXED BY state_history_finished
        WHERE to_state IN ('complete', 'failed') ORDER BY at DESC LIMIT @window)`);
    this.avgState = db.prepare(`
      SELECT AVG(d) AS avg, COUNT(*) AS n FROM (
        SELECT duration_ms AS d FROM state_history INDEXED BY state_history_learning
        WHERE from_state = @state AND from_state IN (${WORKING_LIST}) AND at >= @since AND duration_ms IS NOT NULL AND to_state NOT IN (${EARLY_EXITS})
        ORDER BY at DESC LIMIT 200)`);
    this.oldestIn = db.prepare('SELECT MIN(state_entered_at) AS t FROM pipelines INDEXED BY pipelines_state_entered WHERE state = @state');
    // The last day's workers by the heartbeat index (a clean stop also sets heartbeat_at, so a
    // row stopped over a day ago falls out of the range). Running and lost ones are listed
    // before stopped ones, so a day of restarts cannot push a dead worker off the list.
    const workersFrom = (stopped: 'IS NULL' | 'IS NOT NULL') => `
      SELECT w.id, w.pid, w.host, w.started_at, w.heartbeat_at, w.stopped_at, ${LEASE_MS_SQL} AS lease_ms,
             CASE WHEN json_valid(w.info_json) THEN json_extract(w.info_json, '$.breakers') END AS breakers,
             COALESCE(l.n, 0) AS active_books
      FROM workers w INDEXED BY workers_heartbeat
      -- Leased rows are few (the fleet's concurrency), and the lease index covers lease_owner.
      LEFT JOIN (SELECT lease_owner, COUNT(*) AS n FROM pipelines INDEXED BY pipelines_lease_stuck
                 WHERE lease_owner IS NOT NULL GROUP BY lease_owner) l ON l.lease_owner = w.id
      WHERE w.heartbeat_at >= @since AND w.stopped_at ${stopped}
      ORDER BY w.heartbeat_at DESC LIMIT @limit`;
    this.liveWorkers = db.prepare(workersFrom('IS NULL'));
    this.stoppedWorkers = db.prepare(workersFrom('IS NOT NULL'));
    this.workerCounts = db.prepare(`
      SELECT SUM(w.stopped_at IS NULL AND @now - w.heartbeat_at <= COALESCE(${LEASE_MS_SQL}, ${DEFAULT_LEASE_MS_SQL})) AS running,
             SUM(w.stopped_at IS NULL AND @now - w.heartbeat_at > COALESCE(${LEASE_MS_SQL}, ${DEFAULT_LEASE_MS_SQL})) AS lost,
             SUM(w.stopped_at IS NOT NULL) AS stopped
      FROM workers w INDEXED BY workers_heartbeat WHERE w.heartbeat_at >= @since`);
    this.lastHeartbeatStmt = db.prepare('SELECT MAX(heartbeat_at) AS t FROM workers');
  }

  aggregates(q: HealthAggregatesQuery): HealthAggregates {
    const counts = this.counts.all();
    const completed = this.completedSince.get({ since: q.completedSince })!.n;
    const perMinute = this.perMinute.all({ start: q.perMinuteFrom, end: q.now + 1 });
    const durations = WORKING_STATES.map((state) => {
      const r = this.avgState.get({ state, since: q.durationsSince })!;
      return { state, avg_ms: r.avg, n: r.n };
    });
    const liveWorkers = this.liveWorkers.all({ since: q.workersSince, limit: q.liveWorkersListed });
    const stoppedWorkers = this.stoppedWorkers.all({ since: q.workersSince, limit: q.stoppedWorkersListed });
    const wc = this.workerCounts.get({ since: q.workersSince, now: q.now })!;
    let oldest: number | null = null;
    for (const state of CLAIMABLE_STATES) {
      const t = this.oldestIn.get({ state })!.t;
      if (t !== null && (oldest === null || t < oldest)) oldest = t;
    }
    const fin = this.finished.get({ window: q.failureWindow })!;
    return {
      counts,
      completed,
      perMinute,
      finished: { n: fin.n, failed: fin.failed ?? 0 },
      durations,
      oldestQueuedEnteredAt: oldest,
      liveWorkers,
      stoppedWorkers,
      workerCounts: { running: wc.running ?? 0, lost: wc.lost ?? 0, stopped: wc.stopped ?? 0 },
    };
  }

  lastHeartbeat(): number | null {
    return this.lastHeartbeatStmt.get()!.t;
  }
}
