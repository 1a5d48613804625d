/**
 * What `/metrics` reports from the database, read at scrape time by one engine operation
 * (`stats.metricsSnapshot`: one read transaction, so every gauge describes the same instant; see
 * src/db/sqlite/stats-metrics.ts for the index each figure comes from). Stuck books are counted
 * with the StuckDetector's own thresholds and cap, so the gauge says what `stuck` and health say.
 */
import type { Engine } from '../db/engine.js';
import { STUCK_COUNT_CAP, type StuckDetector } from '../ops/stuck-detector.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Live workers given their own heartbeat-age series; a fleet is far smaller than this. */
const LIVE_WORKERS_LISTED = 50;

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
  constructor(
    private readonly engine: Engine,
    private readonly stuck: StuckDetector,
    private readonly clock: () => number,
  ) {}

  async read(): Promise<DbSnapshot> {
    const now = this.clock();
    const s = await this.engine.stats.metricsSnapshot({
      now,
      finishedSince: now - HOUR,
      workersSince: now - DAY,
      liveWorkersListed: LIVE_WORKERS_LISTED,
      stuckCutoffs: (learned) => this.stuck.cutoffsAt(now, this.stuck.thresholdsFrom(learned)),
      stuckStopAt: STUCK_COUNT_CAP + 1,
    });
    const oldestQueuedSeconds = new Map<number, number>();
    for (const [p, t] of s.oldestQueuedCreatedAt) oldestQueuedSeconds.set(p, Math.max(0, (now - t) / 1000));
    const heartbeatAgeSeconds = new Map<string, number>();
    for (const w of s.liveHeartbeats) heartbeatAgeSeconds.set(w.id, Math.max(0, (now - w.heartbeat_at) / 1000));
    // The detector counts a book with an expired lease as lease_expired even when it is also
    // over its state's threshold, so over_threshold is the rest of its total.
    const leaseExpired = s.stuck.leaseExpired;
    const total = Math.min(s.stuck.total, STUCK_COUNT_CAP);
    const a = s.audit;
    return {
      books: s.counts,
      oldestQueuedSeconds,
      stuck: { lease_expired: leaseExpired, over_threshold: Math.max(0, total - leaseExpired), capped: total >= STUCK_COUNT_CAP },
      finishedLastHour: s.finished,
      workers: s.workers,
      heartbeatAgeSeconds,
      audit: { headId: a.head ?? 0, entries: a.head === null || a.first === null ? 0 : a.head - a.first + 1 },
      schema: s.schema,
    };
  }
}
