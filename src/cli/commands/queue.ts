/**
 * `queue [--limit N]`: queued books by priority (from the maintained counts, no table scan) and
 * the next books in claim order (priority, then oldest first).
 */
import type { Command } from '../command.js';
import { positionals, wholeNumberFlag } from '../util.js';
import { pipelineToJson } from '../../db/pipeline-row.js';
import { formatAge, formatCount, formatSeconds, shortId, table } from '../format.js';

const USAGE = 'queue [--limit N]';

const command: Command = {
  usage: USAGE,
  summary: 'Queued books by priority, and the next books a worker will claim, in order.',
  flags: {
    limit: { type: 'number', description: 'how many of the next books to show (0..1000, default 10)' },
  },
  async run(ctx) {
    positionals(ctx, USAGE, []);
    const limit = wholeNumberFlag(ctx, 'limit', { min: 0, max: 1000, fallback: 10 });
    const s = await ctx.services({ readonly: true });
    const byPriority = await s.engine.queue.queuedByPriority();
    const total = Object.values(byPriority).reduce((a, b) => a + b, 0);
    const next = limit > 0 ? await s.engine.queue.window({ limit }) : [];
    const now = s.clock();

    ctx.out.json({
      total,
      by_priority: byPriority,
      next: next.map((p, i) => ({ position: i + 1, ...pipelineToJson(p) })),
    });

    ctx.out.line(`Queued: ${formatCount(total)} book${total === 1 ? '' : 's'}`);
    const prios = Object.entries(byPriority).map(([p, n]) => ({ p: Number(p), n }));
    ctx.out.line(
      table(prios, [
        { header: 'PRIORITY', value: (r) => String(r.p), align: 'right' },
        { header: 'QUEUED', value: (r) => formatCount(r.n), align: 'right' },
      ])
        .split('\n')
        .map((l) => '  ' + l)
        .join('\n'),
    );
    if (limit === 0) return 0;
    ctx.out.line('');
    if (next.length === 0) {
      ctx.out.line('Nothing is waiting to be claimed.');
      return 0;
    }
    ctx.out.line(`Next ${next.length} in claim order:`);
    ctx.out.line(
      table(
        next.map((p, i) => ({ p, i })),
        [
          { header: '#', value: (r) => String(r.i + 1), align: 'right' },
          { header: 'ID', value: (r) => shortId(r.p.id) },
          { header: 'PRI', value: (r) => String(r.p.priority), align: 'right' },
          { header: 'STATE', value: (r) => r.p.state },
          { header: 'WAITING', value: (r) => formatAge(r.p.state_entered_at, now), align: 'right' },
          {
            header: 'READY',
            value: (r) =>
              r.p.next_attempt_at !== null && r.p.next_attempt_at > now
                ? `in ${formatSeconds((r.p.next_attempt_at - now) / 1000)}`
                : 'now',
          },
          { header: 'SOURCE', value: (r) => r.p.source_path, flex: true },
        ],
      ),
    );
    return 0;
  },
};
export default command;
