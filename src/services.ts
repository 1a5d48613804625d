/**
 * The domain services over one SQLite file. The CLI, the console, the worker (and later the MCP
 * server and metrics) all open the database through here, so every interface shares the same
 * rules, transactions and audit.
 */
import os from 'node:os';
import path from 'node:path';
import type { Db, OpenOptions } from './db/db.js';
import type { PipelineStore } from './db/pipelines.js';
import type { AuditLog } from './db/audit.js';
import { auditKeyFor } from './config/audit.js';
import type { WorkQueue } from './db/queue.js';
import type { Engine } from './db/engine.js';
import type { SqliteEngine } from './db/sqlite/engine.js';
import { openSqliteEngine } from './db/sqlite/engine.js';
import { BookActions } from './ops/actions.js';
import { Enqueuer } from './ops/enqueue.js';
import type { Clock } from './domain/clock.js';
import { systemClock } from './domain/clock.js';
import type { OpsConfig, OpsConfigInput } from './config/ops.js';
import { loadOpsConfig, parseOpsConfig } from './config/ops.js';
import type { OpsBundle } from './ops/index.js';
import { createOpsServices } from './ops/index.js';
import { engineClock, isPostgresLocation, openEngine } from './db/open.js';
import { auditKeyFromEnv } from './db/audit-key.js';

/**
 * What every interface gets: the engine and the services over it, nothing engine-specific.
 * (`Services` becomes this once every caller has moved behind the engine, #14.)
 */
export interface EngineServices {
  readonly dbPath: string;
  /** The database behind every operation (async; see src/db/engine.ts). */
  readonly engine: Engine;
  readonly clock: Clock;
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

/**
 * Services over a SQLite file, with the engine's synchronous stores beside them. The stores are
 * for tests that set up rows directly and for code still moving behind the engine (#14); the
 * interfaces use `engine` and the services.
 */
export interface SqliteServices extends EngineServices {
  readonly engine: SqliteEngine;
  readonly db: Db;
  readonly pipelines: PipelineStore;
  readonly audit: AuditLog;
  readonly queue: WorkQueue;
}

/** Transitional (#14): still the SQLite services with their synchronous stores. */
export type Services = EngineServices;

export interface ServiceOptions extends OpenOptions {
  clock?: Clock;
  /** The `ops` config (parsed or raw section); default: the config file found for this database. */
  opsConfig?: OpsConfig | OpsConfigInput;
  /** Config file for the `ops` section when opsConfig is not given (else env / beside the db). */
  configFile?: string;
}

export function createServices(dbPath: string, options: ServiceOptions = {}): SqliteServices {
  const auditKey = auditKeyFor(dbPath, options.configFile);
  const clock = options.clock ?? systemClock();
  const engine = openSqliteEngine(dbPath, options, clock, auditKey);
  const { db } = engine.stores;
  const { pipelines, audit, queue } = engine.stores;
  let ops: OpsBundle | undefined;
  return {
    dbPath,
    engine,
    db,
    clock,
    pipelines,
    audit,
    queue,
    actions: new BookActions(engine),
    enqueuer: new Enqueuer(engine),
    get ops(): OpsBundle {
      ops ??= createOpsServices(
        { dbPath, engine, clock },
        options.opsConfig !== undefined ? parseOpsConfig(options.opsConfig) : loadOpsConfig(dbPath, options.configFile),
      );
      return ops;
    },
    close: () => {
      if (db.open) db.close();
    },
  };
}

/**
 * Services over any engine: a SQLite path gives createServices' services; a PostgreSQL URL
 * (postgres://, postgresql://, or `postgres:` with PG* variables) the PostgreSQL engine with
 * the same services over it.
 *
 * On PostgreSQL:
 * - The audit key comes from AGENTIC_PIPELINE_AUDIT_KEY(_FILE), or from the `audit` section of
 *   an explicit config file (options.configFile or AGENTIC_PIPELINE_CONFIG); there is no folder
 *   beside a server to look in. The `ops` config is found the same way (defaults otherwise).
 * - Writes take the server's clock (one clock for every host), unless a clock is given or
 *   AGENTIC_PIPELINE_CLOCK_OFFSET_MS is set (end-to-end tests of time rules); `clock` is this
 *   host's clock corrected to the server's.
 * - Groups the PostgreSQL engine has not written yet (actions, stats, batches, upkeep, windows;
 *   #15) reject with "not yet implemented on PostgreSQL: <group>.<op>".
 */
export async function openServices(location: string, options: ServiceOptions = {}): Promise<EngineServices> {
  if (!isPostgresLocation(location)) return createServices(location, options);
  const env = process.env;
  const explicitConfig = options.configFile ?? env.AGENTIC_PIPELINE_CONFIG;
  const auditKey = explicitConfig ? auditKeyFor(location, options.configFile, env) : auditKeyFromEnv(env);
  const given = options.clock ?? (Number(env.AGENTIC_PIPELINE_CLOCK_OFFSET_MS ?? 0) ? systemClock(env) : undefined);
  const engine = await openEngine(location, {
    ...(options.readonly !== undefined ? { readonly: options.readonly } : {}),
    // create: false refuses a database without the schema, as SQLite refuses a missing file.
    ...(options.create !== undefined ? { create: options.create } : {}),
    ...(given ? { clock: given } : {}),
    auditKey,
  });
  let clock: Clock;
  try {
    clock = given ?? (await engineClock(engine));
  } catch (err) {
    await engine.close();
    throw err;
  }
  let ops: OpsBundle | undefined;
  return {
    dbPath: location,
    engine,
    clock,
    // Over the engine like every service; operations the PostgreSQL engine has not written yet
    // answer "not yet implemented on PostgreSQL: <group>.<op>".
    actions: new BookActions(engine),
    enqueuer: new Enqueuer(engine),
    get ops(): OpsBundle {
      ops ??= createOpsServices(
        { dbPath: location, engine, clock },
        options.opsConfig !== undefined ? parseOpsConfig(options.opsConfig) : loadOpsConfig(':memory:', options.configFile),
      );
      return ops;
    },
    // The pool ends in the background; callers that must wait for it await engine.close().
    close: () => void engine.close(),
  };
}


/**
 * --db, else AGENTIC_PIPELINE_DB, else $XDG_DATA_HOME/agentic-pipeline/pipeline.db. A PostgreSQL
 * location (postgres://…, postgresql://…, postgres:) is returned as given: it is not a path.
 */
export function resolveDbPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return isPostgresLocation(flag) ? flag : path.resolve(flag);
  if (env.AGENTIC_PIPELINE_DB) return isPostgresLocation(env.AGENTIC_PIPELINE_DB) ? env.AGENTIC_PIPELINE_DB : path.resolve(env.AGENTIC_PIPELINE_DB);
  const dataHome = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(dataHome, 'agentic-pipeline', 'pipeline.db');
}
