/**
 * `health`: the pipeline's health summary with alerts. --json for scripts, --watch to redraw in
 * place on the alternate screen (see ../health-view.ts for what is dropped to fit), --fail-on for cron (exit 3 when an alert at that severity or above is on).
 */
import type { Command } from '../command.js';
import type { CommandContext } from '../context.js';
import { InputError } from '../../domain/errors.js';
import { formatTime } from '../format.js';
import { fitHealth, renderHealth } from '../health-view.js';
import type { Severity } from '../../ops/types.js';
import type { FullHealthReport } from '../../ops/health.js';
import { severityAtLeast } from '../../ops/health.js';
import { CONFIG_FLAG, optionalNumber, opsFor } from '../ops-support.js';
import type { OpsConfigInput } from '../../config/ops.js';

/** Exit code when --fail-on matches an alert. */
export const ALERT_EXIT_CODE = 3;

const command: Command = {
  usage: 'health [--json] [--watch [--interval S]] [--fail-on warning|critical]',
  summary: `Pipeline health: counts, throughput, stuck books, workers and alerts.
A worker whose heartbeat is older than its lease is LOST: its books count as stuck, and the
status is degraded at once. --watch redraws on the terminal's alternate screen (nothing is left
in the scrollback), status and alerts first, dropping detail rows to fit the window.
With --fail-on warning|critical the exit code is ${ALERT_EXIT_CODE} when an alert of that severity
(or worse) is raised (for cron); 0 otherwise, 2 for usage errors, 1 for runtime errors.`,
  flags: {
    watch: { type: 'boolean', default: false, description: 'redraw in place every --interval seconds (Ctrl-C to stop)' },
    interval: { type: 'number', default: 2, description: 'seconds between redraws with --watch (default 2)' },
    failOn: { type: 'string', description: `exit ${ALERT_EXIT_CODE} if an alert is at least this severe: warning or critical` },
    multiplier: { type: 'number', description: 'stuck when in a state longer than this × expected (default 2)' },
    failureRate: { type: 'number', description: 'high_failure_rate above this share of the last 100 finished (default 0.2)' },
    queueBackup: { type: 'number', description: 'queue_backup above this many queued (default 100)' },
    workerIdle: {
      type: 'number',
      description:
        'seconds (default 300): worker_idle (books queued, no worker running) turns critical this long after the last heartbeat; a lost worker holding no books is alerted on this long',
    },
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
    const ops = await opsFor(ctx, overrides);

    if (f.watch) return watch(ctx, () => ops.health.report(), interval);
    const report = await ops.health.report();
    if (ctx.json) ctx.out.json(report);
    else ctx.out.line(renderHealth(report));
    if (failOn && report.alerts.some((a) => severityAtLeast(a.severity, failOn as Severity))) return ALERT_EXIT_CODE;
    return 0;
  },
};

/** Terminal size, or 80x24 when stdout is not a terminal (a pipe has no size). */
function screenSize(out: NodeJS.WriteStream): { columns: number; rows: number } {
  return { columns: out.columns > 0 ? out.columns : 80, rows: out.rows > 0 ? out.rows : 24 };
}

async function watch(ctx: CommandContext, report: () => Promise<FullHealthReport>, intervalSeconds: number): Promise<number> {
  const out = ctx.stdout;
  // The alternate screen keeps every frame out of the scrollback and gives the shell its screen
  // back on exit (as top and watch do); a pipe gets the frames with the same cursor moves.
  const alternate = Boolean(out.isTTY);
  let last: FullHealthReport | undefined;
  const draw = () => {
    if (!last) return;
    const { columns, rows } = screenSize(out);
    const footer = `  ${formatTime(Date.now()).slice(11)} · every ${intervalSeconds}s · Ctrl-C to stop`;
    const lines = fitHealth(last, columns, rows, footer);
    // Home, each line cleared to its end, then clear below. No newline after the last line: at
    // the bottom row it would scroll the frame up by one.
    out.write('\u001b[H' + lines.map((l) => l + '\u001b[K').join('\n') + '\u001b[J');
  };
  out.write((alternate ? '\u001b[?1049h' : '') + '\u001b[?25l\u001b[H\u001b[2J');
  let stopped = false;
  const restore = () => out.write('\u001b[?25h' + (alternate ? '\u001b[?1049l' : '\n'));
  try {
    last = await report();
    draw();
  } catch (err) {
    restore();
    throw err;
  }
  return new Promise<number>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    // A report still being read when the next tick comes is not read twice.
    let reading = false;
    const onResize = () => draw();
    const stop = () => {
      stopped = true;
      if (timer) clearInterval(timer);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      out.off('resize', onResize);
      restore();
      resolve(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    out.on('resize', onResize);
    timer = setInterval(() => {
      if (reading) return;
      reading = true;
      report().then(
        (r) => {
          reading = false;
          if (stopped) return;
          last = r;
          draw();
        },
        (err: unknown) => {
          reading = false;
          if (!stopped) out.write(`\u001b[K  (refresh failed: ${(err as Error).message})`);
        },
      );
    }, intervalSeconds * 1000);
  });
}

export default command;
