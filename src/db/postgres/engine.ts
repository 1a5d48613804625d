/**
 * The PostgreSQL engine: the Engine interface over a pg.Pool, for fleets on several hosts (#15).
 * Each operation is one statement or one transaction on one pooled connection (tx.ts); the
 * domain's rules (transition table, refusals, claim order, hash formula) are the SQLite engine's,
 * imported, not restated. Every group is implemented (one file or a few per group, beside this
 * one); the conformance suite (test/db/conformance) holds both engines to the same answers.
 */
import pg from 'pg';
import type { Clock } from '../../domain/clock.js';
import type { Engine } from '../engine.js';
import type { PgContext } from './context.js';
import { asConnectError, checkSchemaPg, migratePg, parseLocation, pgTypes, requireSchemaPg } from './connect.js';
import { pgPipelineOps } from './pipelines.js';
import { pgQueueOps } from './queue.js';
import { pgHistoryOps } from './history.js';
import { pgAuditOps } from './audit.js';
import { pgLibraryOps } from './library.js';
import { pgStatsOps } from './stats.js';
import { pgWindowOps } from './windows.js';
import { pgActionOps } from './actions.js';
import { pgQueueMany } from './queue-many.js';
import { pgBatchOps } from './batches.js';
import { pgUpkeepOps } from './upkeep.js';
import { run } from './sql.js';
import { pgChanges } from './notify.js';

export interface PgEngineOptions {
  /** Never migrate; refuse a database whose schema is missing or behind. */
  readonly?: boolean;
  /**
   * false: refuse a database without the schema (DatabaseMissingError, as SQLite refuses a
   * missing file), so only `init` makes a new one; one behind is still migrated. Default true.
   */
  create?: boolean;
  /** The time to write instead of the server's clock (tests). Default: the server's clock. */
  clock?: Clock;
  /** The audit key (HMAC chain), as for SQLite. */
  auditKey?: Buffer | null;
  /** Pool size. Default 10 (pg's). */
  maxConnections?: number;
  /** How long a connection attempt may take before it is "unreachable". Default 10 s. */
  connectTimeoutMs?: number;
}

export interface PgEngine extends Engine {
  readonly kind: 'postgres';
  /** For code inside src/db and for tests (raw SQL to set up or tamper). */
  readonly pool: pg.Pool;
  /** The server's clock now (ms): what leases and backoff are compared against. */
  serverNow(): Promise<number>;
}

export async function createPgEngine(location: string, options: PgEngineOptions = {}): Promise<PgEngine> {
  const { config, shown } = parseLocation(location);
  const pool = new pg.Pool({
    ...config,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    types: pgTypes,
    application_name: 'agentic-pipeline',
    // Read-only consoles and queries: the server refuses every write, whatever the code does.
    ...(options.readonly ? { options: '-c default_transaction_read_only=on' } : {}),
  });
  // An idle pooled connection that the server drops (restart, failover) is an 'error' event on
  // the pool; without a listener Node would crash the process. The next query reconnects.
  pool.on('error', () => undefined);
  try {
    if (options.readonly) await checkSchemaPg(pool, shown);
    else {
      if (options.create === false) await requireSchemaPg(pool, shown);
      await migratePg(pool);
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw asConnectError(shown, err, config);
  }
  const clock = options.clock;
  const ctx: PgContext = { pool, clock, now: clock ? () => clock() : () => null };
  const key = options.auditKey ?? null;
  let closed = false;
  const changes = pgChanges(pool, config, { readonly: options.readonly ?? false });
  return {
    kind: 'postgres',
    location: shown,
    readonly: options.readonly ?? false,
    pool,
    serverNow: async () => (await run<{ now: number }>(pool, 'SELECT ap_now_ms() AS now')).rows[0]!.now,
    pipelines: pgPipelineOps(ctx),
    queue: pgQueueOps(ctx, key),
    history: pgHistoryOps(ctx),
    audit: pgAuditOps(ctx, key),
    actions: pgActionOps(ctx, key),
    library: pgLibraryOps(ctx, key),
    stats: pgStatsOps(ctx),
    batches: { ...pgBatchOps(ctx, key), queueMany: pgQueueMany(ctx, key) },
    upkeep: pgUpkeepOps(ctx, key),
    windows: pgWindowOps(ctx),
    changes,
    async close() {
      if (closed) return;
      closed = true;
      await changes.close();
      await pool.end();
    },
  };
}
