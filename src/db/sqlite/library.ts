/** The SQLite LibraryOps. */
import type { SqliteStores } from './engine.js';
import type { LibraryOps } from '../ops/library.js';

export function sqliteLibraryOps(_stores: SqliteStores): LibraryOps {
  return {};
}
