/** `reject ID --reason R`: refuse a book (waiting, pending approval or approved). Audited REJECTED. */
import type { Command } from '../command.js';
import { positionals, stringFlag } from '../util.js';
import { InputError } from '../../domain/errors.js';
import { pipelineToJson } from '../../db/pipeline-row.js';
import { shortId } from '../format.js';
import { escapeControl } from '../../text/escape.js';

const USAGE = 'reject ID --reason R';

const command: Command = {
  usage: USAGE,
  summary: 'Reject a pipeline (detected, needs_retry, pending_approval or approved). A reason is required.',
  flags: {
    reason: { type: 'string', description: 'why (required; kept in the audit trail)' },
  },
  async run(ctx) {
    const [idArg] = positionals(ctx, USAGE, ['ID']);
    const reason = stringFlag(ctx, 'reason')?.trim();
    if (!reason) throw new InputError('reject needs a reason (--reason "…")');
    const s = await ctx.services();
    const id = await s.engine.pipelines.resolveId(idArg!);
    const before = (await s.engine.pipelines.require(id)).state;
    const r = await s.actions.reject(id, ctx.actor, reason);
    ctx.out.json({ id, before, audit_id: r.auditId, pipeline: pipelineToJson(r.pipeline) });
    ctx.out.line(`Rejected ${shortId(id)} (was ${before}): ${escapeControl(reason)}`);
    return 0;
  },
};
export default command;
