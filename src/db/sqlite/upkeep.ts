/** The SQLite UpkeepOps. */
import type { SqliteStores } from './engine.js';
import type { UpkeepOps } from '../ops/upkeep.js';

export function sqliteUpkeepOps(_stores: SqliteStores): UpkeepOps {
  return {};
}
