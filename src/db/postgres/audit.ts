/**
 * The audit trail on PostgreSQL: append-only (triggers), hash-chained with the SAME formula as
 * SQLite's (auditRowHashV, imported from src/db/audit.ts), so `audit --verify` means the same on
 * both engines and a chain exported from one verifies with the other's code.
 *
 * Appending takes the chain's positions from the locked head row (`audit_chain_head`): the row
 * lock orders appends in commit order, so each row's prev_hash is the hash of the row before it.
 * Lock order: the books' rows first (their trail ends, FOR UPDATE), the head last — every
 * transaction that writes a book and then appends its audit row takes them in that order too,
 * so the head never waits on a book while holding the chain.
 */
import type pg from 'pg';
import type { AuditOps } from '../ops/audit.js';
import type { AuditAnchor, AuditChainHead, AuditEntryInput, AuditQuery, AuditRow } from '../audit.js';
import { auditRowHashV, globRegExp, HASH_FULL, HASH_KEYED } from '../audit.js';
import { AUDIT_KEY_ENV } from '../audit-key.js';
import { InputError } from '../../domain/errors.js';
import type { PgContext } from './context.js';
import { run } from './sql.js';
import type { Queryable } from './tx.js';
import { withTx } from './tx.js';
import { verifyPg } from './audit-verify.js';
import { auditEntryRow } from '../audit-entry.js';

/** The row as hashed and stored: the same canonical columns as SQLite's (audit-entry.ts). */
const toRow = auditEntryRow;

const TRAIL_ENDS = 'SELECT id, last_audit_id FROM pipelines WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE';
const TAKE_POSITIONS = `UPDATE audit_chain_head SET pos = pos + $1 WHERE id = 1
  RETURNING pos - $1 AS last, hash, hash_version, ap_now($2) AS at`;
/** The rows in order (unnest keeps it), and the head's hash moved to the last of them. */
const INSERT_ROWS = `
  WITH ins AS (
    INSERT INTO audit (id, at, action, actor, pipeline_id, batch_id, reason, before_value, after_value,
      filter_json, ids_json, count, confidence, details_json, prev_hash, hash, pipeline_prev_id, hash_version)
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[],
      $8::json[], $9::json[], $10::json[], $11::json[], $12::bigint[], $13::float8[], $14::json[], $15::text[],
      $16::text[], $17::bigint[], $18::integer[])
  )
  UPDATE audit_chain_head SET hash = $19, hash_version = $20 WHERE id = 1`;

/**
 * Appends `entries` in order inside the caller's transaction; returns their ids. The engine's
 * other operations that record an action call this in that action's transaction.
 */
export async function appendIn(ctx: PgContext, key: Buffer | null, c: Queryable, entries: readonly AuditEntryInput[]): Promise<number[]> {
  if (entries.length === 0) return [];
  const books = [...new Set(entries.map((e) => e.pipeline_id).filter((x): x is string => typeof x === 'string'))];
  const trail = new Map<string, number | null>();
  if (books.length > 0) {
    for (const r of (await run<{ id: string; last_audit_id: number | null }>(c, TRAIL_ENDS, [books])).rows) trail.set(r.id, r.last_audit_id);
  }
  const head = (await run<{ last: number; hash: string | null; hash_version: number | null; at: number }>(c, TAKE_POSITIONS, [entries.length, ctx.now()])).rows[0]!;
  if (head.hash_version === HASH_KEYED && !key) {
    // An unkeyed row after keyed ones is what a forger without the key would write.
    throw new InputError(`the audit trail is keyed: set ${AUDIT_KEY_ENV} (or ${AUDIT_KEY_ENV}_FILE) to write to it`);
  }
  const version = key ? HASH_KEYED : HASH_FULL;
  const cols: unknown[][] = Array.from({ length: 18 }, () => []);
  const ids: number[] = [];
  let prev = head.hash;
  let id = head.last + 1;
  for (const entry of entries) {
    const row = toRow(entry, head.at);
    let pipelinePrev: number | null = null;
    if (row.pipeline_id !== null) {
      pipelinePrev = trail.get(row.pipeline_id) ?? null;
      trail.set(row.pipeline_id, id);
    }
    const hash = auditRowHashV(prev, row, id, pipelinePrev, version, key);
    const values = [
      id, row.at, row.action, row.actor, row.pipeline_id, row.batch_id, row.reason, row.before_value, row.after_value,
      row.filter_json, row.ids_json, row.count, row.confidence, row.details_json, prev, hash, pipelinePrev, version,
    ];
    for (let i = 0; i < values.length; i++) cols[i]!.push(values[i]);
    ids.push(id);
    prev = hash;
    id++;
  }
  await run(c, INSERT_ROWS, [...cols, prev, version]);
  return ids;
}

