/**
 * Transactions over the pool. One operation is one transaction on one pooled connection; the
 * function may run more than once: a deadlock (two transactions locking the same rows in
 * different orders, which the counts' shared slots make possible) or a serialization failure
 * aborts it whole, and it is retried from the start. So a transaction function must only talk
 * to the database through its client, and decide everything from what it reads there.
 */
import type pg from 'pg';
import { committed } from './notify.js';

/** deadlock_detected, serialization_failure: the transaction did nothing and may simply run again. */
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_TRIES = 5;

export function isRetryable(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code !== undefined && RETRYABLE.has(code);
}

export type Queryable = Pick<pg.ClientBase, 'query'>;

export async function withTx<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      committed(pool);
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      if (isRetryable(err) && attempt < MAX_TRIES) continue;
      throw err;
    } finally {
      client.release(broken);
    }
  }
}
