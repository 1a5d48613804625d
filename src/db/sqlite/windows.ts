/** The SQLite WindowOps. */
import type { SqliteStores } from './engine.js';
import type { WindowOps } from '../ops/windows.js';

export function sqliteWindowOps(_stores: SqliteStores): WindowOps {
  return {};
}
