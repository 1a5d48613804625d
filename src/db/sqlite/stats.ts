/** The SQLite StatsOps. */
import type { SqliteStores } from './engine.js';
import type { StatsOps } from '../ops/stats.js';

export function sqliteStatsOps(_stores: SqliteStores): StatsOps {
  return {};
}
