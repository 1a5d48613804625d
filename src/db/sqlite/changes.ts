/** The SQLite ChangeOps. */
import type { SqliteStores } from './engine.js';
import type { ChangeOps } from '../ops/changes.js';

export function sqliteChangeOps(_stores: SqliteStores): ChangeOps {
  return {};
}
