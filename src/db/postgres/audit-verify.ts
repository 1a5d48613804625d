/**
 * `audit --verify` on PostgreSQL: the engine-neutral walk (../audit-walk.ts) over this
 * database's rows. The whole walk reads one snapshot (REPEATABLE READ, READ ONLY, on one
 * connection): workers on other hosts keep appending while it runs, and entries committed after
 * the walk began must not read as a tail removed or a trail pointing past the log.
 */
import type pg from 'pg';
import type { AuditVerifyReport } from '../audit-hash.js';
import type { AuditRow } from '../audit-entry.js';
import type { AsyncChainReads, ChainDeletion, PruneEntryRow, VerifyOptions } from '../audit-walk.js';
import { verifyChain } from '../audit-walk.js';
import { run } from './sql.js';

const DELETION = 'id, prev_hash, hash, by_retention, action, at, pruned_by';

/** The chain's reads on one connection inside the caller's snapshot. */
function chainReads(client: pg.PoolClient): AsyncChainReads {
  return {
    page: async (after, limit) => (await run<AuditRow>(client, 'SELECT * FROM audit WHERE id > $1 ORDER BY id LIMIT $2', [after, limit])).rows,
    deletedBetween: async (lo, hi) =>
      (await run<ChainDeletion>(client, `SELECT ${DELETION} FROM audit_deletions WHERE id > $1 AND id < $2 ORDER BY id`, [lo, hi])).rows,
    namedBy: async (pruneId, after, limit) =>
      (await run<ChainDeletion>(client, `SELECT ${DELETION} FROM audit_deletions WHERE pruned_by = $1 AND id > $2 ORDER BY id LIMIT $3`, [pruneId, after, limit]))
        .rows,
    prunes: async () =>
      (await run<PruneEntryRow>(client, `SELECT id, at, count, details_json FROM audit WHERE action = 'AUDIT_PRUNED' ORDER BY id`)).rows,
    // This engine started at SQLite's schema 6: deletions were recorded from its first row.
    marks: async () => ({ recordedFrom: 0, legacyUpto: 0 }),
    // The head's position: every id ever given out, even if its row is gone.
    highWater: async () => (await run<{ pos: number }>(client, 'SELECT pos FROM audit_chain_head WHERE id = 1')).rows[0]?.pos ?? 0,
    furthestTrail: async () => (await run<{ n: number | null }>(client, 'SELECT MAX(last_audit_id) AS n FROM pipelines')).rows[0]?.n ?? 0,
    hasBooks: async () => ((await run(client, 'SELECT 1 FROM pipelines LIMIT 1')).rowCount ?? 0) > 0,
    hashOf: async (id) => (await run<{ hash: string }>(client, 'SELECT hash FROM audit WHERE id = $1', [id])).rows[0]?.hash,
    deletionOf: async (id) =>
      (await run<{ hash: string; pruned_by: number | null }>(client, 'SELECT hash, pruned_by FROM audit_deletions WHERE id = $1', [id])).rows[0],
  };
}

export async function verifyPg(pool: pg.Pool, key: Buffer | null, options: VerifyOptions): Promise<AuditVerifyReport> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      return await verifyChain(chainReads(client), key, options);
    } finally {
      await client.query('ROLLBACK');
    }
  } finally {
    client.release();
  }
}
