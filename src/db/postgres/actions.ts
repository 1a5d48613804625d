/**
 * The PostgreSQL ActionOps, with the SQLite engine's semantics (src/db/sqlite/actions.ts). Each
 * operation is one transaction: the book's row read FOR UPDATE → the service's `check` → the
 * write (through the pipeline helpers, so history and counts come from the triggers) → its audit
 * row (./audit.ts appendIn), always last: the chain head is locked after the books' rows.
 *
 * Differences from SQLite, and why:
 * - A second caller acting on the same book waits on the row lock, then reads the row as the
 *   first one left it and is refused by `check` (SQLite serialises the whole transaction).
 * - Enqueue: two hosts recording the same content at once would both find no live copy, and the
 *   second insert would fail on the live-hash unique index. So every recording of a content
 *   first takes a transaction advisory lock on that content: the second waits, then finds the
 *   first one's book (duplicate / already queued), as it would have one after the other. A
 *   worker's hashing commit can still claim the content in between (it takes no such lock); the
 *   loser of that race fails on the index and its transaction runs again from the start, finding
 *   the winner.
 * - Recording a file writes the book first and returns its audit event; the caller appends the
 *   row(s) once the books are written (batch-queue appends its header between, see
 *   ./queue-many.ts), which keeps the books-before-head lock order.
 */
import type pg from 'pg';
import type { ActionOps, EnqueueEvent, EnqueueRecorded, EnqueueRequest, RemovedLibrary } from '../ops/actions.js';
import type { AuditEntryInput } from '../audit.js';
import type { PipelineRow } from '../pipeline-row.js';
import { PIPELINE_COLUMNS } from '../pipeline-row.js';
import { NotFoundError } from '../../domain/errors.js';
import type { PgContext } from './context.js';
import { appendIn } from './audit.js';
import { isLiveHashRace } from './library.js';
import { guardedUpdate, insertIn, transitionIn } from './pipelines.js';
import { run } from './sql.js';
import type { Queryable } from './tx.js';
import { withTx } from './tx.js';
import { duplicateRow, queuedRow, requeueTransition } from '../enqueue-rows.js';

const LOCK_BOOK = `SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE id = $1 FOR UPDATE`;
const LIVE_BY_HASH = `SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE live_hash = $1`;
const DUPLICATE_ROW = `SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE content_hash = $1 AND source_path = $2 AND state = 'duplicate' LIMIT 1`;
/** As SQLite's findByHash (newest first, at most 100), so a requeue picks the same book. */
const BY_HASH = `SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE content_hash = $1 ORDER BY created_at DESC, id DESC LIMIT 100`;
const LIBRARY_COUNTS = `SELECT (SELECT COUNT(*) FROM chapters WHERE pipeline_id = $1)::integer AS chapters,
  (SELECT COUNT(*) FROM chunks WHERE pipeline_id = $1)::integer AS chunks`;
// Chapters and chunks cascade from the book row.
const DELETE_BOOK = 'DELETE FROM books WHERE pipeline_id = $1';

/** The advisory-lock namespace of contents being recorded ('apct'); the key is hashtext(hash). */
const CONTENT_LOCK = 0x61706374;
/**
 * Every content of one recording, locked in one statement in key order (the sort happens before
 * the volatile lock calls are evaluated), so two batch-queues sharing contents cannot deadlock.
 */
const LOCK_CONTENTS = `SELECT pg_advisory_xact_lock($1, k)
  FROM (SELECT DISTINCT hashtext(h) AS k FROM unnest($2::text[]) AS h) AS keys ORDER BY k`;
const MAX_CONTENT_RACES = 5;

async function lockBook(c: Queryable, id: string): Promise<PipelineRow> {
  const row = (await run<PipelineRow>(c, LOCK_BOOK, [id])).rows[0];
  if (!row) throw new NotFoundError(id);
  return row;
}

export async function lockContents(c: Queryable, hashes: readonly string[]): Promise<void> {
  await run(c, LOCK_CONTENTS, [CONTENT_LOCK, hashes]);
}

/**
 * A recording transaction: run again from the start when a worker's hashing commit took the
 * content between our look-up and our write (the unique live-hash index refused ours).
 */
export async function withContentTx<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withTx(pool, fn);
    } catch (err) {
      if (!isLiveHashRace(err) || attempt >= MAX_CONTENT_RACES) throw err;
    }
  }
}

/** What recording one file wrote: the outcome, and the event its audit row describes (none when already queued). */
export interface RecordedFile {
  recorded: EnqueueRecorded;
  event: EnqueueEvent | null;
}

