/**
 * `status ID`: one pipeline (id or unique prefix) with its state history — from, to, when, how
 * long it spent in the state it left, and who moved it.
 */
import type { Command } from '../command.js';
import { historyToJson, positionals } from '../util.js';
import { pipelineToJson } from '../../db/pipeline-row.js';
import { escapeControl } from '../../text/escape.js';
import { isClaimableState } from '../../domain/states.js';
import { errorSentence } from '../../domain/error-text.js';
import { formatAge, formatConfidence, formatSeconds, formatShortTime, formatTime, shortId, table } from '../format.js';

const USAGE = 'status ID';

const command: Command = {
  usage: USAGE,
  summary: 'Show one pipeline (full id or a unique prefix) and its state history.',
  flags: {},
  async run(ctx) {
    const [idArg] = positionals(ctx, USAGE, ['ID']);
    const s = await ctx.services({ readonly: true });
    const id = await s.engine.pipelines.resolveId(idArg!);
    const p = await s.engine.pipelines.require(id);
    const history = await s.engine.history.forPipeline(id, 1000);
    const now = s.clock();
    const position = isClaimableState(p.state) ? await s.engine.queue.positionOf(p) : undefined;

    ctx.out.json({ ...pipelineToJson(p), queue_position: position ?? null, history: history.map(historyToJson) });

    const kv: [string, string][] = [
      ['Id', p.id],
      ['Source', p.source_path],
      ['State', `${p.state} for ${formatSeconds((now - p.state_entered_at) / 1000)} (since ${formatTime(p.state_entered_at)})`],
      ['Priority', `${p.priority}${p.base_priority !== p.priority ? ` (set to ${p.base_priority}, raised by aging)` : ''}`],
    ];
    if (position !== undefined) kv.push(['In queue', `${position + 1}${position === 0 ? ' (next to be claimed)' : ''}`]);
    if (p.next_attempt_at !== null && p.next_attempt_at > now) kv.push(['Retry after', formatTime(p.next_attempt_at)]);
    if (p.format || p.size !== null) kv.push(['File', `${p.format ?? 'unknown format'}${p.size !== null ? `, ${p.size.toLocaleString('en-US')} bytes` : ''}`]);
    if (p.content_hash) kv.push(['Hash', p.content_hash]);
    if (p.book_type || p.confidence !== null) kv.push(['Type', `${p.book_type ?? '-'} (confidence ${formatConfidence(p.confidence)})`]);
    kv.push(['Attempts', `${p.attempts} of ${p.max_attempts}`]);
    if (p.lease_owner) {
      kv.push(['Worker', `${p.lease_owner}, lease until ${formatTime(p.lease_expires_at)}${p.lease_expires_at !== null && p.lease_expires_at < now ? ' (EXPIRED)' : ''}`]);
    }
    if (p.duplicate_of) kv.push(['Duplicate of', p.duplicate_of]);
    if (p.approved_by) kv.push(['Approved by', p.approved_by]);
    if (p.completed_at !== null) kv.push(['Completed', formatTime(p.completed_at)]);
    // A sentence for people; --json above keeps the structured document.
    const error = errorSentence(p.error_json);
    if (error !== null) kv.push(['Last error', error]);
    kv.push(['Created', `${formatTime(p.created_at)} (${formatAge(p.created_at, now)})`]);

    ctx.out.line(`Pipeline ${shortId(p.id)}`);
    for (const [k, v] of kv) ctx.out.line(`  ${k.padEnd(13)} ${escapeControl(v)}`); // stored text: never raw to a terminal
    ctx.out.line('');
    ctx.out.line(`History (${history.length} change${history.length === 1 ? '' : 's'}):`);
    ctx.out.line(
      table(
        history,
        [
          { header: 'FROM', value: (h) => h.from_state ?? '-' },
          { header: 'TO', value: (h) => h.to_state },
          { header: 'AT', value: (h) => formatShortTime(h.at) },
          { header: 'TOOK', value: (h) => formatSeconds(h.duration_ms === null ? null : h.duration_ms / 1000), align: 'right' },
          { header: 'ACTOR', value: (h) => h.actor, flex: true },
        ],
      ),
    );
    return 0;
  },
};
export default command;
