/**
 * The health report: counts from the trigger-kept `pipeline_counts` aggregate, everything else
 * through index ranges (completions by the pipelines_completed index, the failure rate by the
 * state_history_finished index, durations by state_history_learning, stuck books by the
 * detector's per-state ranges), so one report costs a few milliseconds at a million pipelines.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Statement } from 'better-sqlite3';
import { CLAIMABLE_STATES, MAX_PRIORITY, MIN_PRIORITY, WORKING_STATES } from '../domain/states.js';
import { formatSeconds, shortId } from '../cli/format.js';
import type { Alert, HealthReport, HealthService as HealthServiceContract, HealthStatus, Severity, StuckBook, WorkerLiveness } from './types.js';
import type { OpsContext } from './core.js';
import { sqlList } from './core.js';
import { workingList } from '../store/migrations.js';
import type { StuckDetector } from './stuck-detector.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const EARLY_EXITS = `'needs_retry', 'failed', 'rejected', 'detected', 'approved', 'duplicate'`;

export interface HealthExtras {
  /** How many books are stuck in all (the list is windowed). */
  stuck_count: number;
  /** failed / finished over the last `failure_window` finished runs (null when none finished). */
  failure_rate: number | null;
  finished_window: number;
  /** Free bytes beside the database (null when unknown). */
  disk_free_bytes: number | null;
}

export type FullHealthReport = HealthReport & HealthExtras;

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export function severityAtLeast(s: Severity, min: Severity): boolean {
  return SEVERITY_RANK[s] >= SEVERITY_RANK[min];
}

export function statusOf(alerts: readonly Alert[]): HealthStatus {
  if (alerts.some((a) => a.severity === 'critical')) return 'unhealthy';
  if (alerts.some((a) => a.severity === 'warning')) return 'degraded';
  return 'healthy';
}

/** "45 min, expected 15" (unit said once when both are in minutes). */
function stuckPhrase(b: StuckBook): string {
  const stuck = formatSeconds(b.stuck_seconds);
  if (b.expected_seconds === null) return `for ${stuck}`;
  let expected = formatSeconds(b.expected_seconds);
  if (stuck.endsWith(' min') && expected.endsWith(' min')) expected = expected.slice(0, -4);
  return `for ${stuck}, expected ${expected}`;
}

export class HealthService implements HealthServiceContract {
  private readonly counts: Statement<[], { state: string; priority: number; n: number }>;
  private readonly completedSince: Statement<{ since: number }, { n: number }>;
  private readonly perMinute: Statement<{ start: number; end: number }, { b: number; n: number }>;
  private readonly finished: Statement<{ window: number }, { n: number; failed: number | null }>;
  private readonly avgState: Statement<{ state: string; since: number }, { avg: number | null; n: number }>;
  private readonly oldestIn: Statement<{ state: string }, { t: number | null }>;
  private readonly workers: Statement<{ since: number }, { id: string; pid: number | null; host: string | null; started_at: number; heartbeat_at: number; stopped_at: number | null; active_books: number }>;
  private readonly lastHeartbeat: Statement<[], { t: number | null }>;

