/**
 * The SQLite ActionOps: each operation one immediate transaction (better-sqlite3, synchronous),
 * with the service's check and audit callbacks called inside it.
 */
import type { Statement } from 'better-sqlite3';
import type { SqliteStores } from './engine.js';
import type { ActionOps, ActionOutcome, ApproveAction, EnqueueRecorded, EnqueueRequest, RemovedLibrary } from '../ops/actions.js';
import { immediate } from '../db.js';
import { PIPELINE_COLUMNS, type PipelineRow } from '../pipeline-row.js';
import { duplicateRow, queuedRow, requeueTransition } from '../enqueue-rows.js';

/**
 * Records one hashed file inside the caller's transaction (enqueue, and batch-queue's plan and
 * replay). The same content live elsewhere → a duplicate row (or "already queued" when it is this
 * very file, or a duplicate row for this path exists); the same content let go → requeued;
 * otherwise a new book.
 */
export function enqueueInTx(stores: SqliteStores, req: EnqueueRequest, batchId: number | null): EnqueueRecorded {
  const { db, pipelines, audit } = stores;
  const live = pipelines.findLiveByHash(req.hash);
  if (live) {
    if (live.source_path === req.path) {
      return { outcome: 'already_queued', pipeline: live, duplicateOf: live.id, auditId: null };
    }
    const existingDup = duplicateRowStmt(db).get(req.hash, req.path) as PipelineRow | undefined;
    if (existingDup) {
      return { outcome: 'already_queued', pipeline: existingDup, duplicateOf: live.id, auditId: null };
    }
    const dup = pipelines.insert(duplicateRow(req, live));
    const auditId = audit.append(req.audit({ outcome: 'duplicate', pipeline: dup, live }, batchId));
    return { outcome: 'duplicate', pipeline: dup, duplicateOf: live.id, auditId };
  }
  const previous = pipelines.findByHash(req.hash).find((p) => req.requeueFrom.includes(p.state));
  if (previous) {
    const after = pipelines.transitionInTx(requeueTransition(req, previous));
    const auditId = audit.append(req.audit({ outcome: 'requeued', pipeline: after, previous }, batchId));
    return { outcome: 'requeued', pipeline: after, duplicateOf: null, auditId };
  }
  const row = pipelines.insert(queuedRow(req));
  const auditId = audit.append(req.audit({ outcome: 'queued', pipeline: row }, batchId));
  return { outcome: 'queued', pipeline: row, duplicateOf: null, auditId };
}

// One prepared statement per connection (enqueue runs once per file of a batch-queue).
const duplicateRows = new WeakMap<object, Statement<unknown[], PipelineRow>>();
function duplicateRowStmt(db: SqliteStores['db']) {
  let stmt = duplicateRows.get(db);
  if (!stmt) {
    stmt = db.prepare<unknown[], PipelineRow>(`SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE content_hash = ? AND source_path = ? AND state = 'duplicate' LIMIT 1`);
    duplicateRows.set(db, stmt);
  }
  return stmt;
}

/**
 * approve inside the caller's transaction: for the worker's stage commit, whose auto-approval is
 * part of the same transaction as the stage's writes (see BookActions.approval).
 */
export function approveInTx(stores: SqliteStores, a: ApproveAction): ActionOutcome {
  const before = stores.pipelines.require(a.id);
  a.check(before);
  const after = stores.pipelines.transitionInTx({
    id: a.id,
    from: before.state,
    to: 'approved',
    actor: a.actor,
    note: a.note,
    patch: { approved_by: a.actor },
  });
  return { pipeline: after, auditId: stores.audit.append(a.audit(before, after)) };
}

export function sqliteActionOps(stores: SqliteStores): ActionOps {
  const { db, pipelines, audit } = stores;
  let library: { count: Statement; chunks: Statement; chapters: Statement; books: Statement } | undefined;
  // Prepared on first rollback (and once): most processes never roll a book back.
  const libraryStmts = () =>
    (library ??= {
      count: db.prepare(
        `SELECT (SELECT COUNT(*) FROM chapters WHERE pipeline_id = @id) AS chapters,
                (SELECT COUNT(*) FROM chunks WHERE pipeline_id = @id) AS chunks`,
      ),
      chunks: db.prepare('DELETE FROM chunks WHERE pipeline_id = ?'),
      chapters: db.prepare('DELETE FROM chapters WHERE pipeline_id = ?'),
      books: db.prepare('DELETE FROM books WHERE pipeline_id = ?'),
    });

  return {
    approve: async (a) => immediate(db, () => approveInTx(stores, a)),

    reject: async (a) =>
      immediate(db, () => {
        const before = pipelines.require(a.id);
        a.check(before);
        const after = pipelines.transitionInTx({
          id: a.id,
          from: before.state,
          to: 'rejected',
          actor: a.actor,
          note: a.reason,
          releaseLease: true,
        });
        return { pipeline: after, auditId: audit.append(a.audit(before, after)) };
      }),

    rollback: async (a) =>
      immediate(db, () => {
        const before = pipelines.require(a.id);
        a.check(before);
        const s = libraryStmts();
        const removed = s.count.get({ id: a.id }) as RemovedLibrary;
        s.chunks.run(a.id);
        s.chapters.run(a.id);
        s.books.run(a.id);
        const after = pipelines.transitionInTx({ id: a.id, from: before.state, to: 'archived', actor: a.actor, note: a.reason });
        return { pipeline: after, auditId: audit.append(a.audit(before, after, removed)), removed };
      }),

    setPriority: async (a) =>
      immediate(db, () => {
        const before = pipelines.require(a.id);
        a.check(before);
        if (before.priority === a.priority && before.base_priority === a.priority) {
          return { pipeline: before, auditId: null, changed: false };
        }
        const after =
          pipelines.updateColumns(a.id, before.state, { priority: a.priority, base_priority: a.priority }, { actor: a.actor }) ?? before;
        return { pipeline: after, auditId: audit.append(a.audit(before, after)), changed: true };
      }),

    enqueue: async (req) => immediate(db, () => enqueueInTx(stores, req, null)),
  };
}
