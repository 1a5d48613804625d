/** The SQLite BatchOps. */
import type { SqliteStores } from './engine.js';
import type { BatchOps } from '../ops/batches.js';

export function sqliteBatchOps(_stores: SqliteStores): BatchOps {
  return {};
}
