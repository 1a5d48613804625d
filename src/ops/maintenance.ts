/**
 * One maintenance pass, for cron (`agentic-pipeline maintain`) or a croner schedule inside the
 * worker: learned durations first (stuck detection reads them), then automatic recovery, priority
 * aging, audit retention, a WAL checkpoint when the -wal file has grown large (SQLite only), and
 * (when given an anchor file) an anchor of the audit chain's head, written last so it covers
 * retention's entry.
 * Each step is its own short transaction; a failing step is reported and the others still run.
 */
import type { OpsConfig } from '../config/ops.js';
import type { StateStat } from './durations.js';
import type { AutoRecoveryReport } from './recovery.js';
import type { AgingReport } from './aging.js';
import type { RetentionReport } from './retention.js';
import type { OpsBundle } from './index.js';
import { writeAnchor, type AnchorLine } from './audit-anchor.js';

export const MAINTENANCE_STEPS = ['durations', 'recovery', 'aging', 'retention', 'checkpoint', 'anchor'] as const;
export type MaintenanceStep = (typeof MAINTENANCE_STEPS)[number];

/** Checkpoint (TRUNCATE) when the -wal file is larger than this. */
export const WAL_CHECKPOINT_BYTES = 64 * 1024 * 1024;

export interface MaintenanceReport {
  started_at: number;
  elapsed_ms: number;
  durations?: StateStat[];
  recovery?: AutoRecoveryReport;
  aging?: AgingReport;
  retention?: RetentionReport;
  checkpoint?: { wal_bytes: number; checkpointed: boolean };
  /** The anchor line appended, with the file (only when an anchor file was given). */
  anchor?: AnchorLine & { file: string };
  errors: { step: MaintenanceStep; message: string }[];
}

export interface MaintenanceOptions {
  skip?: readonly MaintenanceStep[];
  /** Append the audit chain's head to this anchor file (the 'anchor' step runs only with one). */
  anchorTo?: string;
}

export class Maintenance {
  constructor(private readonly ops: () => OpsBundle) {}

  async run(options: MaintenanceOptions = {}): Promise<MaintenanceReport> {
    const ops = this.ops();
    const core = ops.core;
    const t0 = performance.now();
    const report: MaintenanceReport = { started_at: core.clock(), elapsed_ms: 0, errors: [] };
    const skip = new Set(options.skip ?? []);
    const step = async <T>(name: MaintenanceStep, fn: () => T | Promise<T>, set: (v: T) => void) => {
      if (skip.has(name)) return;
      try {
        set(await fn());
      } catch (err) {
        report.errors.push({ step: name, message: err instanceof Error ? err.message : String(err) });
      }
    };
    await step('durations', () => ops.durations.refresh(), (v) => (report.durations = v));
    await step('recovery', () => ops.recovery.autoRecover(), (v) => (report.recovery = v));
    await step('aging', () => ops.aging.run(), (v) => (report.aging = v));
    await step('retention', () => ops.retention.run(), (v) => (report.retention = v));
    // SQLite's -wal file only shrinks when someone checkpoints it; a PostgreSQL server
    // checkpoints and vacuums on its own, so there the step has nothing to do and is not reported.
    if (core.engine.kind === 'sqlite') {
      await step('checkpoint', () => core.engine.upkeep.checkpointIfLarge(WAL_CHECKPOINT_BYTES), (v) => (report.checkpoint = v));
    }
    const anchorTo = options.anchorTo;
    if (anchorTo !== undefined) {
      await step('anchor', async () => ({ file: anchorTo, ...(await writeAnchor(core.engine, core.dbPath, anchorTo)) }), (v) => (report.anchor = v));
    }
    report.elapsed_ms = Math.round((performance.now() - t0) * 10) / 10;
    return report;
  }
}

/**
 * One maintenance pass over `services` with `config` (default: the services' own ops config).
 * For the worker's croner schedule: `new Cron('*\/5 * * * *', () => runMaintenance(services))`.
 */
export function runMaintenance(
  services: { ops: OpsBundle },
  config?: OpsConfig,
  options: MaintenanceOptions = {},
): Promise<MaintenanceReport> {
  const ops = config ? services.ops.withConfig(config) : services.ops;
  return ops.maintenance.run(options);
}