export function pgAuditOps(ctx: PgContext, key: Buffer | null): AuditOps {
  const { pool } = ctx;
  return {
    keyed: key !== null,
    append: async (entry) => (await withTx(pool, (c) => appendIn(ctx, key, c, [entry])))[0]!,
    appendMany: (entries) => withTx(pool, (c) => appendIn(ctx, key, c, entries)),
    async head(): Promise<AuditChainHead> {
      const last = (await run<{ id: number; hash: string; hash_version: number | null }>(pool, 'SELECT id, hash, hash_version FROM audit ORDER BY id DESC LIMIT 1')).rows[0];
      const count = (await run<{ n: number }>(pool, 'SELECT COUNT(*) AS n FROM audit')).rows[0]!.n;
      return { id: last?.id ?? 0, hash: last?.hash ?? null, count, hash_version: last?.hash_version ?? null };
    },
    get: async (id) => (await run<AuditRow>(pool, 'SELECT * FROM audit WHERE id = $1', [id])).rows[0],
    query: (q) => queryAudit(pool, q),
    batchMembers: async (batchId, limit = 1000) =>
      (await run<AuditRow>(pool, 'SELECT * FROM audit WHERE batch_id = $1 AND pipeline_id IS NOT NULL ORDER BY id LIMIT $2', [batchId, limit])).rows,
    async batchApplied(batchId) {
      const sql = `SELECT (COALESCE((SELECT count FROM audit WHERE id = $1), 0)
        + COALESCE((SELECT SUM(count) FROM audit WHERE batch_id = $1 AND action = 'BATCH_CHUNK'), 0))::bigint AS n`;
      return (await run<{ n: number }>(pool, sql, [batchId])).rows[0]!.n;
    },
    verify: (options: { pageSize?: number; anchors?: readonly AuditAnchor[] } = {}) => verifyPg(pool, key, options),
  };
}

/** Newest first; the filters every reader offers (actor exact or glob, action, book or prefix, since). */
async function queryAudit(pool: pg.Pool, q: AuditQuery = {}): Promise<AuditRow[]> {
  const limit = Math.max(1, Math.min(q.limit ?? 50, 100_000));
  const values: unknown[] = [limit];
  const arg = (v: unknown) => {
    values.push(v);
    return `$${values.length}`;
  };
  const where: string[] = [];
  if (q.pipelineId) {
    if (q.pipelineId.length >= 32) where.push(`pipeline_id = ${arg(q.pipelineId)}`);
    else where.push(`pipeline_id >= ${arg(q.pipelineId)} AND pipeline_id < ${arg(q.pipelineId + 'g')}`);
  }
  if (q.actor) {
    // A glob (* and ?) as retention and SQLite's GLOB read it, as an anchored regular expression.
    where.push(q.actor.includes('*') ? `actor ~ ${arg(globRegExp(q.actor).source)}` : `actor = ${arg(q.actor)}`);
  }
  if (q.action) where.push(`action = ${arg(q.action.toUpperCase())}`);
  if (q.since !== undefined) where.push(`at >= ${arg(q.since)}`);
  if (q.beforeId !== undefined) where.push(`id < ${arg(q.beforeId)}`);
  const sql = `SELECT * FROM audit ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT $1`;
  return (await run<AuditRow>(pool, sql, values)).rows;
}
