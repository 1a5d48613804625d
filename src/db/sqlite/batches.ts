/**
 * The SQLite BatchOps. A chunk is one immediate transaction: re-read the chunk's books (one
 * json_each join), skip every book whose version or state moved since the preview, write the
 * rest (set-based for approve/reject), then the audit rows: the first chunk's header (whose id,
 * reserved before anything else is appended, is the batch id the books' rows point at) or a
 * later chunk's closing BATCH_CHUNK row.
 */
import type { Statement } from 'better-sqlite3';
import type { SqliteStores } from './engine.js';
import type { BatchChunkResult, BatchCurrent, BatchOps, BatchRow } from '../ops/batches.js';
import type { EnqueueRecorded } from '../ops/actions.js';
import type { AuditEntryInput } from '../audit.js';
import { immediate } from '../db.js';
import { filterToSql } from './batch-filter.js';
import { enqueueInTx } from './actions.js';
import { newPipelineId } from '../pipelines.js';
import { decideEach, movableBooks, newTally, recheckFirst, settleMove } from '../batch-plan.js';

const PLAN_ONLY = Symbol('plan only');

export function sqliteBatchOps(stores: SqliteStores): BatchOps {
  const { db, pipelines, audit } = stores;
  // Filters differ in shape (which fields are set): statements are cached by their SQL text.
  const cache = new Map<string, Statement>();
  const prepared = (sql: string): Statement => {
    let stmt = cache.get(sql);
    if (!stmt) {
      if (cache.size >= 64) cache.clear(); // a long-lived process (console, MCP) sees many shapes
      stmt = db.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
  let fetchStmt: Statement<[string], BatchCurrent> | undefined;
  const current = (ids: readonly string[]): Map<string, BatchCurrent> => {
    fetchStmt ??= db.prepare<[string], BatchCurrent>(
      `SELECT p.id, p.state, p.version, p.content_hash, p.confidence, p.priority
       FROM json_each(?) j JOIN pipelines p ON p.id = j.value`,
    );
    return new Map(fetchStmt.all(JSON.stringify(ids)).map((r) => [r.id, r]));
  };

  return {
    selectByFilter: async (filter, states, limit) => {
      const { where, params, index } = filterToSql(filter, states);
      return prepared(
        `SELECT id, source_path, book_type, confidence, state, priority, created_at, version
         FROM pipelines ${index} WHERE ${where} ORDER BY created_at, id LIMIT @limit`,
      ).all({ ...params, limit }) as BatchRow[];
    },

    countByFilter: async (filter, states) => {
      const { where, params, index } = filterToSql(filter, states);
      return (prepared(`SELECT COUNT(*) AS n FROM pipelines ${index} WHERE ${where}`).get(params) as { n: number }).n;
    },

    applyChunk: async (req) =>
      immediate(db, (): BatchChunkResult => {
        const tally = newTally();
        const { skipped, skippedAtStart, applied, entries } = tally;
        let books = req.books;
        let batchId: number;
        if (req.first) {
          books = recheckFirst(req, current(req.first.all.map((b) => b.id)), tally);
          // The header is appended after this chunk's changes (so it can name what they did) but
          // the books' rows point at it: nothing else appends inside this transaction.
          batchId = audit.nextId();
        } else if (req.later) {
          batchId = req.later.batchId;
        } else {
          throw new Error('applyChunk needs `first` or `later`');
        }

        const change = req.change;
        if (change.kind === 'move') {
          const movable = movableBooks(change, books, tally);
          const moved = new Set(
            pipelines
              .transitionManyInTx(
                movable.map((b) => ({ id: b.id, version: b.version })),
                {
                  from: [...new Set(movable.map((b) => b.state))],
                  to: change.to,
                  actor: req.actor,
                  note: change.note(batchId),
                  patch: change.patch,
                  ...(change.releaseLease ? { releaseLease: true } : {}),
                },
              )
              .map((r) => r.id),
          );
          // Only the books the UPDATE left alone are read again, to say why.
          const left = movable.filter((b) => !moved.has(b.id));
          const now = left.length > 0 ? current(left.map((b) => b.id)) : undefined;
          settleMove(req, change, movable, moved, (id) => now?.get(id), batchId, tally);
        } else {
          const cur = current(books.map((b) => b.id));
          for (const b of books) {
            const d = decideEach(req, change, b, cur.get(b.id), batchId);
            if ('skip' in d) {
              skipped.push({ id: b.id, why: d.skip });
              continue;
            }
            const { step, current: c } = d;
            if (step.kind === 'update') {
              if (!pipelines.updateColumns(b.id, c.state, step.patch, { actor: req.actor })) {
                skipped.push({ id: b.id, why: req.changedDuring(b, c) });
                continue;
              }
            } else {
              if (step.contentHeldBy && c.content_hash) {
                const live = pipelines.findLiveByHash(c.content_hash);
                if (live && live.id !== b.id) {
                  skipped.push({ id: b.id, why: step.contentHeldBy(live) });
                  continue;
                }
              }
              pipelines.transitionInTx({
                id: b.id, from: c.state, to: step.to, actor: req.actor, note: step.note, expectedVersion: b.version, patch: step.patch,
              });
            }
            entries.push(step.audit);
            applied.push(b.id);
          }
        }

        if (req.first) {
          const planned = req.first.all.length - skippedAtStart.length;
          const header = audit.append(req.first.header(applied, planned, skippedAtStart.length));
          if (header !== batchId) throw new Error(`batch header expected audit id ${batchId}, got ${header}`);
          audit.appendMany(entries);
        } else {
          audit.appendMany(entries);
          audit.append(req.later!.closing(applied));
        }
        return { batchId, applied, skipped, skippedAtStart };
      }),

    queueMany: async ({ files: requested, header }) =>
      immediate(db, () => {
        const files = requested.map((f) => (f.id !== undefined ? f : { ...f, id: newPipelineId() }));
        // Play the records inside a savepoint that is rolled back: new rows get ids fixed in
        // advance, so the replay below is exact.
        let plan: EnqueueRecorded[] = [];
        try {
          db.transaction(() => {
            plan = files.map((f) => enqueueInTx(stores, f, null));
            throw PLAN_ONLY;
          })();
        } catch (err) {
          if (err !== PLAN_ONLY) throw err;
        }
        const entry = header(plan);
        const batchId = entry ? audit.append(entry) : null;
        const results = files.map((f) => enqueueInTx(stores, f, batchId));
        results.forEach((r, i) => {
          if (r.pipeline.id !== plan[i]?.pipeline.id || r.outcome !== plan[i]?.outcome) {
            throw new Error(`batch-queue: recording ${r.pipeline.source_path} differed from its plan; nothing was written`);
          }
        });
        return { results, batchId };
      }),
  };
}
