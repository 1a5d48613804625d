/** What every ops service is built from: the core stores of one open database, and its config. */
import type { Db } from '../db/db.js';
import type { Clock } from '../domain/clock.js';
import type { PipelineStore } from '../db/pipelines.js';
import type { AuditLog } from '../db/audit.js';
import type { OpsConfig } from '../config/ops.js';
import type { Engine } from '../db/engine.js';

export interface OpsCore {
  readonly dbPath: string;
  /** What the services use (async). db, pipelines and audit go away once every service has moved (#14). */
  readonly engine: Engine;
  readonly db: Db;
  readonly clock: Clock;
  readonly pipelines: PipelineStore;
  readonly audit: AuditLog;
}

export interface OpsContext extends OpsCore {
  readonly config: OpsConfig;
}

/** `'a', 'b'` for an IN list of constant strings (our own enums only, never user input). */
export const sqlList = (values: readonly string[]): string => values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ');
