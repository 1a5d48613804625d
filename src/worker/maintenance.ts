/**
 * Runs the ops maintenance pass (learned durations, automatic recovery, aging, retention, WAL
 * checkpoint — src/ops/maintenance.ts) inside the worker on a croner schedule (config
 * `worker.maintenance`, default every minute). Several workers may each schedule it: every step
 * is a short guarded transaction, so concurrent passes are harmless. `protect` keeps one pass
 * of this process from overlapping the next.
 */
import { Cron } from 'croner';
import type { Services } from '../services.js';
import { runMaintenance } from '../ops/maintenance.js';
import type { Logger } from './logger.js';

export interface MaintenanceSchedule {
  stop(): void;
}

export function scheduleMaintenance(services: Services, schedule: string, log: Logger): MaintenanceSchedule {
  const job = new Cron(schedule, { protect: true }, async () => {
    try {
      const report = await runMaintenance(services);
      const level = report.errors.length > 0 ? 'warn' : 'debug';
      log[level](
        {
          elapsed_ms: report.elapsed_ms,
          recovered: report.recovery?.recovered.length ?? 0,
          aged: report.aging?.aged ?? 0,
          errors: report.errors,
        },
        'maintenance ran',
      );
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'maintenance failed; will run again on schedule');
    }
  });
  log.debug({ schedule, next: job.nextRun()?.toISOString() }, 'maintenance scheduled');
  return { stop: () => job.stop() };
}
