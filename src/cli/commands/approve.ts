/** `approve ID`: a pipeline waiting for approval goes on to embedding. Audited APPROVED. */
import type { Command } from '../command.js';
import { positionals, stringFlag } from '../util.js';
import { pipelineToJson } from '../../db/pipeline-row.js';
import { formatConfidence, shortId } from '../format.js';
import { escapeControl } from '../../text/escape.js';

const USAGE = 'approve ID [--reason R]';

const command: Command = {
  usage: USAGE,
  summary: 'Approve a pipeline that is pending_approval; a worker then embeds it into the library.',
  flags: {
    reason: { type: 'string', description: 'optional note kept in the audit trail' },
  },
  async run(ctx) {
    const [idArg] = positionals(ctx, USAGE, ['ID']);
    const reason = stringFlag(ctx, 'reason');
    const s = await ctx.services();
    const id = await s.engine.pipelines.resolveId(idArg!);
    const r = await s.actions.approve(id, ctx.actor, reason ? { reason } : {});
    const p = r.pipeline;
    ctx.out.json({ id, audit_id: r.auditId, pipeline: pipelineToJson(p) });
    ctx.out.line(
      `Approved ${shortId(id)} (${escapeControl(p.book_type ?? 'unknown type')}, confidence ${formatConfidence(p.confidence)}); it is now ${p.state}.`,
    );
    return 0;
  },
};
export default command;
