/**
 * Learned state durations: median, p95 and max of the most recent successful runs of each working
 * state, kept in `state_stats` (stuck detection reads them). Each state reads at most `window`
 * history rows through the state_history_learning index (from_state, at).
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db.js';
import { immediate } from '../db.js';
import { WORKING_STATES } from '../../domain/states.js';
import type { StateStat } from '../ops/stats.js';
import { EARLY_EXITS, WORKING_LIST } from './stats-sql.js';

type Computed = Pick<StateStat, 'samples' | 'median_ms' | 'p95_ms' | 'max_ms'>;

export class DurationWrites {
  private readonly compute: Statement<{ state: string; window: number }, Computed>;
  private readonly upsert: Statement;
  private readonly all: Statement<[], StateStat>;

  constructor(private readonly db: Db) {
    this.compute = db.prepare(`
      SELECT COUNT(*) AS samples, CAST(ROUND(median(d)) AS INTEGER) AS median_ms,
             CAST(ROUND(percentile_cont(d, 0.95)) AS INTEGER) AS p95_ms, MAX(d) AS max_ms
      FROM (SELECT duration_ms AS d FROM state_history INDEXED BY state_history_learning
            WHERE from_state = @state AND from_state IN (${WORKING_LIST}) AND duration_ms IS NOT NULL AND to_state NOT IN (${EARLY_EXITS})
            ORDER BY at DESC LIMIT @window)`);
    this.upsert = db.prepare(`
      INSERT INTO state_stats (state, samples, median_ms, p95_ms, max_ms, computed_at)
      VALUES (@state, @samples, @median_ms, @p95_ms, @max_ms, @now)
      ON CONFLICT (state) DO UPDATE SET samples = excluded.samples, median_ms = excluded.median_ms,
        p95_ms = excluded.p95_ms, max_ms = excluded.max_ms, computed_at = excluded.computed_at`);
    this.all = db.prepare('SELECT * FROM state_stats ORDER BY state');
  }

  /** The reads run before the write transaction, so it holds the write lock only for the upserts. */
  recompute(now: number, window: number): StateStat[] {
    const rows: StateStat[] = WORKING_STATES.map((state) => ({ state, ...this.compute.get({ state, window })!, computed_at: now }));
    immediate(this.db, () => {
      for (const r of rows) this.upsert.run({ ...r, now });
    });
    return rows;
  }

  stored(): StateStat[] {
    return this.all.all();
  }
}
