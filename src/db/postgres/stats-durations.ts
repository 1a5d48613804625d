/**
 * Learned state durations on PostgreSQL (src/db/sqlite/stats-durations.ts): median, p95 and max
 * of each working state's last `window` successful runs, stored in `state_stats`. Each state
 * reads at most `window` rows of state_history_learning, newest first. The recompute is one
 * statement (reads and upserts together: under MVCC the reads block no writer, and the upsert
 * holds only state_stats' six rows).
 */
import type pg from 'pg';
import { WORKING_STATES } from '../../domain/states.js';
import type { StateStat } from '../ops/stats.js';
import { run } from './sql.js';
import { BYTE_ORDER, EARLY_EXITS, WORKING_LIST } from './stats-sql.js';

/**
 * percentile_cont interpolates as SQLite's does (position p × (n − 1)); it is rounded as numeric,
 * half away from zero like SQLite's ROUND (round() of a float8 rounds half to even).
 */
const RECOMPUTE = `
  INSERT INTO state_stats (state, samples, median_ms, p95_ms, max_ms, computed_at)
  SELECT s.state, c.samples, c.median_ms, c.p95_ms, c.max_ms, $3::bigint
  FROM unnest($1::text[]) AS s(state)
  CROSS JOIN LATERAL (
    SELECT COUNT(*) AS samples,
           round((percentile_cont(0.5) WITHIN GROUP (ORDER BY r.d))::numeric)::bigint AS median_ms,
           round((percentile_cont(0.95) WITHIN GROUP (ORDER BY r.d))::numeric)::bigint AS p95_ms,
           MAX(r.d) AS max_ms
    FROM (SELECT h.duration_ms AS d FROM state_history h
          WHERE h.from_state = s.state AND h.from_state IN (${WORKING_LIST})
            AND h.duration_ms IS NOT NULL AND h.to_state NOT IN (${EARLY_EXITS})
          ORDER BY h.at DESC, h.duration_ms DESC LIMIT $2) r) c
  ON CONFLICT (state) DO UPDATE SET samples = excluded.samples, median_ms = excluded.median_ms,
    p95_ms = excluded.p95_ms, max_ms = excluded.max_ms, computed_at = excluded.computed_at
  RETURNING state, samples, median_ms, p95_ms, max_ms, computed_at`;

const STORED = `SELECT state, samples, median_ms, p95_ms, max_ms, computed_at FROM state_stats ORDER BY state ${BYTE_ORDER}`;

export async function recomputeDurations(pool: pg.Pool, now: number, window: number): Promise<StateStat[]> {
  const rows = (await run<StateStat>(pool, RECOMPUTE, [WORKING_STATES, window, now])).rows;
  // RETURNING has no order; the job reports the states in the domain's order, as SQLite does.
  const byState = new Map(rows.map((r) => [r.state, r]));
  return WORKING_STATES.map((state) => byState.get(state)!);
}

export async function storedDurations(pool: pg.Pool): Promise<StateStat[]> {
  return (await run<StateStat>(pool, STORED)).rows;
}
