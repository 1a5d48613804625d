/**
 * `rollback ID --reason R`: archive a complete book and remove what it put in the library
 * (book, chapters, chunks, embeddings), in one transaction. Audited ROLLED_BACK.
 */
import type { Command } from '../command.js';
import { positionals, stringFlag } from '../util.js';
import { InputError } from '../../domain/errors.js';
import { pipelineToJson } from '../../db/pipeline-row.js';
import { formatCount, shortId } from '../format.js';

const USAGE = 'rollback ID --reason R';

const command: Command = {
  usage: USAGE,
  summary: 'Archive a complete pipeline and remove its chapters and chunks from the library. A reason is required.',
  flags: {
    reason: { type: 'string', description: 'why (required; kept in the audit trail)' },
  },
  async run(ctx) {
    const [idArg] = positionals(ctx, USAGE, ['ID']);
    const reason = stringFlag(ctx, 'reason')?.trim();
    if (!reason) throw new InputError('rollback needs a reason (--reason "…")');
    const s = await ctx.services();
    const id = await s.engine.pipelines.resolveId(idArg!);
    const r = await s.actions.rollback(id, ctx.actor, reason);
    ctx.out.json({ id, audit_id: r.auditId, removed: r.removed, pipeline: pipelineToJson(r.pipeline) });
    ctx.out.line(
      `Rolled back ${shortId(id)}: now ${r.pipeline.state}; removed ${formatCount(r.removed.chapters)} chapters and ${formatCount(r.removed.chunks)} chunks from the library.`,
    );
    return 0;
  },
};
export default command;
