/**
 * The PostgreSQL BatchOps (all but queueMany, which ./queue-many.ts provides), observably the
 * SQLite engine's (src/db/sqlite/batches.ts): preview and apply run the same filter, and a chunk
 * is one transaction that re-checks every book against its preview, skips what changed, writes
 * the rest (one set-based UPDATE for approve/reject) and appends the audit rows: the first
 * chunk's header (the batch id every book's row points at) or a later chunk's BATCH_CHUNK row.
 *
 * What differs from SQLite, and why:
 * - SQLite's immediate transaction shuts every other writer out, so what it reads stays true
 *   until it commits. Here workers and people write concurrently, so a chunk first locks its
 *   books (FOR UPDATE, in id order, so two chunks never lock each other in opposite orders):
 *   what it reads about them is then what it changes, and a concurrent writer either committed
 *   before (the version moved: skipped) or waits and runs after (and sees the batch's change).
 *   Nothing is lost either way. The set-based UPDATE keeps its version guard all the same.
 * - The batch id is the header's audit id, which is needed before the books' history notes are
 *   written ("batch <id>"). SQLite reads the next id; here the chain head is locked (after the
 *   books: every writer locks books before the head, see ./audit.ts) and its next position is
 *   the header's, since nobody else can append until this chunk commits.
 */
import type { BatchChunkResult, BatchCurrent, BatchOps, BatchRow } from '../ops/batches.js';
import type { AuditEntryInput } from '../audit.js';
import { PATCHABLE_COLUMNS } from '../pipeline-row.js';
import { canTransition, isPipelineState } from '../../domain/states.js';
import { InputError } from '../../domain/errors.js';
import type { PgContext } from './context.js';
import { appendIn } from './audit.js';
import { guardedUpdate, transitionIn } from './pipelines.js';
import { filterToSql, sqlList } from './batch-filter.js';
import { run } from './sql.js';
import type { Queryable } from './tx.js';
import { withTx } from './tx.js';
import { decideEach, movableBooks, newTally, recheckFirst, settleMove } from '../batch-plan.js';

const SELECTED = 'id, source_path, book_type, confidence, state, priority, created_at, version';
const CURRENT = 'id, state, version, content_hash, confidence, priority';
/** The previewed books as they are now (the first chunk's re-check of the whole batch). */
const READ_CURRENT = `SELECT ${CURRENT} FROM pipelines WHERE id = ANY($1::text[])`;
/** The chunk's books, locked in id order (see the header). */
const LOCK_CURRENT = `SELECT ${CURRENT} FROM pipelines WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`;
/** The id the next appended audit row gets; the row lock keeps it ours until commit. */
const RESERVE_HEADER = 'SELECT pos + 1 AS id FROM audit_chain_head WHERE id = 1 FOR UPDATE';
const LIVE_HOLDER = 'SELECT id, state FROM pipelines WHERE live_hash = $1';

type SelectOps = Pick<BatchOps, 'selectByFilter' | 'countByFilter' | 'applyChunk'>;

/**
 * The set-based move: every listed book still at its previewed version and in one of the given
 * states moves, each with its history row (trigger). Text per (states, patch columns) shape.
 */
function moveSql(froms: readonly string[], keys: readonly string[], stampCompleted: boolean): string {
  const sets = [
    'updated_at = ap_now($1)', 'version = p.version + 1', 'state = $2', 'state_entered_at = ap_now($1)',
    'last_actor = $3', 'transition_note = $4', ...keys.map((k, i) => `${k} = $${7 + i}`),
    // As every transition: reaching complete stamps completed_at unless the patch sets it.
    ...(stampCompleted ? ['completed_at = ap_now($1)'] : []),
  ];
  return `
    UPDATE pipelines p SET ${sets.join(', ')}
    FROM unnest($5::text[], $6::integer[]) AS x(pid, ver)
    WHERE p.id = x.pid AND p.version = x.ver AND p.state IN (${sqlList(froms)})
    RETURNING p.id`;
}

async function currentOf(c: Queryable, sql: string, ids: readonly string[]): Promise<Map<string, BatchCurrent>> {
  if (ids.length === 0) return new Map();
  return new Map((await run<BatchCurrent>(c, sql, [ids])).rows.map((r) => [r.id, r]));
}

