/**
 * Worker: claims books by priority and runs the real stages under a lease. This module is the
 * worker's lifecycle; what happens to one claimed book is ./book-runner.ts, and whether a failed
 * stage means failed or needs_retry is ./failure-policy.ts.
 *
 * - `concurrency` slots each loop: claim → run stages (BookRunner.process) → claim again. Slots
 *   asking in the same turn share one claim statement (./claim-feed.ts), so a worker starting
 *   with 8 free slots claims 8 books in one transaction.
 * - One heartbeat per worker every lease/3 extends every lease it holds (one statement); heavy
 *   stage work runs in a thread pool, so the timer keeps firing. A lease the heartbeat finds
 *   gone aborts that book's stage (the book is abandoned, nothing more is written).
 * - Every stage is its own lease-checked state transition, committed in one immediate
 *   transaction (see ./book-runner.ts).
 * - Failures: PermanentError → failed at once; transient (TransientError, stage timeout,
 *   anything unexpected) → needs_retry with exponential backoff and jitter, or failed once
 *   attempts reach max_attempts.
 * - stop(): no new claims; books finish their current stage within the grace period, then are
 *   released (back to detected, or approved for embedding, refunding the interrupted attempt);
 *   after the grace period running stages are aborted and released. Nothing stays leased.
 * - Lease rescue (./lease-rescue.ts) on start and periodically takes books whose worker died.
 * - A configured external classifier runs behind retries and a circuit breaker
 *   (./external-breaker.ts); its calls and state changes are events (`worker --metrics`).
 *
 * - Every database access is an engine operation (`services.engine`, src/db/engine.ts), awaited;
 *   each is one whole transaction, so nothing here holds a transaction across an await.
 * - Tests pass `testSignals` (./test-signals.ts) to wait on named points (claimed, heartbeat,
 *   idle, leaseRescued, …) instead of sleeping.
 *
 * Usable in-process (the console's demo) with events, or from the `worker` command.
 */
import { EventEmitter } from 'node:events';
import crypto from 'node:crypto';
import os from 'node:os';
import type { EngineServices } from '../services.js';
import type { Claim } from '../db/queue.js';
import type { PipelineState } from '../domain/states.js';
import type { Actor } from '../domain/actor.js';
import { DEFAULT_STRATEGIES } from '../ingest/strategies.js';
import { ExternalCommandClassifier } from '../ingest/classifier.js';
import { ExternalCommandEmbedder } from '../ingest/external-embedder.js';
import type { Classifier } from '../ingest/types.js';
import { DEFAULT_WORKER_CONFIG, type WorkerConfig } from '../config/worker.js';
import { InlineRunner, ThreadPool, type TaskRunner } from './pool.js';
import { silentLogger, type Logger } from './logger.js';
import { isBusyError, sleep, withBusyRetry } from './retry.js';
import { rescueExpiredLeases, type RescuedBook } from './lease-rescue.js';
import { ClaimFeed } from './claim-feed.js';
import type { WorkerSettings } from './stage.js';
import { BookRunner } from './book-runner.js';
import { GuardedClassifier, recordBreakerState } from './external-breaker.js';
import { WorkerAbort, type AbortKind, type InFlight, type WorkerEvents, type WorkerOptions, type WorkerStats } from './worker-types.js';
import type { WorkerTestSignals } from './test-signals.js';

// What other modules import from here (the types and the auto-approve actor live beside it).
export { AUTO_APPROVE_ACTOR } from './book-runner.js';
export type { WorkerOptions, StageEvent, StageEndEvent, BookEvent, WorkerEvents, WorkerStats } from './worker-types.js';
export { WorkerTestSignals, PoolTestSignals, TestSignal } from './test-signals.js';

