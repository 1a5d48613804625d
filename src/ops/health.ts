/**
 * The health report: what the figures mean (rates, estimates, statuses, alerts) is decided here;
 * the figures come from the engine (`stats.healthAggregates`: counts from the maintained
 * aggregate, everything else by index ranges, see src/db/sqlite/stats-health.ts) and from the
 * StuckDetector, so one report costs a few milliseconds at a million pipelines.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CLAIMABLE_STATES, MAX_PRIORITY, MIN_PRIORITY, WORKING_STATES } from '../domain/states.js';
import { formatCount, formatSeconds, shortId } from '../text/format.js';
import type { Alert, HealthReport, HealthService as HealthServiceContract, HealthStatus, Severity, StuckBook, WorkerCounts, WorkerLiveness, WorkerStatus } from './types.js';
import type { OpsContext } from './core.js';
import type { StuckDetector } from './stuck-detector.js';
import { DEFAULT_WORKER_LEASE_MS, type WorkerRecord } from '../db/ops/stats.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Running and lost workers listed; beyond that only counted. */
const LIVE_WORKERS_LISTED = 50;
/** Recently stopped workers listed (the rest of the day's are counted). */
const STOPPED_WORKERS_LISTED = 10;

/**
 * A worker heartbeats every lease/3 and each heartbeat extends its leases by one lease, so a
 * heartbeat older than the lease means the worker is gone and every lease it held has run out.
 */
function workerStatus(w: Pick<WorkerRecord, 'stopped_at' | 'heartbeat_at' | 'lease_ms'>, now: number): WorkerStatus {
  if (w.stopped_at !== null) return 'stopped';
  return now - w.heartbeat_at > (w.lease_ms ?? DEFAULT_WORKER_LEASE_MS) ? 'lost' : 'running';
}

export interface HealthExtras {
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

function breakersOf(json: string | null): { external_breakers?: Record<string, string> } {
  if (!json) return {};
  try {
    const v = JSON.parse(json) as unknown;
    return v && typeof v === 'object' ? { external_breakers: v as Record<string, string> } : {};
  } catch {
    return {};
  }
}

export class HealthService implements HealthServiceContract {
  constructor(
    private readonly ctx: OpsContext,
    private readonly detector: StuckDetector,
  ) {}

