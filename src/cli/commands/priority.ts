/** `priority ID N`: set a pipeline's priority (1 = most urgent … 10). Audited PRIORITY_CHANGED. */
import type { Command } from '../command.js';
import { parsePriority, positionals, stringFlag } from '../util.js';
import { pipelineToJson } from '../../db/pipeline-row.js';
import { shortId } from '../format.js';

const USAGE = 'priority ID N [--reason R]';

const command: Command = {
  usage: USAGE,
  summary: 'Set the priority of a pipeline: 1 (most urgent) to 10 (least).',
  flags: {
    reason: { type: 'string', description: 'why (kept in the audit trail)' },
  },
  async run(ctx) {
    const [idArg, n] = positionals(ctx, USAGE, ['ID', 'N']);
    const priority = parsePriority(n);
    const reason = stringFlag(ctx, 'reason');
    const s = await ctx.services();
    const id = await s.engine.pipelines.resolveId(idArg!);
    const before = (await s.engine.pipelines.require(id)).priority;
    const r = await s.actions.setPriority(id, priority, ctx.actor, reason !== undefined ? { reason } : {});
    ctx.out.json({ id, before, after: r.pipeline.priority, changed: r.changed, audit_id: r.auditId, pipeline: pipelineToJson(r.pipeline) });
    ctx.out.line(
      r.changed
        ? `Priority of ${shortId(id)} changed ${before} → ${priority} (${r.pipeline.state}).`
        : `Priority of ${shortId(id)} is already ${priority} (${r.pipeline.state}); nothing changed.`,
    );
    return 0;
  },
};
export default command;
