/**
 * `list [--state S] [--limit N]`: pipelines newest first (by entry into the state when filtered).
 */
import type { Command } from '../command.js';
import { parseState, positionals, stringFlag, wholeNumberFlag } from '../util.js';
import { pipelineToJson } from '../../db/pipeline-row.js';
import { formatAge, formatCount, shortId, table } from '../format.js';

const USAGE = 'list [--state S] [--limit N]';

const command: Command = {
  usage: USAGE,
  summary: 'List pipelines, newest first; --state narrows to one state (newest in that state first).',
  flags: {
    state: { type: 'string', description: 'only pipelines in this state (e.g. pending_approval)' },
    limit: { type: 'number', description: 'how many rows (1..10000, default 50)' },
  },
  async run(ctx) {
    positionals(ctx, USAGE, []);
    const stateFlag = stringFlag(ctx, 'state');
    const state = stateFlag === undefined ? undefined : parseState(stateFlag);
    const limit = wholeNumberFlag(ctx, 'limit', { min: 1, max: 10_000, fallback: 50 });
    const s = await ctx.services({ readonly: true });
    const rows = await s.engine.pipelines.list({ ...(state ? { state } : {}), limit });
    const counts = await s.engine.pipelines.countsByState();
    const total = state ? (counts[state] ?? 0) : Object.values(counts).reduce((a, b) => a + b, 0);
    const now = s.clock();

    ctx.out.json({ state: state ?? null, total, count: rows.length, pipelines: rows.map(pipelineToJson) });

    if (rows.length === 0) {
      ctx.out.line(state ? `No pipelines are ${state}.` : 'No pipelines yet.');
      return 0;
    }
    ctx.out.line(
      table(rows, [
        { header: 'ID', value: (p) => shortId(p.id) },
        { header: 'STATE', value: (p) => p.state },
        { header: 'PRI', value: (p) => String(p.priority), align: 'right' },
        { header: 'TYPE', value: (p) => p.book_type ?? '-', max: 14 },
        { header: state ? 'IN STATE' : 'CREATED', value: (p) => formatAge(state ? p.state_entered_at : p.created_at, now), align: 'right' },
        { header: 'SOURCE', value: (p) => p.source_path, flex: true },
      ]),
    );
    ctx.out.line(
      `${formatCount(rows.length)} of ${formatCount(total)}${state ? ` ${state}` : ''} pipeline${total === 1 ? '' : 's'}` +
        (rows.length < total ? ' (use --limit for more)' : ''),
    );
    return 0;
  },
};
export default command;
