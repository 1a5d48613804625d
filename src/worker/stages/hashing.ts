/**
 * hashing: streaming SHA-256 of the file (in the thread pool) and format detection from its
 * head. A file whose content another live pipeline holds (complete, or in flight elsewhere)
 * becomes a terminal `duplicate` pointing at it; the check and the write of content_hash happen
 * in the same immediate transaction, so the unique index `pipelines_live_content` can never be
 * violated by two workers hashing copies at once. The book queued first is the original: when
 * the live copy was queued later and is not yet past hashing, the copy becomes the duplicate
 * (also while it is classifying or selecting a strategy: nothing is built on it before processing).
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../../db/db.js';
import type { PipelineRow } from '../../db/pipeline-row.js';
import type { Stage, StageContext, StageResult } from '../stage.js';
import { PIPELINE_COLUMNS } from '../../db/pipeline-row.js';

interface Stmts {
  liveCopy: Statement;
  rowid: Statement;
}

/** Prepared once per connection: the lookups run inside the commit's write transaction. */
const stmtsByDb = new WeakMap<Db, Stmts>();
function stmts(db: Db): Stmts {
  let s = stmtsByDb.get(db);
  if (!s) {
    s = {
      // live_hash is set only while a book is live (trigger-maintained, uniquely indexed).
      liveCopy: db.prepare(`SELECT rowid AS queue_rowid, ${PIPELINE_COLUMNS} FROM pipelines WHERE live_hash = ? AND id <> ? LIMIT 1`),
      rowid: db.prepare('SELECT rowid AS queue_rowid FROM pipelines WHERE id = ?'),
    };
    stmtsByDb.set(db, s);
  }
  return s;
}

/** Queue order: created_at, then insertion order (a batch queues many books in one millisecond). */
function queuedBefore(a: { created_at: number; queue_rowid: number }, b: { created_at: number; queue_rowid: number }): boolean {
  return a.created_at < b.created_at || (a.created_at === b.created_at && a.queue_rowid < b.queue_rowid);
}

/**
 * States in which a later-queued copy gives way to the book queued first: nothing has been built
 * on it yet (processing writes the library rows; from there on the copy is kept as it is).
 */
const YIELDING_STATES = new Set(['detected', 'hashing', 'classifying', 'selecting_strategy']);

export const hashingStage: Stage = {
  name: 'hashing',
  async run(ctx: StageContext): Promise<StageResult> {
    const p = ctx.pipeline;
    const { hash, size, format } = await ctx.runner.run('hash', { path: p.source_path }, ctx.signal);
    const db = ctx.services.db;
    return {
      to: 'classifying',
      patch: { content_hash: hash, size, format },
      info: { size, format, hash: hash.slice(0, 12) },
      redirect: () => {
        const { liveCopy, rowid } = stmts(db);
        const other = liveCopy.get(hash, p.id) as (PipelineRow & { queue_rowid: number }) | undefined;
        if (!other) return undefined;
        const self = { created_at: p.created_at, queue_rowid: (rowid.get(p.id) as { queue_rowid: number }).queue_rowid };
        if (queuedBefore(self, other) && YIELDING_STATES.has(other.state)) {
          // This book was queued first: it is the original, whichever worker hashed first. The
          // copy (not yet past hashing) becomes the duplicate; a worker hashing it loses its
          // compare-and-swap and lets it go.
          ctx.services.pipelines.transitionInTx({
            id: other.id,
            from: other.state,
            to: 'duplicate',
            actor: ctx.actor,
            note: `same content as ${p.id.slice(0, 8)}, queued before it`,
            patch: { duplicate_of: p.id },
            releaseLease: true,
          });
          ctx.services.audit.append({
            action: 'DUPLICATE_DETECTED',
            actor: ctx.actor,
            pipeline_id: other.id,
            before: other.state,
            after: 'duplicate',
            details: { duplicate_of: p.id, original_state: p.state, source_path: other.source_path, reason: 'queued after the original' },
          });
          return undefined;
        }
        return {
          to: 'duplicate',
          patch: { content_hash: hash, size, format, duplicate_of: other.id },
          note: `same content as ${other.id.slice(0, 8)} (${other.state})`,
          info: { duplicate_of: other.id },
          audit: [
            {
              action: 'DUPLICATE_DETECTED',
              actor: ctx.actor,
              pipeline_id: p.id,
              before: 'hashing',
              after: 'duplicate',
              details: { duplicate_of: other.id, original_state: other.state, source_path: p.source_path },
            },
          ],
        };
      },
    };
  },
};
