/**
 * The SQLite WindowOps: the console's keyset reads, one file per list (window-queue.ts,
 * window-failed.ts, window-audit.ts). Reads only: each is a statement or two on the connection,
 * with no transaction of its own to hold a WAL snapshot open.
 */
import type { SqliteStores } from './engine.js';
import type { WindowOps } from '../ops/windows.js';
import { sqliteQueueWindows } from './window-queue.js';
import { sqliteFailedWindows } from './window-failed.js';
import { sqliteAuditWindows } from './window-audit.js';

export function sqliteWindowOps(stores: SqliteStores): WindowOps {
  return { ...sqliteQueueWindows(stores), ...sqliteFailedWindows(stores), ...sqliteAuditWindows(stores) };
}