  async report(): Promise<FullHealthReport> {
    const cfg = this.ctx.config.health;
    const now = this.ctx.clock();
    const agg = await this.ctx.engine.stats.healthAggregates({
      now,
      completedSince: now - DAY,
      perMinuteFrom: now - HOUR,
      durationsSince: now - DAY,
      failureWindow: cfg.failure_window,
      workersSince: now - DAY,
      liveWorkersListed: LIVE_WORKERS_LISTED,
      stoppedWorkersListed: STOPPED_WORKERS_LISTED,
    });
    const working = new Set<string>(WORKING_STATES);
    const claimable = new Set<string>(CLAIMABLE_STATES);
    const byState: Record<string, number> = {};
    const queueByPriority: Record<number, number> = {};
    for (let p = MIN_PRIORITY; p <= MAX_PRIORITY; p++) queueByPriority[p] = 0;
    let inWorkingStates = 0;
    let queued = 0;
    for (const r of agg.counts) {
      byState[r.state] = (byState[r.state] ?? 0) + r.n;
      if (working.has(r.state)) inWorkingStates += r.n;
      if (claimable.has(r.state)) {
        queued += r.n;
        queueByPriority[r.priority] = (queueByPriority[r.priority] ?? 0) + r.n;
      }
    }

    const completed24h = agg.completed;
    const throughputPerHour = completed24h / 24;
    const buckets = new Array<number>(60).fill(0);
    for (const r of agg.perMinute) {
      const i = Math.min(59, Math.max(0, Math.floor(r.b)));
      buckets[i] = (buckets[i] ?? 0) + r.n;
    }

    let avgMs = 0;
    let sampled = false;
    for (const r of agg.durations) {
      if (r.n > 0 && r.avg_ms !== null) {
        avgMs += r.avg_ms;
        sampled = true;
      }
    }
    const avgProcessingSeconds = sampled ? Math.round(avgMs / 100) / 10 : null;

    // A book whose lease ran out has no one working on it: it is stuck, not active.
    const active = Math.max(0, inWorkingStates - (await this.detector.leaseExpiredCount()));

    const workers = this.workersFrom(agg.liveWorkers, agg.stoppedWorkers, now);
    const workerCounts: WorkerCounts = agg.workerCounts;

    let estimatedQueueMinutes: number | null;
    if (queued === 0) estimatedQueueMinutes = 0;
    else if (workerCounts.running === 0) estimatedQueueMinutes = null; // no worker: the queue does not move
    else if (throughputPerHour > 0) estimatedQueueMinutes = Math.round((queued / throughputPerHour) * 60 * 10) / 10;
    else estimatedQueueMinutes = null;

    const oldest = agg.oldestQueuedEnteredAt;

    const survey = await this.detector.survey({ limit: cfg.stuck_list_limit });
    const stuck = survey.books;
    const stuckCount = survey.count;

    const fin = agg.finished;
    const failureRate = fin.n > 0 ? fin.failed / fin.n : null;

    const diskFree = this.diskFree();

    const alerts: Alert[] = [];
    if (stuckCount > 0 && stuck[0]) {
      const b = stuck[0];
      const what = `${shortId(b.id)} in ${b.state}${b.reason === 'lease_expired' ? ' (lease expired)' : ''} ${stuckPhrase(b)}`;
      alerts.push({
        severity: 'warning',
        code: 'stuck_pipeline',
        message:
          stuckCount === 1 ? `1 pipeline stuck (${what})` : `${formatCount(stuckCount)}${survey.capped ? '+' : ''} pipelines stuck (longest: ${what})`,
      });
    }
    // A lost worker is alerted on while it still holds books (they are stuck) and, once lease
    // rescue has taken them, for worker_idle_seconds more: a crash shows at once, and one kill
    // does not keep the status degraded for the day its row stays listed.
    const lost = workers.filter(
      (w) => w.status === 'lost' && (w.active_books > 0 || w.heartbeat_age_seconds <= cfg.worker_idle_seconds),
    );
    if (lost.length > 0) {
      // Names first (they are what a person acts on), then why, then what it costs.
      const named = lost.slice(0, 3).map((w) => w.id).join(', ');
      const more = lost.length > 3 ? ` +${lost.length - 3} more` : '';
      const held = lost.reduce((n, w) => n + w.active_books, 0);
      const oldest = Math.max(0, ...lost.map((w) => w.heartbeat_age_seconds));
      alerts.push({
        severity: 'warning',
        code: 'worker_lost',
        message:
          `${lost.length} worker${lost.length === 1 ? '' : 's'} lost: ${named}${more} ` +
          `(no heartbeat for up to ${formatSeconds(oldest)}, longer than the lease; ${held} book${held === 1 ? '' : 's'} stuck)`,
      });
    }
    // A running worker whose breaker is open sends books to needs_retry instead of classifying.
    const unavailable = workers.filter((w) => w.status === 'running' && w.external_breakers?.classifier === 'open');
    if (unavailable.length > 0) {
      alerts.push({
        severity: 'warning',
        code: 'classifier_unavailable',
        message: `classifier unavailable: the circuit breaker is open on ${unavailable.map((w) => w.id).slice(0, 3).join(', ')}${unavailable.length > 3 ? ` +${unavailable.length - 3} more` : ''} (books wait in needs_retry)`,
      });
    }
    if (failureRate !== null && fin.n >= cfg.failure_min_finished && failureRate > cfg.failure_rate) {
      alerts.push({
        severity: 'warning',
        code: 'high_failure_rate',
        message: `${fin.failed} of the last ${fin.n} finished pipelines failed (${Math.round(failureRate * 100)}%, threshold ${Math.round(cfg.failure_rate * 100)}%)`,
      });
    }
    if (queued > cfg.queue_backup) {
      alerts.push({ severity: 'info', code: 'queue_backup', message: `${queued} pipelines queued (threshold ${cfg.queue_backup})` });
    }
    if (queued > 0 && workerCounts.running === 0) {
      // Nothing will move the queue: a warning at once; critical once the last worker has been
      // gone for worker_idle_seconds (a worker between restarts is not an outage yet, and a
      // library that never had a worker is being set up, not down).
      const last = await this.ctx.engine.stats.lastHeartbeat();
      const since = last === null ? null : now - last;
      const severity: Severity = since !== null && since > cfg.worker_idle_seconds * 1000 ? 'critical' : 'warning';
      alerts.push({
        severity,
        code: 'worker_idle',
        message:
          since === null
            ? `${queued} queued and no worker running (none has ever sent a heartbeat)`
            : `${queued} queued and no worker running (last heartbeat ${formatSeconds(since / 1000)} ago)`,
      });
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
      stuck_count: stuckCount,
      stuck_count_capped: survey.capped,
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
      worker_counts: workerCounts,
      alerts,
      throughput_last_hour: buckets,
      failure_rate: failureRate === null ? null : Math.round(failureRate * 1000) / 1000,
      finished_window: fin.n,
      disk_free_bytes: diskFree,
    };
  }

  /** Lost workers, then running ones (most recent heartbeat first), then the latest stopped ones. */
  private workersFrom(live: readonly WorkerRecord[], stopped: readonly WorkerRecord[], now: number): WorkerLiveness[] {
    const rows = [...live, ...stopped];
    // Lost first: they are the ones a person must act on (their books wait on a dead lease).
    const rank: Record<WorkerStatus, number> = { lost: 0, running: 1, stopped: 2 };
    return rows
      .map((w): WorkerLiveness => {
        const status = workerStatus(w, now);
        return {
          id: w.id,
          pid: w.pid,
          host: w.host,
          started_at: w.started_at,
          last_heartbeat_at: w.heartbeat_at,
          heartbeat_age_seconds: Math.max(0, Math.round((now - w.heartbeat_at) / 1000)),
          status,
          lease_seconds: Math.round((w.lease_ms ?? DEFAULT_WORKER_LEASE_MS) / 100) / 10,
          stopped: status === 'stopped',
          active_books: w.active_books,
          ...breakersOf(w.breakers),
        };
      })
      .sort((a, b) => rank[a.status] - rank[b.status]);
  }

  private diskFree(): number | null {
    // A server's disk is not this host's: on PostgreSQL watch it where the server runs.
    if (this.ctx.dbPath === ':memory:' || this.ctx.engine.kind !== 'sqlite') return null;
    try {
      const s = fs.statfsSync(path.dirname(path.resolve(this.ctx.dbPath)));
      return Number(s.bavail) * Number(s.bsize);
    } catch {
      return null;
    }
  }
}
