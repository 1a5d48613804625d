/**
 * `health`: the pipeline's health summary with alerts. --json for scripts, --watch to redraw in
 * place (plain ANSI), --fail-on for cron (exit 3 when an alert at that severity or above is on).
 */
import type { Command } from '../command.js';
import type { CommandContext } from '../context.js';
import { InputError } from '../../domain/errors.js';
import { formatCount, formatSeconds, shortId } from '../format.js';
import type { Severity } from '../../ops/types.js';
import type { FullHealthReport } from '../../ops/health.js';
import { severityAtLeast } from '../../ops/health.js';
import { CONFIG_FLAG, optionalNumber, opsFor } from '../../ops/cli-support.js';
import type { OpsConfigInput } from '../../config/ops.js';

/** Exit code when --fail-on matches an alert. */
export const ALERT_EXIT_CODE = 3;
const RULE = '-----------------------------------';

function perBook(seconds: number | null): string {
  if (seconds === null) return '- (no completed runs in 24h)';
  return seconds < 60 ? `${seconds.toFixed(0)} s/book` : `${(seconds / 60).toFixed(1)} min/book`;
}

function queueWait(r: FullHealthReport): string {
  if (r.queued === 0) return 'none (queue empty)';
  const m = r.estimated_queue_minutes;
  if (m === null) return 'unknown (no completions in 24h)';
  if (m < 90) return `~${Math.max(1, Math.round(m))} min`;
  if (m < 48 * 60) return `~${(m / 60).toFixed(1)} hours`;
  return `~${(m / 1440).toFixed(1)} days`;
}

const SPARK = '▁▂▃▄▅▆▇█';
function sparkline(values: readonly number[]): string {
  const max = Math.max(...values);
  if (max === 0) return SPARK[0]!.repeat(values.length);
  return values.map((v) => SPARK[Math.min(7, Math.floor((v / max) * 7.999))]!).join('');
}

export function renderHealth(r: FullHealthReport): string {
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`  ${(label + ':').padEnd(11)} ${value}`);
  lines.push('Pipeline Health', RULE);
  row('Active', `${formatCount(r.active)} (processing now)`);
  if (r.stuck_count === 0) row('Stuck', '0');
  else {
    const b = r.stuck[0]!;
    const more = r.stuck_count > 1 ? `; +${formatCount(r.stuck_count - 1)} more` : '';
    row('Stuck', `${formatCount(r.stuck_count)} (${shortId(b.id)}, ${b.state}, ${formatSeconds(b.stuck_seconds)}${more})`);
  }
  row('Queued', `${formatCount(r.queued)} (waiting)`);
  row('Completed', `${formatCount(r.completed_24h)} (last 24h)`);
  row('Failed', `${formatCount(r.needs_retry)} (needs_retry)${r.failed > 0 ? ` + ${formatCount(r.failed)} (failed)` : ''}`);
  if (r.pending_approval > 0) row('Approval', `${formatCount(r.pending_approval)} (pending_approval)`);
  lines.push(RULE);
  row('Avg time', perBook(r.avg_processing_seconds));
  row('Queue wait', queueWait(r));
  row('Throughput', `${r.throughput_per_hour}/hour (24h)`);
  row('Last hour', sparkline(r.throughput_last_hour));
  if (r.oldest_queued_seconds !== null) row('Oldest', `${formatSeconds(r.oldest_queued_seconds)} waiting`);
  const prio = Object.entries(r.queue_by_priority).filter(([, n]) => n > 0);
  if (prio.length) row('By prio', prio.map(([p, n]) => `P${p}:${formatCount(n)}`).join('  '));
  if (r.workers.length === 0) row('Workers', 'none seen in 24h');
  else {
    row('Workers', `${r.workers.filter((w) => !w.stopped).length} running`);
    for (const w of r.workers.slice(0, 8)) {
      lines.push(
        `    ${w.id.padEnd(20).slice(0, 20)} ${w.stopped ? 'stopped' : 'running'}, heartbeat ${formatSeconds(w.heartbeat_age_seconds)} ago, ${w.active_books} book${w.active_books === 1 ? '' : 's'}`,
      );
    }
  }
  row('Status', r.status);
  lines.push('', 'Alerts:');
  if (r.alerts.length === 0) lines.push('  none');
  for (const a of r.alerts) lines.push(`  [${a.severity}] ${a.message}`);
  return lines.join('\n');
}

