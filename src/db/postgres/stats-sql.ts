/**
 * What the PostgreSQL read-side statements share: our own state lists written out (as the
 * partial indexes are, so the planner can match them), the lease a workers row registered with,
 * and one read snapshot for reads that cannot be one statement.
 */
import type pg from 'pg';
import { WORKING_STATES } from '../../domain/states.js';
import { DEFAULT_WORKER_LEASE_MS } from '../ops/stats.js';

const quoted = (values: readonly string[]): string => values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ');

/** Written exactly as state_history_learning's predicate: a query must repeat it to use the index. */
export const WORKING_LIST = quoted(WORKING_STATES);
/**
 * `col` is a working state, as a FILTER, never an index condition (IS TRUE: the same truth for
 * a NOT NULL column). For the reads of expired leases in lease order over pipelines_lease_stuck:
 * PostgreSQL 15 cannot return an index range in order when an IN list constrains a later column,
 * so with the list as an index condition it read every expired lease and sorted them before the
 * LIMIT (1M books, 5,922 expired leases: 10 ms of the stuck survey's 14.6; as a filter the range
 * is read in order and stops after the limit: 0.8 ms).
 */
export const inWorkingStates = (col: string): string => `(${col} IN (${WORKING_LIST})) IS TRUE`;
/** The claim index's own list (one definition, beside the index it must match). */
export { CLAIMABLE_LIST } from './migrations.js';

/**
 * Moves that end a run early are not samples of how long the state takes (as SQLite's
 * EARLY_EXITS). Written exactly as state_history_learning's predicate (migration 2, stats): a
 * read must repeat it word for word for the planner to prove it may use that partial index.
 */
export const EARLY_EXITS = `'needs_retry', 'failed', 'rejected', 'detected', 'approved', 'duplicate'`;

/**
 * info_json.leaseMs when it is a number, else NULL (SQLite: json_extract of a valid document).
 * A json column is always valid here, and `->` on a non-object is NULL, so no check is needed
 * beyond the type.
 */
export const leaseMsSql = (col: string): string =>
  `CASE WHEN json_typeof(${col} -> 'leaseMs') = 'number' THEN (${col} ->> 'leaseMs')::float8 END`;

export const DEFAULT_LEASE_MS_SQL = String(DEFAULT_WORKER_LEASE_MS);

/** Byte order for our own names, as SQLite's BINARY compares them, whatever the database's collation. */
export const BYTE_ORDER = 'COLLATE "C"';

/**
 * Several reads that must describe one instant: a REPEATABLE READ, READ ONLY transaction (every
 * statement sees the snapshot of the first; a read-only transaction is never a serialization
 * failure and takes no row locks). Not withTx: that one announces a write to listeners.
 */
export async function inOneSnapshot<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    // A connection that cannot even roll back is not handed to the next caller.
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}
