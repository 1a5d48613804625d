/**
 * `agentic-pipeline worker`: claims books and runs the stages until stopped (SIGINT/SIGTERM),
 * or with --drain until nothing is claimable. Logs go to stderr (JSON lines, or one compact line
 * per event on a terminal); stdout gets one summary at the end (a JSON document with --json).
 * --health-interval S adds a health summary line every S seconds (../../worker/health-log.ts).
 *
 * First SIGINT/SIGTERM: no new claims, current stages finish (up to shutdown_grace_ms), books
 * are released. A second one aborts running stages and releases at once. Either way nothing
 * is left leased.
 */
import type { Command } from '../command.js';
import type { CommandContext } from '../context.js';
import { InputError } from '../../domain/errors.js';
import { configPath, loadRawConfig } from '../../config/load.js';
import { parseWorkerConfig } from '../../config/worker.js';
import { Worker, type WorkerStats } from '../../worker/worker.js';
import { createLogger } from '../../worker/logger.js';
import { FolderWatcher } from '../../worker/watch.js';
import { scheduleMaintenance } from '../../worker/maintenance.js';
import { startHealthLog } from '../../worker/health-log.js';
import { opsFor } from '../ops-support.js';
import { STAGE_NAMES, type StageName } from '../../worker/stage.js';
import { listen, parseListen, type Listening } from '../../metrics/http.js';

/** Test hook: AGENTIC_PIPELINE_TEST_STAGE_DELAY_MS="processing=5000,hashing=100". */
export function parseStageDelays(value: string | undefined): Partial<Record<StageName, number>> | undefined {
  if (!value) return undefined;
  const out: Partial<Record<StageName, number>> = {};
  for (const part of value.split(',')) {
    const [name, ms] = part.split('=');
    if (!name || !(STAGE_NAMES as readonly string[]).includes(name.trim()) || !Number.isFinite(Number(ms))) {
      throw new InputError(`AGENTIC_PIPELINE_TEST_STAGE_DELAY_MS: bad entry '${part}' (expected stage=ms)`);
    }
    out[name.trim() as StageName] = Number(ms);
  }
  return out;
}

function positive(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0)) throw new InputError(`--${name} must be a number above 0, got '${String(value)}'`);
  return n;
}

/** The listener, or the worker stopped (its thread pool closed) before the error goes up. */
async function listenOrStop(worker: Worker, open: () => Promise<Listening>): Promise<Listening> {
  try {
    return await open();
  } catch (err) {
    await worker.stop({ graceMs: 0 });
    throw err;
  }
}

