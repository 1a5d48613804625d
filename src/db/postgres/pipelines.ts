/**
 * Pipelines on PostgreSQL: the same semantics as PipelineStore (src/db/pipelines.ts). A
 * transition is a compare-and-swap UPDATE on state (+ lease token, + version); only when it
 * changes nothing is the row read, under FOR UPDATE, to say exactly why. History rows and counts
 * are written by triggers in the same transaction.
 */
import type pg from 'pg';
import type { PipelineOps } from '../ops/pipelines.js';
import type { PipelineRow } from '../pipeline-row.js';
import { PATCHABLE_COLUMNS, PIPELINE_COLUMNS } from '../pipeline-row.js';
import type { AdvanceOutcome, HeldTransition, ListOptions, NewPipeline, TransitionRequest } from '../pipelines.js';
import { newPipelineId } from '../pipelines.js';
import type { PipelineState } from '../../domain/states.js';
import { canTransition, DEFAULT_PRIORITY, isPipelineState } from '../../domain/states.js';
import { AmbiguousIdError, IllegalTransitionError, InputError, NotFoundError } from '../../domain/errors.js';
import type { PgContext } from './context.js';
import { P_COLUMNS } from './context.js';
import { refusalFor, splitAdvance } from '../transition-rules.js';
import { run } from './sql.js';
import type { Queryable } from './tx.js';
import { withTx } from './tx.js';

const ID_PREFIX = /^[0-9a-f]{1,32}$/;

const BY_ID = `SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE id = $1`;
const BY_ID_LOCKED = `${BY_ID} FOR UPDATE`;
const BY_PREFIX = 'SELECT id FROM pipelines WHERE id >= $1 AND id < $2 ORDER BY id LIMIT 4';
const INSERT = `
  INSERT INTO pipelines (id, source_path, content_hash, size, format, state, priority, base_priority,
    max_attempts, duplicate_of, created_at, updated_at, state_entered_at, last_actor, transition_note)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, ap_now($10), ap_now($10), ap_now($10), $11, $12)
  RETURNING ${PIPELINE_COLUMNS}`;

interface Guard {
  actor: string;
  note: string | null;
  leaseToken?: string | undefined;
  version?: number | undefined;
}

/** The patch a transition writes besides state (the lease dropped when asked). */
function transitionPatch(req: Pick<TransitionRequest, 'patch' | 'releaseLease'>): Record<string, unknown> {
  const patch: Record<string, unknown> = { ...(req.patch ?? {}) };
  if (req.releaseLease) {
    patch.lease_owner = null;
    patch.lease_token = null;
    patch.lease_expires_at = null;
  }
  return patch;
}

/**
 * One guarded UPDATE (built per shape of patch and guard; the text is stable, so it is prepared
 * once per connection). Returns the new row, or undefined when the guard failed.
 */
export async function guardedUpdate(
  ctx: PgContext,
  c: Queryable,
  id: string,
  from: PipelineState,
  to: PipelineState,
  patch: Record<string, unknown>,
  guard: Guard,
): Promise<PipelineRow | undefined> {
  const keys = Object.keys(patch)
    .filter((k) => patch[k] !== undefined)
    .sort();
  for (const k of keys) {
    if (!PATCHABLE_COLUMNS.has(k)) throw new Error(`column ${k} cannot be patched`);
  }
  const values: unknown[] = [id, ctx.now(), from];
  const arg = (v: unknown) => {
    values.push(v);
    return `$${values.length}`;
  };
  const sets = ['updated_at = ap_now($2)', 'version = version + 1'];
  if (from !== to) {
    sets.push(`state = ${arg(to)}`, 'state_entered_at = ap_now($2)', `last_actor = ${arg(guard.actor)}`, `transition_note = ${arg(guard.note)}`);
    // Reaching complete stamps completed_at unless the caller set it (as SQLite's transitionPatch).
    if (to === 'complete' && !keys.includes('completed_at')) sets.push('completed_at = ap_now($2)');
  }
  for (const k of keys) sets.push(`${k} = ${arg(patch[k])}`);
  const where = ['id = $1', 'state = $3'];
  if (guard.leaseToken !== undefined) where.push(`lease_token = ${arg(guard.leaseToken)}`);
  if (guard.version !== undefined) where.push(`version = ${arg(guard.version)}`);
  const r = await run<PipelineRow>(c, `UPDATE pipelines SET ${sets.join(', ')} WHERE ${where.join(' AND ')} RETURNING ${PIPELINE_COLUMNS}`, values);
  return r.rows[0];
}

