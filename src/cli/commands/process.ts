/**
 * `process FILE [--priority N]`: hash one file and queue it. The same content already in the
 * pipeline is reported (a `duplicate` row pointing at the original), never an error; a book that
 * was rejected, archived or failed is sent through again.
 */
import type { Command } from '../command.js';
import { positionals, wholeNumberFlag } from '../util.js';
import { requireFile } from '../../ops/enqueue.js';
import { DEFAULT_PRIORITY, MAX_PRIORITY, MIN_PRIORITY } from '../../domain/states.js';
import { pipelineToJson } from '../../db/pipeline-row.js';
import { shortId } from '../format.js';
import { escapeControl } from '../../text/escape.js';

const USAGE = 'process FILE [--priority N]';

const command: Command = {
  usage: USAGE,
  summary: 'Hash a book file and queue it for processing (1 = most urgent, 10 = least; default 5).',
  flags: {
    priority: { type: 'number', description: `priority ${MIN_PRIORITY} (most urgent) to ${MAX_PRIORITY}, default ${DEFAULT_PRIORITY}` },
  },
  async run(ctx) {
    const [file] = positionals(ctx, USAGE, ['FILE']);
    const priority = wholeNumberFlag(ctx, 'priority', { min: MIN_PRIORITY, max: MAX_PRIORITY, fallback: DEFAULT_PRIORITY });
    requireFile(file!); // before the database is opened: a typo creates nothing
    const s = await ctx.services();
    const r = await s.enqueuer.enqueueFile(file!, { priority, actor: ctx.actor });
    const p = r.pipeline;
    let previousState: unknown = null;
    if (r.outcome === 'requeued' && r.auditId !== null) {
      const row = await s.engine.audit.get(r.auditId);
      previousState = row?.before_value ? JSON.parse(row.before_value) : null;
    }
    // The pipeline at the top level, as `status --json` prints it (so `jq .id` works), with what
    // this call did beside it. duplicate_of is the pipeline's own: the original for a duplicate,
    // null for a live book (even one that was already queued).
    ctx.out.json({
      ...pipelineToJson(p),
      outcome: r.outcome,
      previous_state: previousState,
      audit_id: r.auditId,
    });
    const where = escapeControl(p.source_path);
    switch (r.outcome) {
      case 'queued':
        ctx.out.line(`Queued ${shortId(p.id)} at priority ${p.priority}: ${where}`);
        break;
      case 'requeued':
        ctx.out.line(`Re-queued ${shortId(p.id)} (was ${String(previousState ?? 'done')}) at priority ${p.priority}: ${where}`);
        break;
      case 'duplicate':
        ctx.out.line(
          `Duplicate: same content as ${shortId(r.duplicateOf ?? '')}; recorded as ${shortId(p.id)} (not processed again): ${where}`,
        );
        break;
      case 'already_queued':
        ctx.out.line(
          `Already in the pipeline: ${shortId(p.id)} is ${p.state}` +
            (p.duplicate_of ? ` (duplicate of ${shortId(p.duplicate_of)})` : '') +
            `: ${where}`,
        );
        break;
    }
    return 0;
  },
};
export default command;
