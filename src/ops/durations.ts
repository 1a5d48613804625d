/**
 * Learned state durations: median, p95 and max of the most recent successful runs of each working
 * state, kept in `state_stats` (stuck detection reads them). Each state reads at most
 * `sample_window` history rows through the state_history_learning index (from_state, at).
 */
import type { Statement } from 'better-sqlite3';
import { workingList } from '../db/migrations.js';
import { immediate } from '../db/db.js';
import { WORKING_STATES } from '../domain/states.js';
import type { OpsContext } from './core.js';

export interface StateStat {
  state: string;
  samples: number;
  median_ms: number | null;
  p95_ms: number | null;
  max_ms: number | null;
  computed_at: number;
}

/** Moves that end a run early are not samples of how long the state takes. */
const EARLY_EXITS = `'needs_retry', 'failed', 'rejected', 'detected', 'approved', 'duplicate'`;

export class DurationStats {
  private readonly compute: Statement<{ state: string; window: number }, { samples: number; median_ms: number | null; p95_ms: number | null; max_ms: number | null }>;
  private readonly upsert: Statement;
  private readonly all: Statement<[], StateStat>;

  constructor(private readonly ctx: OpsContext) {
    this.compute = ctx.db.prepare(`
      SELECT COUNT(*) AS samples, CAST(ROUND(median(d)) AS INTEGER) AS median_ms,
             CAST(ROUND(percentile_cont(d, 0.95)) AS INTEGER) AS p95_ms, MAX(d) AS max_ms
      FROM (SELECT duration_ms AS d FROM state_history INDEXED BY state_history_learning
            WHERE from_state = @state AND from_state IN (${workingList}) AND duration_ms IS NOT NULL AND to_state NOT IN (${EARLY_EXITS})
            ORDER BY at DESC LIMIT @window)`);
    this.upsert = ctx.db.prepare(`
      INSERT INTO state_stats (state, samples, median_ms, p95_ms, max_ms, computed_at)
      VALUES (@state, @samples, @median_ms, @p95_ms, @max_ms, @now)
      ON CONFLICT (state) DO UPDATE SET samples = excluded.samples, median_ms = excluded.median_ms,
        p95_ms = excluded.p95_ms, max_ms = excluded.max_ms, computed_at = excluded.computed_at`);
    this.all = ctx.db.prepare('SELECT * FROM state_stats ORDER BY state');
  }

  /** Recomputes every working state's statistics; one short immediate transaction. */
  refresh(): StateStat[] {
    const now = this.ctx.clock();
    const window = this.ctx.config.stuck.sample_window;
    const rows = WORKING_STATES.map((state) => ({ state, ...this.compute.get({ state, window })!, computed_at: now }));
    immediate(this.ctx.db, () => {
      for (const r of rows) this.upsert.run({ ...r, now });
    });
    return rows;
  }

  /** What is stored now (possibly stale; `refresh` updates it). */
  current(): StateStat[] {
    return this.all.all();
  }
}
