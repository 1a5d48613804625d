/**
 * What `/metrics` reports from the database, read at scrape time in one read transaction so
 * every gauge describes the same instant. Every statement is an aggregate row read, an index
 * range bounded by recent activity, or a probe at one end of an index, so a scrape costs the
 * same on a million pipelines as on a hundred:
 *
 * - books by state and priority: the trigger-kept `pipeline_counts` aggregate (≤ 19 × 10 rows);
 * - oldest queued by priority: one `MIN(created_at)` probe per priority on `pipelines_claim`
 *   (the claim index covers exactly the claimable rows, ordered by priority then created_at);
 * - stuck by reason: the StuckDetector's own capped index counts (what `stuck` and health say);
 * - finished in the last hour: a range of `state_history_finished` (an hour of completions);
 * - workers: the last day's rows by `workers_heartbeat` (as `health` counts them);
 * - audit: the head id and the retained span by rowid probes (never COUNT(*) over the log).
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/db.js';
import { schemaVersion } from '../db/db.js';
import { CLAIMABLE_STATES, MAX_PRIORITY, MIN_PRIORITY } from '../domain/states.js';
import { STUCK_COUNT_CAP, type StuckDetector } from '../ops/stuck-detector.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The worker's own default lease, for a workers row that did not record one (as health.ts). */
const DEFAULT_LEASE_MS = 30_000;
/** Live workers given their own heartbeat-age series; a fleet is far smaller than this. */
const LIVE_WORKERS_LISTED = 50;
const LEASE_MS_SQL = `CASE WHEN json_valid(info_json) THEN json_extract(info_json, '$.leaseMs') END`;
const claimableList = CLAIMABLE_STATES.map((s) => `'${s}'`).join(', ');

export interface DbSnapshot {
  /** [state, priority, books] for every non-empty cell. */
  books: { state: string; priority: number; n: number }[];
  /** Seconds since the oldest claimable book at each priority was queued (non-empty ones only). */
  oldestQueuedSeconds: Map<number, number>;
  stuck: { lease_expired: number; over_threshold: number; capped: boolean };
  finishedLastHour: { complete: number; failed: number };
  workers: { live: number; lost: number; stopped: number };
  /** Heartbeat age of each live (running) worker, by worker id. */
  heartbeatAgeSeconds: Map<string, number>;
  audit: { headId: number; entries: number };
  schema: number;
}

export class DbSnapshotReader {
  private readonly counts: Statement<[], { state: string; priority: number; n: number }>;
  private readonly oldestAt: Statement<{ priority: number }, { t: number | null }>;
  private readonly finished: Statement<{ since: number }, { to_state: string; n: number }>;
  private readonly workerCounts: Statement<{ since: number; now: number }, { live: number | null; lost: number | null; stopped: number | null }>;
  private readonly liveWorkers: Statement<{ now: number; since: number; limit: number }, { id: string; heartbeat_at: number }>;
  private readonly auditEnds: Statement<[], { head: number | null; first: number | null }>;

  constructor(
    private readonly db: Db,
    private readonly stuck: StuckDetector,
    private readonly clock: () => number,
  ) {
    this.counts = db.prepare('SELECT state, priority, n FROM pipeline_counts WHERE n <> 0');
    this.oldestAt = db.prepare(
      `SELECT MIN(created_at) AS t FROM pipelines INDEXED BY pipelines_claim WHERE state IN (${claimableList}) AND priority = @priority`,
    );
    this.finished = db.prepare(`
      SELECT to_state, COUNT(*) AS n FROM state_history INDEXED BY state_history_finished
      WHERE at >= @since AND to_state IN ('complete', 'failed') GROUP BY to_state`);
    this.workerCounts = db.prepare(`
      SELECT SUM(stopped_at IS NULL AND @now - heartbeat_at <= COALESCE(${LEASE_MS_SQL}, ${DEFAULT_LEASE_MS})) AS live,
             SUM(stopped_at IS NULL AND @now - heartbeat_at > COALESCE(${LEASE_MS_SQL}, ${DEFAULT_LEASE_MS})) AS lost,
             SUM(stopped_at IS NOT NULL) AS stopped
      FROM workers INDEXED BY workers_heartbeat WHERE heartbeat_at >= @since`);
    this.liveWorkers = db.prepare(`
      SELECT id, heartbeat_at FROM workers INDEXED BY workers_heartbeat
      WHERE heartbeat_at >= @since AND stopped_at IS NULL
        AND @now - heartbeat_at <= COALESCE(${LEASE_MS_SQL}, ${DEFAULT_LEASE_MS})
      ORDER BY heartbeat_at DESC LIMIT @limit`);
    // MAX and MIN of the rowid are one probe each; retention deletes from the oldest end, so
    // the span is the retained count.
    this.auditEnds = db.prepare('SELECT (SELECT MAX(id) FROM audit) AS head, (SELECT MIN(id) FROM audit) AS first');
  }

  read(): DbSnapshot {
    // One read transaction: the gauges of a scrape agree with each other.
    return this.db.transaction(() => this.readNow())();
  }

  private readNow(): DbSnapshot {
    const now = this.clock();
    const books = this.counts.all();
    const queuedAt = new Set<number>();
    const claimable = new Set<string>(CLAIMABLE_STATES);
    for (const b of books) if (claimable.has(b.state)) queuedAt.add(b.priority);
    const oldestQueuedSeconds = new Map<number, number>();
    for (let p = MIN_PRIORITY; p <= MAX_PRIORITY; p++) {
      if (!queuedAt.has(p)) continue;
      const t = this.oldestAt.get({ priority: p })!.t;
      if (t !== null) oldestQueuedSeconds.set(p, Math.max(0, (now - t) / 1000));
    }
    // The detector counts a book with an expired lease as lease_expired even when it is also
    // over its state's threshold, so over_threshold is the rest of its total.
    const leaseExpired = this.stuck.leaseExpiredCount();
    const total = this.stuck.count();
    const finishedLastHour = { complete: 0, failed: 0 };
    for (const r of this.finished.all({ since: now - HOUR })) {
      if (r.to_state === 'complete' || r.to_state === 'failed') finishedLastHour[r.to_state] = r.n;
    }
    const wc = this.workerCounts.get({ since: now - DAY, now })!;
    const heartbeatAgeSeconds = new Map<string, number>();
    for (const w of this.liveWorkers.all({ now, since: now - DAY, limit: LIVE_WORKERS_LISTED })) {
      heartbeatAgeSeconds.set(w.id, Math.max(0, (now - w.heartbeat_at) / 1000));
    }
    const a = this.auditEnds.get()!;
    return {
      books,
      oldestQueuedSeconds,
      stuck: { lease_expired: leaseExpired, over_threshold: Math.max(0, total - leaseExpired), capped: total >= STUCK_COUNT_CAP },
      finishedLastHour,
      workers: { live: wc.live ?? 0, lost: wc.lost ?? 0, stopped: wc.stopped ?? 0 },
      heartbeatAgeSeconds,
      audit: { headId: a.head ?? 0, entries: a.head === null || a.first === null ? 0 : a.head - a.first + 1 },
      schema: schemaVersion(this.db),
    };
  }
}