/** `transition` inside a caller's transaction (actions, batches on this engine use it too). */
export async function transitionIn(ctx: PgContext, c: Queryable, req: TransitionRequest): Promise<PipelineRow> {
  const froms: readonly PipelineState[] = typeof req.from === 'string' ? [req.from] : req.from;
  if (!isPipelineState(req.to)) throw new InputError(`unknown state '${req.to}'`);
  const patch = transitionPatch(req);
  const guard = { actor: req.actor, note: req.note ?? null, leaseToken: req.leaseToken };
  // Fast path (every worker step): one guarded UPDATE.
  if (froms.length === 1 && canTransition(froms[0]!, req.to)) {
    const row = await guardedUpdate(ctx, c, req.id, froms[0]!, req.to, patch, { ...guard, version: req.expectedVersion });
    if (row) return row;
  }
  const current = (await run<PipelineRow>(c, BY_ID_LOCKED, [req.id])).rows[0];
  if (!current) throw new NotFoundError(req.id);
  const refusal = refusalFor(req, current, froms);
  if (refusal) throw refusal;
  const row = await guardedUpdate(ctx, c, req.id, current.state, req.to, patch, { ...guard, version: current.version });
  if (!row) throw new IllegalTransitionError(req.id, current.state, req.to, `pipeline ${req.id.slice(0, 8)} changed during the transition`);
  return row;
}

/** `insert` inside a caller's transaction (enqueue and batch-queue on this engine use it too). */
export async function insertIn(ctx: PgContext, c: Queryable, input: NewPipeline): Promise<PipelineRow> {
  const r = await run<PipelineRow>(c, INSERT, [
    input.id ?? newPipelineId(),
    input.source_path,
    input.content_hash ?? null,
    input.size ?? null,
    input.format ?? null,
    input.state ?? 'detected',
    input.priority ?? DEFAULT_PRIORITY,
    input.max_attempts ?? 5,
    input.duplicate_of ?? null,
    ctx.now(),
    input.actor,
    input.note ?? null,
  ]);
  return r.rows[0]!;
}