export function defaultWorkerId(): string {
  return `${os.hostname().split('.')[0]}-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
}

export class Worker extends EventEmitter<WorkerEvents> {
  readonly id: string;
  readonly actor: Actor;
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
  readonly drain: boolean;
  readonly config: WorkerConfig;
  private readonly log: Logger;
  private readonly runner: TaskRunner;
  /** Tests only (./test-signals.ts): undefined in production, one check per event. */
  private readonly signals: WorkerTestSignals | undefined;
  private readonly ownsRunner: boolean;
  private settings: WorkerSettings | undefined;
  private readonly inflight = new Map<string, InFlight>();
  /** Slots asking for work in the same turn share one claim statement. */
  private readonly feed: ClaimFeed;
  /** Runs each claimed book; shares this worker's stats, in-flight map and events. */
  private readonly books: BookRunner;
  private started = false;
  private stopping = false;
  private idleSlots = 0;
  private wakeups: (() => void)[] = [];
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private rescueTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  /** Stops the database's change notices (PostgreSQL NOTIFY) from waking idle slots. */
  private unsubscribe: (() => void) | undefined;
  private slotPromises: Promise<void>[] = [];
  /** When claims started failing in a row (undefined while they succeed). */
  private failingSince: number | undefined;
  private lastClaimWarnAt: number | undefined;
  /**
   * Why the worker stopped on its own because the database could not be reached for
   * `database_outage_seconds`; undefined otherwise. The CLI exits 1 with this line.
   */
  outage: string | undefined;
  private resolveFinished!: (stats: WorkerStats) => void;
  /** Resolves when the worker has stopped (drained, or after stop()) and released everything. */
  readonly finished: Promise<WorkerStats>;
  readonly stats: WorkerStats;

  constructor(
    readonly services: EngineServices,
    readonly options: WorkerOptions = {},
  ) {
    super();
    this.config = options.config ?? DEFAULT_WORKER_CONFIG;
    this.id = options.id ?? defaultWorkerId();
    this.actor = `system:worker:${this.id}` as Actor;
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? this.config.concurrency ?? 1));
    this.leaseMs = Math.max(1000, options.leaseMs ?? (this.config.lease_seconds ?? 30) * 1000);
    this.pollIntervalMs = Math.max(10, options.pollIntervalMs ?? (this.config.poll_interval_seconds ?? 1) * 1000);
    this.drain = Boolean(options.drain);
    this.log = (options.logger ?? silentLogger()).child({ worker: this.id });
    this.signals = options.testSignals;
    this.feed = ClaimFeed.over(services.engine.queue, this.id, this.leaseMs, withBusyRetry);
    const r = options.runner ?? 'threads';
    if (r === 'threads') {
      this.runner = new ThreadPool(this.concurrency, { limits: this.config.limits, ...(this.signals ? { testSignals: this.signals.pool } : {}) });
      this.ownsRunner = true;
    } else if (r === 'inline') {
      this.runner = new InlineRunner({ limits: this.config.limits });
      this.ownsRunner = true;
    } else {
      this.runner = r;
      this.ownsRunner = false;
    }
    this.stats = {
      workerId: this.id,
      claimed: 0,
      stages: 0,
      outcomes: {},
      retries: 0,
      released: 0,
      abandoned: 0,
      rescued: 0,
      waitingForRetry: 0,
    };
    this.books = new BookRunner({
      workerId: this.id,
      actor: this.actor,
      engine: services.engine,
      clock: services.clock,
      config: this.config,
      settings: () => this.settings!,
      runner: this.runner,
      log: this.log,
      stats: this.stats,
      inflight: this.inflight,
      emit: this.emit.bind(this),
      warn: (message, err) => this.warn(message, err),
      isStopping: () => this.stopping,
      wakeAll: () => this.wakeAll(),
      stageDelaysMs: options.stageDelaysMs,
      signals: this.signals,
    });
    this.finished = new Promise((resolve) => {
      this.resolveFinished = resolve;
    });
  }

  /** Books this worker holds now. */
  get active(): { id: string; state: PipelineState; sourcePath: string }[] {
    return [...this.inflight.values()].filter((b) => b.held).map((b) => ({ id: b.id, state: b.state, sourcePath: b.sourcePath }));
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Registers the worker and starts its slots; resolves once running (see `finished`). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.settings = await this.resolveSettings();
    await withBusyRetry(() => this.services.engine.queue.register(this.id, { concurrency: this.concurrency, leaseMs: this.leaseMs, drain: this.drain }));
    this.log.info({ concurrency: this.concurrency, lease_ms: this.leaseMs, drain: this.drain }, 'worker started');
    this.emit('started', { workerId: this.id });
    this.signals?.started.signal({ workerId: this.id });
    if (this.options.leaseRescue !== false) {
      await this.rescue();
      const every = this.config.lease_rescue.interval_seconds * 1000;
      this.rescueTimer = setInterval(() => void this.rescue(), every);
      this.rescueTimer.unref?.();
    }
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), Math.max(200, Math.floor(this.leaseMs / 3)));
    // A book queued on another host wakes idle slots now, not at their next poll (a hint: the
    // poll stays the fallback, and SQLite sends none).
    this.unsubscribe = this.services.engine.changes.subscribe(() => {
      if (this.idleSlots > 0) this.wakeAll();
    });
    for (let i = 0; i < this.concurrency; i++) this.slotPromises.push(this.slot(i));
    void Promise.all(this.slotPromises).then(() => this.finish());
  }

  /**
   * Stops claiming. Running books finish their current stage (up to `graceMs`, default the
   * config's shutdown_grace_ms), then are released; after the grace period running stages are
   * aborted and released. Resolves when nothing is leased by this worker any more.
   */
  async stop(options: { graceMs?: number } = {}): Promise<WorkerStats> {
    const grace = options.graceMs ?? this.config.shutdown_grace_ms;
    if (!this.started) {
      this.started = true;
      this.stopping = true;
      void this.finish();
      return this.finished;
    }
    if (!this.stopping) {
      this.stopping = true;
      this.log.info({ in_flight: this.active.length, grace_ms: grace }, 'stopping: no new claims, finishing current stages');
    }
    this.wakeAll();
    if (grace <= 0) this.abortAll('shutdown', 'worker stopping now');
    else if (!this.graceTimer) {
      this.graceTimer = setTimeout(() => this.abortAll('shutdown', `worker stopping: grace period of ${grace} ms over`), grace);
      this.graceTimer.unref?.();
    }
    return this.finished;
  }

  /** Wakes idle slots now (e.g. after new books were queued). */
  poke(): void {
    this.wakeAll();
  }

  // ---------------------------------------------------------------- internals

  private async resolveSettings(): Promise<WorkerSettings> {
    const cfg = this.config;
    let strategies = this.options.strategies ?? DEFAULT_STRATEGIES;
    if (!this.options.strategies && cfg.strategies_file) {
      const { loadStrategySet } = await import('../ingest/strategies.js');
      strategies = await loadStrategySet(cfg.strategies_file);
    }
    let classifier: Classifier | 'builtin' = this.options.classifier ?? 'builtin';
    if (!this.options.classifier && cfg.classifier !== 'builtin') {
      const c = cfg.classifier;
      // Retries, then a circuit breaker (./external-breaker.ts); its calls and states are events.
      classifier = new GuardedClassifier(
        new ExternalCommandClassifier({
          command: [c.command, ...c.args],
          timeoutMs: c.timeoutMs,
          ...(c.env ? { env: c.env } : {}),
          ...(c.cwd ? { cwd: c.cwd } : {}),
        }),
        {
          ...(c.breaker ? { failures: c.breaker.failures, halfOpenAfterMs: c.breaker.half_open_after_ms, retries: c.breaker.retries } : {}),
          onCall: (e) => this.emit('external:call', e),
          onState: (e) => {
            this.log[e.state === 'open' ? 'warn' : 'info']({ dependency: e.dependency, breaker: e.state }, `external ${e.dependency} circuit breaker ${e.state.replace('_', '-')}`);
            recordBreakerState(this.services.engine.queue, this.id, e, (err) => this.warn('could not record the classifier breaker state', err));
            this.emit('external:breaker', e);
          },
        },
      );
    }
    const e = cfg.embedder;
    const embedder = this.options.embedder ?? (e.command ? new ExternalCommandEmbedder({ command: [e.command, ...e.args], dims: e.dims, batchSize: e.batch_size, timeoutMs: e.timeoutMs, ...(e.env ? { env: e.env } : {}), ...(e.cwd ? { cwd: e.cwd } : {}) }) : undefined);
    return {
      classifier,
      embedder,
      embeddingDims: cfg.embedder.dims,
      strategies,
      lowConfidenceThreshold: cfg.low_confidence_threshold,
    };
  }

  private wakeAll(): void {
    const w = this.wakeups.splice(0);
    for (const f of w) f();
  }

  private idleWait(): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, this.pollIntervalMs);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakeups.push(done);
    });
  }

  private async slot(index: number): Promise<void> {
    let idle = false;
    while (!this.stopping) {
      let claim: Claim | undefined;
      try {
        claim = await this.feed.next();
        this.failingSince = undefined;
      } catch (err) {
        if (this.claimFailed(err)) break;
        await sleep(this.pollIntervalMs);
        continue;
      }
      if (!claim) {
        this.signals?.foundNothing.signal({ slot: index });
        if (!idle) {
          idle = true;
          this.idleSlots++;
        }
        if (this.idleSlots === this.concurrency && this.inflight.size === 0) {
          this.emit('idle');
          this.signals?.idle.signal({});
          if (this.drain) {
            // A dead worker's books may be waiting on an expired lease: take them before leaving.
            const rescued = this.options.leaseRescue !== false ? await this.rescue() : [];
            if (rescued.length === 0) {
              this.log.info('drained: nothing claimable and nothing in flight');
              this.emit('drained');
              this.signals?.drained.signal({});
              this.stopping = true;
              this.wakeAll();
              break;
            }
            continue;
          }
        }
        await this.idleWait();
        continue;
      }
      if (idle) {
        idle = false;
        this.idleSlots--;
      }
      // Another idle slot may find work too now that the queue moved.
      if (this.idleSlots > 0) this.wakeAll();
      try {
        await this.books.process(claim, index);
      } catch (err) {
        // process() handles its own failures; this is a last guard so a slot never dies.
        this.warn(`unexpected error while handling ${claim.pipeline.id.slice(0, 8)}`, err);
      }
    }
    if (idle) this.idleSlots--;
  }

  /**
   * Records a failed claim; true when the failures have lasted past the outage limit and the
   * worker is now stopping (its books' leases lapse and the lease rescue of another worker, or of
   * this one once restarted, takes them).
   */
  private claimFailed(err: unknown): boolean {
    const now = Date.now();
    this.failingSince ??= now;
    const limitMs = this.config.database_outage_seconds * 1000;
    if (now - this.failingSince < limitMs) {
      // The first failure, then one line per 10 s: an outage should not flood the log.
      if (this.lastClaimWarnAt === undefined || now - this.lastClaimWarnAt >= 10_000 || now === this.failingSince) {
        this.lastClaimWarnAt = now;
        this.warn('claim failed; will try again', err);
      }
      return false;
    }
    if (!this.outage) {
      const why = err instanceof Error ? err.message : String(err);
      this.outage = `the database could not be reached for ${this.config.database_outage_seconds} s (${why}); stopping`;
      this.log.error({ err: why }, this.outage);
      this.stopping = true;
      this.wakeAll();
      this.abortAll('shutdown', 'worker stopping: the database went away');
    }
    return true;
  }

  private abortAll(kind: AbortKind, message: string): void {
    for (const b of this.inflight.values()) {
      if (b.held && !b.abort.signal.aborted) b.abort.abort(new WorkerAbort(kind, message));
    }
  }

  private async heartbeat(): Promise<void> {
    const held = [...this.inflight.values()].filter((b) => b.held);
    try {
      const extended = await withBusyRetry(() => this.services.engine.queue.heartbeat(this.id, this.leaseMs));
      this.signals?.heartbeat.signal({ extended, held: held.length });
      if (extended < held.length) {
        // Some lease is gone (rescued or taken): stop working on those books now.
        const rows = await this.services.engine.queue.heldBy(this.id);
        const tokens = new Map(rows.map((r) => [r.id, r.leaseToken]));
        for (const b of held) {
          if (b.held && tokens.get(b.id) !== b.token && !b.abort.signal.aborted) {
            b.abort.abort(new WorkerAbort('lease_lost', `lease on ${b.id.slice(0, 8)} was lost (expired and taken over)`));
            this.signals?.leaseLost.signal({ pipelineId: b.id });
          }
        }
      }
    } catch (err) {
      this.warn('heartbeat failed; will try again', err);
    }
  }

  private async rescue(): Promise<RescuedBook[]> {
    try {
      const rescued = await withBusyRetry(() =>
        rescueExpiredLeases(this.services, {
          maxAutoRecoveries: this.config.lease_rescue.max_auto_recoveries,
          ...(this.config.max_attempts !== undefined ? { maxAttempts: this.config.max_attempts } : {}),
        }),
      );
      if (this.signals) {
        this.signals.rescuePass.signal({ rescued });
        for (const r of rescued) this.signals.leaseRescued.signal(r);
      }
      if (rescued.length > 0) {
        this.stats.rescued += rescued.length;
        for (const r of rescued) {
          this.log.warn({ pipeline: r.id, from: r.from, to: r.to, lease_owner: r.lease_owner, attempts: r.attempts }, 'lease expired: book rescued');
        }
        this.emit('rescued', rescued);
        this.wakeAll();
      }
      return rescued;
    } catch (err) {
      this.warn('lease rescue failed; will try again', err);
      return [];
    }
  }

  private warn(message: string, err?: unknown): void {
    // Busy errors are retried above; should one still arrive here, it is described, not named.
    const detail = err === undefined ? undefined : isBusyError(err) ? 'database is locked by another writer' : err instanceof Error ? err.message : String(err);
    this.log.warn({ err: detail }, message);
    if (this.listenerCount('warning') > 0) this.emit('warning', { message, err });
  }

  private async finish(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.rescueTimer) clearInterval(this.rescueTimer);
    if (this.graceTimer) clearTimeout(this.graceTimer);
    const { queue } = this.services.engine;
    let closed = false;
    try {
      this.stats.waitingForRetry = await queue.waitingForRetry();
    } catch (err) {
      // The database may be closed already when used in-process: then there is nothing to unregister.
      closed = !isBusyError(err);
    }
    try {
      if (!closed) {
        const left = await withBusyRetry(() => queue.unregister(this.id));
        if (left > 0) this.log.warn({ books: left }, 'leases still held at exit were expired for recovery');
      }
    } catch (err) {
      this.warn('could not unregister the worker', err);
    }
    if (this.ownsRunner) await this.runner.close();
    this.log.info({ ...this.stats }, 'worker stopped');
    this.emit('stopped', this.stats);
    this.signals?.stopped.signal({ workerId: this.id });
    this.resolveFinished(this.stats);
  }
}