const command: Command = {
  usage: 'health [--json] [--watch [--interval S]] [--fail-on warning|critical]',
  summary: `Pipeline health: counts, throughput, stuck books, workers and alerts.
With --fail-on warning|critical the exit code is ${ALERT_EXIT_CODE} when an alert of that severity
(or worse) is raised (for cron); 0 otherwise, 2 for usage errors, 1 for runtime errors.`,
  flags: {
    watch: { type: 'boolean', default: false, description: 'redraw in place every --interval seconds (Ctrl-C to stop)' },
    interval: { type: 'number', default: 2, description: 'seconds between redraws with --watch (default 2)' },
    failOn: { type: 'string', description: `exit ${ALERT_EXIT_CODE} if an alert is at least this severe: warning or critical` },
    multiplier: { type: 'number', description: 'stuck when in a state longer than this × expected (default 2)' },
    failureRate: { type: 'number', description: 'high_failure_rate above this share of the last 100 finished (default 0.2)' },
    queueBackup: { type: 'number', description: 'queue_backup above this many queued (default 100)' },
    workerIdle: { type: 'number', description: 'worker_idle after this many seconds without a heartbeat (default 300)' },
    diskMinGb: { type: 'number', description: 'disk_space_low below this many GB free (default 1)' },
    ...CONFIG_FLAG,
  },
  async run(ctx) {
    const f = ctx.args.flags;
    const failOn = f.failOn as string | undefined;
    if (failOn !== undefined && failOn !== 'warning' && failOn !== 'critical') {
      throw new InputError(`--fail-on must be warning or critical, got '${failOn}'`);
    }
    const interval = Number(f.interval);
    if (!(interval > 0)) throw new InputError('--interval must be a number of seconds above 0');
    if (f.watch && ctx.json) throw new InputError('--watch redraws for a terminal; use --json without --watch');
    const overrides: OpsConfigInput = {};
    const health: Record<string, number> = {};
    const put = (k: string, v: number | undefined) => {
      if (v !== undefined) health[k] = v;
    };
    put('failure_rate', optionalNumber(f.failureRate));
    put('queue_backup', optionalNumber(f.queueBackup));
    put('worker_idle_seconds', optionalNumber(f.workerIdle));
    const gb = optionalNumber(f.diskMinGb);
    put('disk_min_free_bytes', gb === undefined ? undefined : gb * 1e9);
    if (Object.keys(health).length) overrides.health = health;
    const mult = optionalNumber(f.multiplier);
    if (mult !== undefined) overrides.stuck = { multiplier: mult };
    const ops = opsFor(ctx, overrides);

    if (f.watch) return watch(ctx, () => ops.health.report(), interval);
    const report = ops.health.report();
    if (ctx.json) ctx.out.json(report);
    else ctx.out.line(renderHealth(report));
    if (failOn && report.alerts.some((a) => severityAtLeast(a.severity, failOn as Severity))) return ALERT_EXIT_CODE;
    return 0;
  },
};

async function watch(ctx: CommandContext, report: () => FullHealthReport, intervalSeconds: number): Promise<number> {
  const out = ctx.stdout;
  const draw = () => {
    const text = renderHealth(report());
    const stamp = `\n\n  ${new Date().toLocaleTimeString()} · every ${intervalSeconds}s · Ctrl-C to stop`;
    // Home, each line cleared to its end, then clear below: no flicker, no scrollback spam.
    out.write('\u001b[H' + (text + stamp).split('\n').map((l) => l + '\u001b[K').join('\n') + '\n\u001b[J');
  };
  out.write('\u001b[?25l\u001b[2J');
  return new Promise<number>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const stop = () => {
      if (timer) clearInterval(timer);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      out.write('\u001b[?25h');
      resolve(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    try {
      draw();
    } catch (err) {
      stop();
      throw err;
    }
    timer = setInterval(() => {
      try {
        draw();
      } catch (err) {
        out.write(`\u001b[K  (refresh failed: ${(err as Error).message})\n`);
      }
    }, intervalSeconds * 1000);
  });
}

export default command;
