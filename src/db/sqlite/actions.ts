/** The SQLite ActionOps. */
import type { SqliteStores } from './engine.js';
import type { ActionOps } from '../ops/actions.js';

export function sqliteActionOps(_stores: SqliteStores): ActionOps {
  return {};
}
