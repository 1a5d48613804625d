/**
 * The PostgreSQL UpkeepOps, observably the SQLite engine's (src/db/sqlite/upkeep.ts): each write
 * one transaction with its audit row. Times are the engine's clock when it was given one (tests),
 * else the server's (`ap_now`), like every other write on this engine.
 */
import crypto from 'node:crypto';
import type { PruneResult, UpkeepOps } from '../ops/upkeep.js';
import type { PipelineRow } from '../pipeline-row.js';
import { PIPELINE_COLUMNS } from '../pipeline-row.js';
import { prunedDigestLine } from '../audit.js';
import { NotFoundError } from '../../domain/errors.js';
import type { PgContext } from './context.js';
import { appendIn } from './audit.js';
import { transitionIn } from './pipelines.js';
import { CLAIMABLE_LIST } from './migrations.js';
import { globToRegex } from './batch-filter.js';
import { schemaVersionPg } from './connect.js';
import { run } from './sql.js';
import { withTx } from './tx.js';
import { recoveryTransition } from '../ops/upkeep.js';

const DAY = 86_400_000;

/** Locked, so `decide` and the compare-and-swap after it see the same row. */
const BOOK_LOCKED = `SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE id = $1 FOR UPDATE`;

/**
 * One sweep over the claimable states' ranges of pipelines_state_entered. $1 now (or null),
 * $2 step after ms, $3 top after ms, $4 step. The rows come back in SQLite's order (its
 * RETURNING follows the index: state, time entered, insertion order), since the PRIORITY_AGED
 * row lists them.
 */
const TARGET = 'CASE WHEN state_entered_at < ap_now($1) - $3 THEN 1 ELSE GREATEST(1, base_priority - $4) END';
const AGING_SWEEP = `
  WITH aged AS (
    UPDATE pipelines SET priority = ${TARGET}, updated_at = ap_now($1), version = version + 1
    WHERE state IN (${CLAIMABLE_LIST}) AND state_entered_at < ap_now($1) - $2 AND priority > ${TARGET}
    RETURNING id, priority, state, state_entered_at, queue_seq
  )
  SELECT id, priority FROM aged ORDER BY state, state_entered_at, queue_seq`;

/**
 * The id the AUDIT_PRUNED entry will get, and the time the policy's ages are measured from. The
 * head stays locked to the end: nobody appends in between, so the id stays ours. (Only audit
 * rows are touched after it, never a book: no lock-order cycle with the writers, who lock books
 * first and the head last.)
 */
const PRUNE_START = 'SELECT pos + 1 AS id, ap_now($1) AS now FROM audit_chain_head WHERE id = 1 FOR UPDATE';
const GATE_OPEN = 'UPDATE audit_gate SET open = 1, pruning = $1 WHERE id = 1';
const GATE_CLOSE = 'UPDATE audit_gate SET open = 0, pruning = NULL WHERE id = 1';
/**
 * The distinct actions a pattern matches, by a skip scan of audit_action (one probe per distinct
 * action, a few dozen, not a pass over 10M rows); retention's own entries never match. A btree
 * cannot serve a regular expression, but it can serve `action = ANY(…)` below.
 */
const MATCHING_ACTIONS = `
  WITH RECURSIVE a(action) AS (
    (SELECT action FROM audit ORDER BY action LIMIT 1)
    UNION ALL
    SELECT (SELECT action FROM audit WHERE action > a.action ORDER BY action LIMIT 1) FROM a WHERE a.action IS NOT NULL
  )
  SELECT action FROM a WHERE action IS NOT NULL AND action ~ $1 AND action NOT IN ('AUDIT_RETENTION', 'AUDIT_PRUNED')`;
/**
 * $1 actions, $2 cutoff. ids grow with time, so "older than" is also an id bound: below the first
 * entry kept (as on SQLite), which the audit_action (action, id) ranges can use.
 */
const DELETE_OLD = `
  WITH d AS (
    DELETE FROM audit WHERE action = ANY($1::text[]) AND at < $2
      AND id < COALESCE((SELECT MIN(id) FROM audit WHERE at >= $2), 9223372036854775807)
    RETURNING id
  )
  SELECT COUNT(*) AS n, MIN(id) AS lo, MAX(id) AS hi FROM d`;
/** The deletion records naming the entry, in id order, a page at a time (a prune can remove millions). */
const REMOVED_PAGE = 'SELECT id, hash, action, at FROM audit_deletions WHERE pruned_by = $1 AND id > $2 ORDER BY id LIMIT $3';
const DIGEST_PAGE = 10_000;

