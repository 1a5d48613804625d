/**
 * `worker --health-interval S`: one health summary log line every S seconds, so a worker's log
 * alone says how the whole pipeline is doing (what `health` would print, in one line). The
 * timer is unref'd (it never keeps the process alive) and stopped with the worker. A report
 * that fails to read (a busy or closed database) is logged as a warning and tried again next time.
 */
import type { HealthReport } from '../ops/types.js';
import type { Logger } from './logger.js';

export interface HealthLog {
  stop(): void;
}

/** The line's message: the status and the numbers a person scans for, in words. */
export function healthSummary(r: HealthReport): string {
  const w = r.worker_counts;
  const parts = [
    `health ${r.status}`,
    `${r.active} active`,
    `${r.queued} queued`,
    `${r.stuck_count}${r.stuck_count_capped ? '+' : ''} stuck`,
    `${r.needs_retry} needs_retry`,
    `${r.failed} failed`,
    `${r.completed_24h} done 24h`,
    `workers ${w.running} running${w.lost > 0 ? `, ${w.lost} lost` : ''}`,
  ];
  if (r.alerts.length > 0) parts.push(`alerts: ${r.alerts.map((a) => a.code).join(', ')}`);
  return parts.join(' · ');
}

export function startHealthLog(report: () => Promise<HealthReport>, intervalMs: number, log: Logger): HealthLog {
  let stopped = false;
  // One report at a time: a slow read is not joined by another one every interval.
  let reading = false;
  const tick = async () => {
    if (reading) return;
    reading = true;
    try {
      const r = await report();
      // The worker may have stopped while the report was read: its log ends with "worker stopped".
      if (stopped) return;
      log.info(
        {
          health: {
            status: r.status,
            active: r.active,
            queued: r.queued,
            stuck: r.stuck_count,
            needs_retry: r.needs_retry,
            failed: r.failed,
            completed_24h: r.completed_24h,
            workers: r.worker_counts,
            alerts: r.alerts.map((a) => ({ severity: a.severity, code: a.code })),
          },
        },
        healthSummary(r),
      );
    } catch (err) {
      if (!stopped) log.warn({ err: err instanceof Error ? err.message : String(err) }, 'health summary failed; will try again');
    } finally {
      reading = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
