/**
 * The SQLite engine: today's synchronous store behind the async Engine interface. Each method
 * runs its whole transaction synchronously (better-sqlite3), then resolves; nothing awaits
 * inside a write transaction, so a transaction can never interleave with another caller's.
 *
 * `stores` are the synchronous pieces themselves, for code inside src/db and for tests that set
 * up data directly; nothing outside src/db uses them.
 */
import type { Db, OpenOptions } from '../db.js';
import { openDatabase } from '../db.js';
import type { Clock } from '../../domain/clock.js';
import type { Engine } from '../engine.js';
import { PipelineStore } from '../pipelines.js';
import { WorkQueue } from '../queue.js';
import { AuditLog } from '../audit.js';
import { sqlitePipelineOps, sqliteQueueOps, sqliteAuditOps, sqliteHistoryOps } from './core.js';
import { sqliteLibraryOps } from './library.js';
import { sqliteStatsOps } from './stats.js';
import { sqliteBatchOps } from './batches.js';
import { sqliteUpkeepOps } from './upkeep.js';
import { sqliteWindowOps } from './windows.js';
import { sqliteChangeOps } from './changes.js';
import { sqliteActionOps } from './actions.js';

export interface SqliteStores {
  readonly db: Db;
  readonly clock: Clock;
  readonly pipelines: PipelineStore;
  readonly queue: WorkQueue;
  readonly audit: AuditLog;
}

export interface SqliteEngine extends Engine {
  readonly kind: 'sqlite';
  readonly stores: SqliteStores;
}

export function createSqliteEngine(db: Db, clock: Clock, auditKey: Buffer | null, location: string): SqliteEngine {
  const stores: SqliteStores = {
    db,
    clock,
    pipelines: new PipelineStore(db, clock),
    queue: new WorkQueue(db, clock),
    audit: new AuditLog(db, clock, auditKey),
  };
  return {
    kind: 'sqlite',
    location,
    readonly: db.readonly,
    stores,
    pipelines: sqlitePipelineOps(stores),
    queue: sqliteQueueOps(stores),
    history: sqliteHistoryOps(stores),
    audit: sqliteAuditOps(stores),
    actions: sqliteActionOps(stores),
    library: sqliteLibraryOps(stores),
    stats: sqliteStatsOps(stores),
    batches: sqliteBatchOps(stores),
    upkeep: sqliteUpkeepOps(stores, location),
    windows: sqliteWindowOps(stores),
    changes: sqliteChangeOps(stores),
    close: async () => {
      if (db.open) db.close();
    },
  };
}

/** Opens (and migrates, unless read-only) the SQLite file at `file` and builds its engine. */
export function openSqliteEngine(file: string, options: OpenOptions, clock: Clock, auditKey: Buffer | null): SqliteEngine {
  return createSqliteEngine(openDatabase(file, options), clock, auditKey, file);
}