  constructor(
    private readonly ctx: OpsContext,
    private readonly detector: StuckDetector,
  ) {
    const db = ctx.db;
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
        WHERE from_state = @state AND from_state IN (${workingList}) AND at >= @since AND duration_ms IS NOT NULL AND to_state NOT IN (${EARLY_EXITS})
        ORDER BY at DESC LIMIT 200)`);
    this.oldestIn = db.prepare('SELECT MIN(state_entered_at) AS t FROM pipelines INDEXED BY pipelines_state_entered WHERE state = @state');
    this.workers = db.prepare(`
      SELECT w.id, w.pid, w.host, w.started_at, w.heartbeat_at, w.stopped_at, COALESCE(l.n, 0) AS active_books
      FROM workers w INDEXED BY workers_heartbeat
      -- Leased rows are few (the fleet's concurrency), and the lease index covers lease_owner.
      LEFT JOIN (SELECT lease_owner, COUNT(*) AS n FROM pipelines INDEXED BY pipelines_lease_stuck
                 WHERE lease_owner IS NOT NULL GROUP BY lease_owner) l ON l.lease_owner = w.id
      WHERE w.heartbeat_at >= @since
      ORDER BY w.heartbeat_at DESC LIMIT 50`);
    this.lastHeartbeat = db.prepare('SELECT MAX(heartbeat_at) AS t FROM workers');
  }

  report(): FullHealthReport {
    const cfg = this.ctx.config.health;
    const now = this.ctx.clock();
    const working = new Set<string>(WORKING_STATES);
    const claimable = new Set<string>(CLAIMABLE_STATES);
    const byState: Record<string, number> = {};
    const queueByPriority: Record<number, number> = {};
    for (let p = MIN_PRIORITY; p <= MAX_PRIORITY; p++) queueByPriority[p] = 0;
    let active = 0;
    let queued = 0;
    for (const r of this.counts.all()) {
      byState[r.state] = (byState[r.state] ?? 0) + r.n;
      if (working.has(r.state)) active += r.n;
      if (claimable.has(r.state)) {
        queued += r.n;
        queueByPriority[r.priority] = (queueByPriority[r.priority] ?? 0) + r.n;
      }
    }

    const completed24h = this.completedSince.get({ since: now - DAY })!.n;
    const throughputPerHour = completed24h / 24;
    const hourStart = now - HOUR;
    const buckets = new Array<number>(60).fill(0);
    for (const r of this.perMinute.all({ start: hourStart, end: now + 1 })) {
      const i = Math.min(59, Math.max(0, Math.floor(r.b)));
      buckets[i] = (buckets[i] ?? 0) + r.n;
    }

    let avgMs = 0;
    let sampled = false;
    for (const state of WORKING_STATES) {
      const r = this.avgState.get({ state, since: now - DAY })!;
      if (r.n > 0 && r.avg !== null) {
        avgMs += r.avg;
        sampled = true;
      }
    }
    const avgProcessingSeconds = sampled ? Math.round(avgMs / 100) / 10 : null;

    let estimatedQueueMinutes: number | null;
    if (queued === 0) estimatedQueueMinutes = 0;
    else if (throughputPerHour > 0) estimatedQueueMinutes = Math.round((queued / throughputPerHour) * 60 * 10) / 10;
    else estimatedQueueMinutes = null;

    let oldest: number | null = null;
    for (const state of CLAIMABLE_STATES) {
      const t = this.oldestIn.get({ state })!.t;
      if (t !== null && (oldest === null || t < oldest)) oldest = t;
    }

    const workers: WorkerLiveness[] = this.workers.all({ since: now - DAY }).map((w) => ({
      id: w.id,
      pid: w.pid,
      host: w.host,
      started_at: w.started_at,
      last_heartbeat_at: w.heartbeat_at,
      heartbeat_age_seconds: Math.max(0, Math.round((now - w.heartbeat_at) / 1000)),
      stopped: w.stopped_at !== null,
      active_books: w.active_books,
    }));

    const stuck = this.detector.detect({ limit: cfg.stuck_list_limit });
    const stuckCount = Math.max(stuck.length, this.detector.count());

    const fin = this.finished.get({ window: cfg.failure_window })!;
    const failureRate = fin.n > 0 ? (fin.failed ?? 0) / fin.n : null;

    const diskFree = this.diskFree();

    const alerts: Alert[] = [];
    if (stuckCount > 0 && stuck[0]) {
      const b = stuck[0];
      const what = `${shortId(b.id)} in ${b.state}${b.reason === 'lease_expired' ? ' (lease expired)' : ''} ${stuckPhrase(b)}`;
      alerts.push({
        severity: 'warning',
        code: 'stuck_pipeline',
        message:
          stuckCount === 1 ? `1 pipeline stuck (${what})` : `${stuckCount} pipelines stuck (longest: ${what})`,
      });
    }
    if (failureRate !== null && fin.n >= cfg.failure_min_finished && failureRate > cfg.failure_rate) {
      alerts.push({
        severity: 'warning',
        code: 'high_failure_rate',
        message: `${fin.failed ?? 0} of the last ${fin.n} finished pipelines failed (${Math.round(failureRate * 100)}%, threshold ${Math.round(cfg.failure_rate * 100)}%)`,
      });
    }
    if (queued > cfg.queue_backup) {
      alerts.push({ severity: 'info', code: 'queue_backup', message: `${queued} pipelines queued (threshold ${cfg.queue_backup})` });
    }
    if (queued > 0) {
      const last = this.lastHeartbeat.get()!.t;
      if (last === null) {
        alerts.push({ severity: 'warning', code: 'worker_idle', message: `${queued} queued and no worker has ever sent a heartbeat` });
      } else if (now - last > cfg.worker_idle_seconds * 1000) {
        alerts.push({
          severity: 'warning',
          code: 'worker_idle',
          message: `${queued} queued and no worker heartbeat for ${formatSeconds((now - last) / 1000)}`,
        });
      }
    }
    if (diskFree !== null && diskFree < cfg.disk_min_free_bytes) {
      alerts.push({
        severity: 'critical',
        code: 'disk_space_low',
        message: `${(diskFree / 1e9).toFixed(2)} GB free beside the database (minimum ${(cfg.disk_min_free_bytes / 1e9).toFixed(2)} GB)`,
      });
    }

    return {
      status: statusOf(alerts),
      generated_at: now,
      active,
      queued,
      stuck,
      pending_approval: byState.pending_approval ?? 0,
      needs_retry: byState.needs_retry ?? 0,
      failed: byState.failed ?? 0,
      completed_24h: completed24h,
      avg_processing_seconds: avgProcessingSeconds,
      throughput_per_hour: Math.round(throughputPerHour * 10) / 10,
      estimated_queue_minutes: estimatedQueueMinutes,
      queue_by_priority: queueByPriority,
      oldest_queued_seconds: oldest === null ? null : Math.max(0, Math.round((now - oldest) / 1000)),
      workers,
      alerts,
      throughput_last_hour: buckets,
      stuck_count: stuckCount,
      failure_rate: failureRate === null ? null : Math.round(failureRate * 1000) / 1000,
      finished_window: fin.n,
      disk_free_bytes: diskFree,
    };
  }

  private diskFree(): number | null {
    if (this.ctx.dbPath === ':memory:') return null;
    try {
      const s = fs.statfsSync(path.dirname(path.resolve(this.ctx.dbPath)));
      return Number(s.bavail) * Number(s.bsize);
    } catch {
      return null;
    }
  }
}
