/**
 * The operations services over one open database (what `services.ops` is): health, stuck
 * detection and recovery, batch operations, priority aging, audit retention, learned durations
 * and the maintenance pass that runs the periodic ones.
 */
import type { OpsConfig, OpsConfigInput } from '../config/ops.js';
import { withOverrides } from '../config/ops.js';
import type { OpsServices } from './types.js';
import type { OpsContext, OpsCore } from './core.js';
import { HealthService } from './health.js';
import { StuckDetector } from './stuck-detector.js';
import { StuckRecovery } from './recovery.js';
import { BatchService } from './batch.js';
import { PriorityAging } from './aging.js';
import { AuditRetention } from './retention.js';
import { DurationStats } from './durations.js';
import { Maintenance } from './maintenance.js';

export interface OpsBundle extends OpsServices {
  readonly health: HealthService;
  readonly stuck: StuckDetector;
  readonly recovery: StuckRecovery;
  readonly batch: BatchService;
  readonly aging: PriorityAging;
  readonly retention: AuditRetention;
  readonly durations: DurationStats;
  readonly maintenance: Maintenance;
  /** The validated `ops` configuration in force. */
  readonly config: OpsConfig;
  readonly core: OpsCore;
  /** The same services with another configuration (e.g. thresholds from flags). */
  withConfig(config: OpsConfig): OpsBundle;
  /** The same services with some settings overridden (validated; InputError when invalid). */
  withOverrides(overrides: OpsConfigInput): OpsBundle;
}

export function createOpsServices(core: OpsCore, config: OpsConfig): OpsBundle {
  const ctx: OpsContext = { ...core, config };
  const stuck = new StuckDetector(ctx);
  let self: OpsBundle | undefined;
  self = {
    health: new HealthService(ctx, stuck),
    stuck,
    recovery: new StuckRecovery(ctx, stuck),
    batch: new BatchService(ctx),
    aging: new PriorityAging(ctx),
    retention: new AuditRetention(ctx),
    durations: new DurationStats(ctx),
    maintenance: new Maintenance(() => self!),
    config,
    core,
    withConfig: (next) => createOpsServices(core, next),
    withOverrides: (overrides) => createOpsServices(core, withOverrides(config, overrides)),
  };
  return self;
}

export type { OpsConfig } from '../config/ops.js';
export * from './types.js';
export { runMaintenance } from './maintenance.js';
export type { MaintenanceReport, MaintenanceStep } from './maintenance.js';
