/**
 * Claim order, written once: the claim statements (src/db/queue.ts) and the console's queue
 * windows (src/db/sqlite/window-queue.ts) both read the claimable rows through the partial index
 * `pipelines_claim` in this order, so the Queue tab shows books in the order workers take them.
 */
import { CLAIMABLE_STATES } from '../domain/states.js';

/** The claimable states as an IN list (our own enum, never user input). */
export const CLAIMABLE_IN = CLAIMABLE_STATES.map((s) => `'${s}'`).join(', ');

/** The partial index on exactly the claimable rows, in claim order. */
export const CLAIM_INDEX = 'pipelines_claim';

/** The claim-order key as a row value, for keyset comparisons: `${CLAIM_KEY} > (@p, @c, @i)`. */
export const CLAIM_KEY = '(priority, created_at, id)';

/**
 * The ORDER BY terms of claim order (most urgent first: lowest priority number, then oldest,
 * then id); with `dir`, every term in that direction (DESC reads the queue from its end).
 */
export function claimOrderBy(dir?: 'ASC' | 'DESC'): string {
  return dir === undefined ? 'priority, created_at, id' : `priority ${dir}, created_at ${dir}, id ${dir}`;
}
