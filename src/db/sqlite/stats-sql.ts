/** SQL pieces the read-side statements share (constants of our own enums, never user input). */
import { CLAIMABLE_STATES, WORKING_STATES } from '../../domain/states.js';
import { DEFAULT_WORKER_LEASE_MS } from '../ops/stats.js';

/** `'a', 'b'` for an IN list of our own state names. */
export const quotedList = (values: readonly string[]): string => values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ');

/** Written exactly as the partial indexes over working states are (state_history_learning). */
export const WORKING_LIST = quotedList(WORKING_STATES);
export const CLAIMABLE_LIST = quotedList(CLAIMABLE_STATES);

/** Moves that end a run early are not samples of how long the state takes. */
export const EARLY_EXITS = `'needs_retry', 'failed', 'rejected', 'detected', 'approved', 'duplicate'`;

/** The lease a workers row recorded at registration (info_json.leaseMs), for a table aliased `alias`. */
export const leaseMsSql = (alias: string): string => {
  const col = alias ? `${alias}.info_json` : 'info_json';
  return `CASE WHEN json_valid(${col}) THEN json_extract(${col}, '$.leaseMs') END`;
};

export const DEFAULT_LEASE_MS_SQL = String(DEFAULT_WORKER_LEASE_MS);

/** Lazily prepared statements: a group is prepared on its first use, once per connection. */
export function lazy<T>(make: () => T): () => T {
  let v: T | undefined;
  return () => (v ??= make());
}