/** The newest entry, the count and the time in ONE statement: one snapshot, one moment. */
const ANCHOR_HEAD = `
  SELECT h.id, h.hash, h.hash_version, (SELECT COUNT(*) FROM audit) AS count, ap_now($1) AS at
  FROM (SELECT 1) AS one
  LEFT JOIN LATERAL (SELECT id, hash, hash_version FROM audit ORDER BY id DESC LIMIT 1) AS h ON true`;

export function pgUpkeepOps(ctx: PgContext, key: Buffer | null): UpkeepOps {
  const { pool } = ctx;
  return {
    recoverStuck: (req) =>
      withTx(pool, async (c) => {
        const row = (await run<PipelineRow>(c, BOOK_LOCKED, [req.id])).rows[0];
        if (!row) throw new NotFoundError(req.id);
        const plan = req.decide(row);
        const after = await transitionIn(ctx, c, recoveryTransition(req, row, plan));
        const [auditId] = await appendIn(ctx, key, c, [plan.audit(after)]);
        return { pipeline: after, auditId: auditId! };
      }),

    ageWaiting: (req) =>
      withTx(pool, async (c) => {
        const aged = (await run<{ id: string; priority: number }>(c, AGING_SWEEP, [ctx.now(), req.stepAfterMs, req.topAfterMs, req.step])).rows;
        if (aged.length === 0) return { aged, auditId: null };
        const [auditId] = await appendIn(ctx, key, c, [req.audit(aged)]);
        return { aged, auditId: auditId! };
      }),

    /**
     * The audit table refuses DELETE unless `audit_gate.open = 1` (trigger): this opens the gate
     * naming the AUDIT_PRUNED entry it will append (`pruning`, copied into each deletion record
     * by trigger), deletes, closes it and appends that entry, all in one transaction. Other
     * sessions never see the gate open (they read the committed, closed row), and an error
     * rolls the opening back with everything else.
     */
    pruneAudit: (req) =>
      withTx(pool, async (c) => {
        const start = (await run<{ id: number; now: number }>(c, PRUNE_START, [ctx.now()])).rows[0]!;
        const entryId = start.id;
        const result: PruneResult = { deleted: {}, total: 0, ranges: {}, digest: '' };
        await run(c, GATE_OPEN, [entryId]);
        for (const [pattern, days] of Object.entries(req.days)) {
          const cutoff = start.now - Math.round(days * DAY);
          const re = globToRegex(pattern);
          const actions = re === null ? [] : (await run<{ action: string }>(c, MATCHING_ACTIONS, [re])).rows.map((r) => r.action);
          result.deleted[pattern] = 0;
          if (actions.length === 0) continue;
          const d = (await run<{ n: number; lo: number | null; hi: number | null }>(c, DELETE_OLD, [actions, cutoff])).rows[0]!;
          result.deleted[pattern] = d.n;
          result.total += d.n;
          if (d.n > 0) result.ranges[pattern] = [d.lo!, d.hi!];
        }
        await run(c, GATE_CLOSE);
        if (result.total === 0) return { ...result, auditId: null };
        const digest = crypto.createHash('sha256');
        for (let after = 0; ; ) {
          const page = (await run<{ id: number; hash: string; action: string; at: number }>(c, REMOVED_PAGE, [entryId, after, DIGEST_PAGE])).rows;
          for (const d of page) digest.update(prunedDigestLine(d));
          if (page.length < DIGEST_PAGE) break;
          after = page.at(-1)!.id;
        }
        result.digest = digest.digest('hex');
        const [auditId] = await appendIn(ctx, key, c, [req.audit(result)]);
        // The deletion records name this id; appending must have given it out.
        if (auditId !== entryId) throw new Error(`retention expected to append audit entry #${entryId}, got #${auditId}`);
        return { ...result, auditId };
      }),

    anchorHead: async () => {
      const r = (await run<{ id: number | null; hash: string | null; hash_version: number | null; count: number; at: number }>(pool, ANCHOR_HEAD, [ctx.now()])).rows[0]!;
      return { id: r.id ?? 0, hash: r.hash, count: r.count, hash_version: r.hash_version, at: r.at };
    },

    /**
     * Nothing to do here, by design: the server owns its write-ahead log (the checkpointer runs
     * on max_wal_size and checkpoint_timeout, and archiving or replication decide what is
     * kept), CHECKPOINT needs a superuser or pg_checkpoint, and one forced from an application
     * only adds I/O. There is no WAL file of this database that a client could measure either,
     * so this reports what the interface asks of an engine without one: 0 bytes, not checkpointed.
     */
    checkpointIfLarge: async () => ({ wal_bytes: 0, checkpointed: false }),

    schemaVersion: async () => {
      const client = await pool.connect();
      try {
        return (await schemaVersionPg(client)) ?? 0;
      } finally {
        client.release();
      }
    },
  };
}