export function pgBatchOps(ctx: PgContext, key: Buffer | null): SelectOps {
  const { pool } = ctx;
  return {
    // Filter texts vary with the filter's shape (and the number of ids): unnamed statements, so
    // the per-connection prepared-statement names stay a bounded set (./sql.ts).
    selectByFilter: async (filter, states, limit) => {
      const { where, values } = filterToSql(filter, states);
      const sql = `SELECT ${SELECTED} FROM pipelines WHERE ${where} ORDER BY created_at, id LIMIT $${values.length + 1}`;
      return (await pool.query<BatchRow>(sql, [...values, limit])).rows;
    },

    countByFilter: async (filter, states) => {
      const { where, values } = filterToSql(filter, states);
      return (await pool.query<{ n: number }>(`SELECT COUNT(*) AS n FROM pipelines WHERE ${where}`, values)).rows[0]!.n;
    },

    // Runs again from the start after a deadlock (./tx.ts): everything below is decided from what
    // the transaction reads, and the service's callbacks are pure.
    applyChunk: (req) =>
      withTx(pool, async (c): Promise<BatchChunkResult> => {
        const tally = newTally();
        const { skipped, skippedAtStart, applied, entries } = tally;
        let books = req.books;
        if (req.first) {
          // Re-check every previewed book once, so the header can say how many it plans.
          books = recheckFirst(req, await currentOf(c, READ_CURRENT, req.first.all.map((b) => b.id)), tally);
        } else if (!req.later) {
          throw new Error('applyChunk needs `first` or `later`');
        }
        const cur = await currentOf(c, LOCK_CURRENT, books.map((b) => b.id));
        const batchId = req.first ? (await run<{ id: number }>(c, RESERVE_HEADER)).rows[0]!.id : req.later!.batchId;

        const change = req.change;
        if (change.kind === 'move') {
          const movable = movableBooks(change, books, tally);
          if (!isPipelineState(change.to)) throw new InputError(`unknown state '${change.to}'`);
          const froms = [...new Set(movable.map((b) => b.state))].filter((f) => canTransition(f, change.to));
          const moved = new Set<string>();
          if (movable.length > 0 && froms.length > 0) {
            const patch: Record<string, unknown> = { ...change.patch };
            if (change.releaseLease) Object.assign(patch, { lease_owner: null, lease_token: null, lease_expires_at: null });
            const keys = Object.keys(patch).filter((k) => patch[k] !== undefined).sort();
            for (const k of keys) if (!PATCHABLE_COLUMNS.has(k)) throw new Error(`column ${k} cannot be patched`);
            const sql = moveSql(froms, keys, change.to === 'complete' && !keys.includes('completed_at'));
            const r = await run<{ id: string }>(c, sql, [
              ctx.now(), change.to, req.actor, change.note(batchId),
              movable.map((b) => b.id), movable.map((b) => b.version), ...keys.map((k) => patch[k]),
            ]);
            for (const row of r.rows) moved.add(row.id);
          }
          // The books are locked: what was read before the UPDATE is what the ones it left are.
          settleMove(req, change, movable, moved, (id) => cur.get(id), batchId, tally);
        } else {
          for (const b of books) {
            const d = decideEach(req, change, b, cur.get(b.id), batchId);
            if ('skip' in d) {
              skipped.push({ id: b.id, why: d.skip });
              continue;
            }
            const { step, current: now } = d;
            if (step.kind === 'update') {
              const row = await guardedUpdate(ctx, c, b.id, now.state, now.state, step.patch as Record<string, unknown>, { actor: req.actor, note: null });
              if (!row) {
                skipped.push({ id: b.id, why: req.changedDuring(b, now) });
                continue;
              }
            } else {
              if (step.contentHeldBy && now.content_hash) {
                const live = (await run<{ id: string; state: BatchCurrent['state'] }>(c, LIVE_HOLDER, [now.content_hash])).rows[0];
                if (live && live.id !== b.id) {
                  skipped.push({ id: b.id, why: step.contentHeldBy(live) });
                  continue;
                }
              }
              await transitionIn(ctx, c, {
                id: b.id, from: now.state, to: step.to, actor: req.actor, note: step.note, expectedVersion: b.version, patch: step.patch,
              });
            }
            entries.push(step.audit);
            applied.push(b.id);
          }
        }

        if (req.first) {
          const planned = req.first.all.length - skippedAtStart.length;
          const ids = await appendIn(ctx, key, c, [req.first.header(applied, planned, skippedAtStart.length), ...entries]);
          if (ids[0] !== batchId) throw new Error(`batch header expected audit id ${batchId}, got ${ids[0]}`);
        } else {
          await appendIn(ctx, key, c, [...entries, req.later!.closing(applied)]);
        }
        return { batchId, applied, skipped, skippedAtStart };
      }),
  };
}