export function pgPipelineOps(ctx: PgContext): PipelineOps {
  const { pool } = ctx;
  const get = async (id: string) => (await run<PipelineRow>(pool, BY_ID, [id])).rows[0];
  return {
    get,
    async require(id) {
      const row = await get(id);
      if (!row) throw new NotFoundError(id);
      return row;
    },
    async resolveId(idOrPrefix) {
      const prefix = idOrPrefix.trim().toLowerCase();
      if (!ID_PREFIX.test(prefix)) throw new InputError(`invalid pipeline id '${idOrPrefix}': expected hexadecimal characters`);
      if (prefix.length === 32) {
        if (!(await get(prefix))) throw new NotFoundError(idOrPrefix);
        return prefix;
      }
      // The primary key as a range ('g' sorts after every hex digit): one index probe.
      const rows = (await run<{ id: string }>(pool, BY_PREFIX, [prefix, prefix + 'g'])).rows;
      if (rows.length === 0) throw new NotFoundError(idOrPrefix);
      if (rows.length > 1) throw new AmbiguousIdError(idOrPrefix, rows.map((r) => r.id));
      return rows[0]!.id;
    },
    insert: (input: NewPipeline) => insertIn(ctx, pool, input),
    async transition(req) {
      // The fast path (every worker step) is one guarded UPDATE, atomic on its own: no
      // BEGIN/COMMIT round trips. Only a lost or unusual swap needs the transaction that reads
      // the row (FOR UPDATE) to say why.
      const froms: readonly PipelineState[] = typeof req.from === 'string' ? [req.from] : req.from;
      if (isPipelineState(req.to) && froms.length === 1 && canTransition(froms[0]!, req.to)) {
        const row = await guardedUpdate(ctx, pool, req.id, froms[0]!, req.to, transitionPatch(req), {
          actor: req.actor, note: req.note ?? null, leaseToken: req.leaseToken, version: req.expectedVersion,
        });
        if (row) return row;
      }
      return withTx(pool, (c) => transitionIn(ctx, c, req));
    },
    advanceMany: (items, options) => withTx(pool, (c) => advanceIn(ctx, c, items, options)),
    async list(options: ListOptions = {}) {
      const limit = Math.max(1, Math.min(options.limit ?? 50, 10_000));
      const values: unknown[] = [limit];
      const where: string[] = [];
      if (options.state) {
        values.push(options.state);
        where.push(`state = $${values.length}`);
      }
      if (options.before) {
        values.push(options.before.created_at, options.before.id);
        where.push(`(created_at, id) < ($${values.length - 1}, $${values.length})`);
      }
      const order = options.state ? 'state_entered_at DESC, id DESC' : 'created_at DESC, id DESC';
      const sql = `SELECT ${PIPELINE_COLUMNS} FROM pipelines ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY ${order} LIMIT $1`;
      return (await run<PipelineRow>(pool, sql, values)).rows;
    },
    async countsByState() {
      const rows = (await run<{ state: string; n: number }>(pool, 'SELECT state, SUM(n)::bigint AS n FROM pipeline_counts GROUP BY state')).rows;
      const out: Record<string, number> = {};
      for (const r of rows) if (r.n > 0) out[r.state] = r.n;
      return out;
    },
    findLiveByHash: async (hash) => (await run<PipelineRow>(pool, `SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE live_hash = $1`, [hash])).rows[0],
    findByHash: async (hash) =>
      (await run<PipelineRow>(pool, `SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE content_hash = $1 ORDER BY created_at DESC, id DESC LIMIT 100`, [hash])).rows,
  };
}

/**
 * A lease holder's group move: one UPDATE over the listed books (each its own CAS on state and
 * lease token, each with its history row by trigger); the books that lost their swap are read
 * back and refused with the error `transition` would have thrown.
 */
async function advanceIn(
  ctx: PgContext,
  c: pg.PoolClient,
  items: readonly HeldTransition[],
  options: { actor: string; releaseLease?: boolean },
): Promise<AdvanceOutcome> {
  const { legal, refused } = splitAdvance(items);
  if (legal.length === 0) return { moved: [], refused };
  const release = options.releaseLease ? ', lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL' : '';
  const sql = `
    UPDATE pipelines p SET updated_at = ap_now($1), version = p.version + 1, state = x.to_state,
      state_entered_at = ap_now($1), last_actor = $2, transition_note = x.note,
      completed_at = CASE WHEN x.to_state = 'complete' THEN ap_now($1) ELSE p.completed_at END${release}
    FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS x(pid, tok, from_state, to_state, note)
    WHERE p.id = x.pid AND p.lease_token = x.tok AND p.state = x.from_state
    RETURNING p.id, p.state, p.version`;
  const moved = (
    await run<AdvanceOutcome['moved'][number]>(c, sql, [
      ctx.now(),
      options.actor,
      legal.map((i) => i.id),
      legal.map((i) => i.leaseToken),
      legal.map((i) => i.from),
      legal.map((i) => i.to),
      legal.map((i) => i.note ?? null),
    ])
  ).rows;
  if (moved.length < legal.length) {
    const done = new Set(moved.map((m) => m.id));
    const lost = legal.filter((i) => !done.has(i.id));
    const rows = (await run<PipelineRow>(c, `SELECT ${P_COLUMNS} FROM pipelines p WHERE p.id = ANY($1::text[])`, [lost.map((i) => i.id)])).rows;
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const item of lost) {
      const current = byId.get(item.id);
      refused.push({
        id: item.id,
        error: current
          ? (refusalFor(item, current, [item.from]) ??
            new IllegalTransitionError(item.id, current.state, item.to, `pipeline ${item.id.slice(0, 8)} changed during the transition`))
          : new NotFoundError(item.id),
      });
    }
  }
  return { moved, refused };
}
