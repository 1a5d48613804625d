/**
 * The domain services over one SQLite file. The CLI, the console, the worker (and later the MCP
 * server and metrics) all open the database through here, so every interface shares the same
 * rules, transactions and audit.
 */
import os from 'node:os';
import path from 'node:path';
import type { Db, OpenOptions } from './db/db.js';
import { openDatabase } from './db/db.js';
import { PipelineStore } from './db/pipelines.js';
import { AuditLog } from './db/audit.js';
import { auditKeyFor } from './config/audit.js';
import { WorkQueue } from './db/queue.js';
import { BookActions } from './domain/actions.js';
import { Enqueuer } from './domain/enqueue.js';
import type { Clock } from './domain/clock.js';
import { systemClock } from './domain/clock.js';
import type { OpsConfig, OpsConfigInput } from './config/ops.js';
import { loadOpsConfig, parseOpsConfig } from './config/ops.js';
import type { OpsBundle } from './ops/index.js';
import { createOpsServices } from './ops/index.js';

export interface Services {
  readonly dbPath: string;
  readonly db: Db;
  readonly clock: Clock;
  readonly pipelines: PipelineStore;
  readonly audit: AuditLog;
  readonly queue: WorkQueue;
  readonly actions: BookActions;
  readonly enqueuer: Enqueuer;
  /**
   * Operations: health, stuck detection/recovery, batches (the OpsServices contract) plus aging,
   * retention, maintenance, durations and the validated `ops` config. Built on first access, so
   * a bad `ops` config section only affects the commands that use it.
   */
  readonly ops: OpsBundle;
  close(): void;
}

export interface ServiceOptions extends OpenOptions {
  clock?: Clock;
  /** The `ops` config (parsed or raw section); default: the config file found for this database. */
  opsConfig?: OpsConfig | OpsConfigInput;
  /** Config file for the `ops` section when opsConfig is not given (else env / beside the db). */
  configFile?: string;
}

export function createServices(dbPath: string, options: ServiceOptions = {}): Services {
  const auditKey = auditKeyFor(dbPath, options.configFile);
  const db = openDatabase(dbPath, options);
  const clock = options.clock ?? systemClock();
  const pipelines = new PipelineStore(db, clock);
  const audit = new AuditLog(db, clock, auditKey);
  const queue = new WorkQueue(db, clock);
  let ops: OpsBundle | undefined;
  return {
    dbPath,
    db,
    clock,
    pipelines,
    audit,
    queue,
    actions: new BookActions(db, pipelines, audit),
    enqueuer: new Enqueuer(db, pipelines, audit),
    get ops(): OpsBundle {
      ops ??= createOpsServices(
        { dbPath, db, clock, pipelines, audit },
        options.opsConfig !== undefined ? parseOpsConfig(options.opsConfig) : loadOpsConfig(dbPath, options.configFile),
      );
      return ops;
    },
    close: () => {
      if (db.open) db.close();
    },
  };
}

/** --db, else AGENTIC_PIPELINE_DB, else $XDG_DATA_HOME/agentic-pipeline/pipeline.db. */
export function resolveDbPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return path.resolve(flag);
  if (env.AGENTIC_PIPELINE_DB) return path.resolve(env.AGENTIC_PIPELINE_DB);
  const dataHome = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(dataHome, 'agentic-pipeline', 'pipeline.db');
}
