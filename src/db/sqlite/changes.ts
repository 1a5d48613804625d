/**
 * The SQLite ChangeOps: `PRAGMA data_version` moves only when another connection commits, so a
 * poller that reads it first can skip its queries while nothing changed.
 */
import type { SqliteStores } from './engine.js';
import type { ChangeOps } from '../ops/changes.js';

export function sqliteChangeOps({ db }: SqliteStores): ChangeOps {
  return {
    version: async () => db.pragma('data_version', { simple: true }) as number,
    // No push on one file: its workers' polls are a few microseconds each.
    subscribe: () => () => undefined,
  };
}