/**
 * Records one hashed file inside the caller's transaction, which holds the content's lock; the
 * audit row is the caller's to append (auditId is null here). The decisions are SQLite's
 * enqueueInTx, in the same order: the same content live elsewhere → a duplicate row (or "already
 * queued" when it is this very file, or a duplicate row for this path exists); the same content
 * let go → requeued; otherwise a new book.
 */
export async function recordIn(ctx: PgContext, c: Queryable, req: EnqueueRequest): Promise<RecordedFile> {
  const live = (await run<PipelineRow>(c, LIVE_BY_HASH, [req.hash])).rows[0];
  if (live) {
    if (live.source_path === req.path) {
      return { recorded: { outcome: 'already_queued', pipeline: live, duplicateOf: live.id, auditId: null }, event: null };
    }
    const existingDup = (await run<PipelineRow>(c, DUPLICATE_ROW, [req.hash, req.path])).rows[0];
    if (existingDup) {
      return { recorded: { outcome: 'already_queued', pipeline: existingDup, duplicateOf: live.id, auditId: null }, event: null };
    }
    const dup = await insertIn(ctx, c, duplicateRow(req, live));
    return {
      recorded: { outcome: 'duplicate', pipeline: dup, duplicateOf: live.id, auditId: null },
      event: { outcome: 'duplicate', pipeline: dup, live },
    };
  }
  const previous = (await run<PipelineRow>(c, BY_HASH, [req.hash])).rows.find((p) => req.requeueFrom.includes(p.state));
  if (previous) {
    const after = await transitionIn(ctx, c, requeueTransition(req, previous));
    return {
      recorded: { outcome: 'requeued', pipeline: after, duplicateOf: null, auditId: null },
      event: { outcome: 'requeued', pipeline: after, previous },
    };
  }
  const row = await insertIn(ctx, c, queuedRow(req));
  return { recorded: { outcome: 'queued', pipeline: row, duplicateOf: null, auditId: null }, event: { outcome: 'queued', pipeline: row } };
}

export function pgActionOps(ctx: PgContext, key: Buffer | null): ActionOps {
  const { pool } = ctx;
  const appendOne = async (c: Queryable, entry: AuditEntryInput) => (await appendIn(ctx, key, c, [entry]))[0]!;

  return {
    approve: (a) =>
      withTx(pool, async (c) => {
        const before = await lockBook(c, a.id);
        a.check(before);
        const after = await transitionIn(ctx, c, {
          id: a.id,
          from: before.state,
          to: 'approved',
          actor: a.actor,
          note: a.note,
          patch: { approved_by: a.actor },
        });
        return { pipeline: after, auditId: await appendOne(c, a.audit(before, after)) };
      }),

    reject: (a) =>
      withTx(pool, async (c) => {
        const before = await lockBook(c, a.id);
        a.check(before);
        const after = await transitionIn(ctx, c, {
          id: a.id,
          from: before.state,
          to: 'rejected',
          actor: a.actor,
          note: a.reason,
          releaseLease: true,
        });
        return { pipeline: after, auditId: await appendOne(c, a.audit(before, after)) };
      }),

    rollback: (a) =>
      withTx(pool, async (c) => {
        const before = await lockBook(c, a.id);
        a.check(before);
        const removed = (await run<{ chapters: number; chunks: number }>(c, LIBRARY_COUNTS, [a.id])).rows[0]!;
        await run(c, DELETE_BOOK, [a.id]);
        const after = await transitionIn(ctx, c, { id: a.id, from: before.state, to: 'archived', actor: a.actor, note: a.reason });
        const counts: RemovedLibrary = { chapters: removed.chapters, chunks: removed.chunks };
        return { pipeline: after, auditId: await appendOne(c, a.audit(before, after, counts)), removed: counts };
      }),

    setPriority: (a) =>
      withTx(pool, async (c) => {
        const before = await lockBook(c, a.id);
        a.check(before);
        // The trail records changes: asking for the priority the book has writes nothing.
        if (before.priority === a.priority && before.base_priority === a.priority) {
          return { pipeline: before, auditId: null, changed: false };
        }
        const after =
          (await guardedUpdate(ctx, c, a.id, before.state, before.state, { priority: a.priority, base_priority: a.priority }, { actor: a.actor, note: null })) ??
          before;
        return { pipeline: after, auditId: await appendOne(c, a.audit(before, after)), changed: true };
      }),

    enqueue: (req) =>
      withContentTx(pool, async (c) => {
        await lockContents(c, [req.hash]);
        const { recorded, event } = await recordIn(ctx, c, req);
        if (!event) return recorded;
        return { ...recorded, auditId: await appendOne(c, req.audit(event, null)) };
      }),
  };
}