const command: Command = {
  usage: 'worker [--concurrency N] [--watch DIR] [--drain] [--poll-interval S] [--lease S] [--health-interval S] [--metrics HOST:PORT] [--config PATH]',
  summary:
    'Claim queued books by priority and run them through the stages under a lease. Runs until SIGINT/SIGTERM ' +
    '(current stages finish, books are released), or with --drain until nothing is claimable. Logs go to stderr.',
  flags: {
    concurrency: { type: 'number', description: 'books processed at once (default 1, or worker.concurrency)' },
    watch: { type: 'string', description: 'also queue new book files appearing under this folder' },
    drain: { type: 'boolean', default: false, description: 'exit 0 once nothing is claimable and nothing is in flight' },
    pollInterval: { type: 'number', description: 'seconds between looks at an empty queue (default 1)' },
    lease: { type: 'number', description: 'lease length in seconds (default 30); heartbeats every lease/3' },
    healthInterval: { type: 'number', description: 'log one health summary line (status, counts, workers, alerts) every S seconds (at least 1)' },
    metrics: { type: 'string', description: "serve this worker's live metrics (stage durations, outcomes, claims, retries, external calls) at http://HOST:PORT/metrics" },
    config: { type: 'string', description: 'config file (else $AGENTIC_PIPELINE_CONFIG, else agentic-pipeline.json beside the database)' },
    logLevel: { type: 'string', description: 'trace, debug, info (default), warn, error, silent' },
  },
  async run(ctx: CommandContext): Promise<number> {
    const f = ctx.args.flags;
    if (ctx.args.input.length > 0) throw new InputError(`worker takes no arguments, got '${ctx.args.input[0]}'`);
    if (f.drain && f.watch) throw new InputError('--drain and --watch cannot be combined (a watching worker never drains)');
    const concurrency = positive('concurrency', f.concurrency);
    if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency > 64)) {
      throw new InputError('--concurrency must be a whole number from 1 to 64');
    }
    const pollSeconds = positive('poll-interval', f.pollInterval);
    const leaseSeconds = positive('lease', f.lease);
    if (leaseSeconds !== undefined && leaseSeconds < 3) throw new InputError('--lease must be at least 3 seconds');
    const healthSeconds = positive('health-interval', f.healthInterval);
    if (healthSeconds !== undefined && healthSeconds < 1) throw new InputError('--health-interval must be at least 1 second');
    const metricsAt = f.metrics === undefined ? undefined : parseListen('metrics', String(f.metrics));
    const file = configPath(ctx.dbPath, f.config as string | undefined, ctx.env);
    const config = parseWorkerConfig(loadRawConfig(file), file ?? 'config');
    const stageDelaysMs = parseStageDelays(ctx.env.AGENTIC_PIPELINE_TEST_STAGE_DELAY_MS);
    const level = (f.logLevel as string | undefined) ?? ctx.env.AGENTIC_PIPELINE_LOG_LEVEL ?? 'info';
    if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level)) {
      throw new InputError(`--log-level must be one of trace, debug, info, warn, error, silent; got '${level}'`);
    }

    // A missing file is a mistyped --db (or a machine without `init`): a new, empty database
    // would be polled forever while the real queue waits.
    const services = await ctx.services();
    // The health thresholds come from the same --config file's `ops` section, as for `health`
    // (read now: a bad section is a usage error before anything starts).
    const ops = healthSeconds !== undefined ? await opsFor(ctx) : undefined;
    const logger = createLogger({ level });
    if (stageDelaysMs) logger.warn({ stage_delays_ms: stageDelaysMs }, 'test hook AGENTIC_PIPELINE_TEST_STAGE_DELAY_MS is set: stages are slowed');
    const worker = new Worker(services, {
      config,
      logger,
      drain: Boolean(f.drain),
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(pollSeconds !== undefined ? { pollIntervalMs: pollSeconds * 1000 } : {}),
      ...(leaseSeconds !== undefined ? { leaseMs: leaseSeconds * 1000 } : {}),
      ...(stageDelaysMs ? { stageDelaysMs } : {}),
    });

    // Listening before the first claim, so the first books' stages are counted; a busy port is
    // a usage error before anything is claimed.
    let metricsServer: Listening | undefined;
    if (metricsAt) {
      const { WorkerMetrics } = await import('../../metrics/worker-metrics.js');
      const metrics = new WorkerMetrics(worker.id);
      metrics.observe(worker, { externalClassifier: config.classifier !== 'builtin' });
      metricsServer = await listenOrStop(worker, () => listen(
        {
          '/metrics': async () => ({ status: 200, contentType: metrics.registry.contentType, body: await metrics.render() }),
          '/health/live': () => ({ status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ status: 'live', worker: worker.id }) + '\n' }),
        },
        metricsAt.host,
        metricsAt.port,
      ));
      logger.info({ metrics: `http://${metricsServer.address}/metrics` }, 'serving worker metrics');
    }

    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      if (signals === 1) {
        logger.info({ signal: sig }, 'signal received: finishing current stages, then releasing (send again to stop now)');
        void worker.stop();
      } else {
        logger.warn({ signal: sig }, 'second signal: aborting running stages and releasing now');
        void worker.stop({ graceMs: 0 });
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // Never die on a stray rejection: log it and shut down cleanly, releasing every book.
    const onFatal = (err: unknown) => {
      logger.error({ err: err instanceof Error ? err.message : String(err) }, 'unexpected error; stopping the worker cleanly');
      process.exitCode = 1;
      void worker.stop({ graceMs: 0 });
    };
    process.on('unhandledRejection', onFatal);
    process.on('uncaughtException', onFatal);

    let watcher: FolderWatcher | undefined;
    const maintenance = config.maintenance.enabled ? scheduleMaintenance(services, config.maintenance.schedule, logger) : undefined;
    const healthLog = ops ? startHealthLog(() => ops.health.report(), healthSeconds! * 1000, logger.child({ worker: worker.id })) : undefined;
    let stats: WorkerStats;
    try {
      await worker.start();
      if (f.watch) {
        watcher = new FolderWatcher(services, String(f.watch), {
          logger,
          actor: ctx.actor,
          stableMs: config.watch.stable_ms,
          rescanMs: config.watch.rescan_seconds * 1000,
          onQueued: () => worker.poke(),
        });
        watcher.start();
      }
      stats = await worker.finished;
    } finally {
      watcher?.close();
      maintenance?.stop();
      healthLog?.stop();
      await metricsServer?.close();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('unhandledRejection', onFatal);
      process.off('uncaughtException', onFatal);
    }
    if (worker.outage) {
      // A server that went away mid-run: one line, exit 1 (not 2: nothing was wrong with the input).
      ctx.out.warn(`worker ${stats.workerId}: ${worker.outage}`);
      process.exitCode = 1;
    }
    if (ctx.json) {
      ctx.out.json({
        worker_id: stats.workerId,
        claimed: stats.claimed,
        stages: stats.stages,
        outcomes: stats.outcomes,
        retries: stats.retries,
        released: stats.released,
        abandoned: stats.abandoned,
        rescued: stats.rescued,
        waiting_for_retry: stats.waitingForRetry,
      });
    } else {
      const outcomes = Object.entries(stats.outcomes)
        .map(([s, n]) => `${n} ${s}`)
        .join(', ');
      ctx.out.line(
        `worker ${stats.workerId}: ${stats.claimed} claimed${outcomes ? ` (${outcomes})` : ''}` +
          `${stats.released ? `, ${stats.released} released` : ''}${stats.rescued ? `, ${stats.rescued} rescued` : ''}` +
          `${stats.waitingForRetry ? `, ${stats.waitingForRetry} waiting for a retry` : ''}`,
      );
    }
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  },
};

export default command;
