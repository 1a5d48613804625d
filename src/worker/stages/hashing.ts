/**
 * hashing: streaming SHA-256 of the file (in the thread pool) and format detection from its
 * head. A file whose content another live pipeline holds (complete, or in flight elsewhere)
 * becomes a terminal `duplicate` pointing at it; the check and the write of content_hash happen
 * in the same immediate transaction, so the unique index `pipelines_live_content` can never be
 * violated by two workers hashing copies at once.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../../store/db.js';
import type { PipelineRow } from '../../store/pipeline-row.js';
import type { Stage, StageContext, StageResult } from '../stage.js';
import { PIPELINE_COLUMNS } from '../../store/pipeline-row.js';

/** Prepared once per connection: the lookup runs inside the commit's write transaction. */
const liveCopyStmts = new WeakMap<Db, Statement>();
function liveCopyStmt(db: Db): Statement {
  let stmt = liveCopyStmts.get(db);
  if (!stmt) {
    stmt = db.prepare(
      // live_hash is set only while a book is live (trigger-maintained, uniquely indexed).
      `SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE live_hash = ? AND id <> ? LIMIT 1`,
    );
    liveCopyStmts.set(db, stmt);
  }
  return stmt;
}

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
        const other = liveCopyStmt(db).get(hash, p.id) as PipelineRow | undefined;
        if (!other) return undefined;
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
