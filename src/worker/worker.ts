/**
 * Worker: claims books by priority and runs the real stages under a lease.
 *
 * - `concurrency` slots each loop: claim → run stages → claim again. Slots asking in the same
 *   turn share one claim statement (./claim-feed.ts), so a worker starting with 8 free slots
 *   claims 8 books in one transaction.
 * - One heartbeat per worker every lease/3 extends every lease it holds (one statement); heavy
 *   stage work runs in a thread pool, so the timer keeps firing.
 * - Every stage is its own state transition, committed in one immediate transaction with the
 *   lease token checked (CAS): library rows, audit rows and the state change land together or
 *   not at all. A lost lease (LeaseLostError, or a book moved by someone else) abandons the book
 *   without writing anything more.
 * - Failures: PermanentError → failed at once; transient (TransientError, stage timeout,
 *   anything unexpected) → needs_retry with exponential backoff and jitter, or failed once
 *   attempts reach max_attempts.
 * - stop(): no new claims; books finish their current stage within the grace period, then are
 *   released (back to detected, or approved for embedding, refunding the interrupted attempt);
 *   after the grace period running stages are aborted and released. Nothing stays leased.
 * - Lease rescue (./lease-rescue.ts) on start and periodically takes books whose worker died.
 *
 * Usable in-process (the console's demo) with events, or from the `worker` command.
 */
import { EventEmitter } from 'node:events';
import crypto from 'node:crypto';
import os from 'node:os';
import type { Services } from '../services.js';
import { immediate } from '../store/db.js';
import type { PipelineRow } from '../store/pipeline-row.js';
import type { Claim } from '../store/queue.js';
import { IllegalTransitionError, LeaseLostError, PermanentError, TransientError } from '../domain/errors.js';
import { isWorkingState, type PipelineState } from '../domain/states.js';
import type { Actor } from '../domain/actor.js';
import { LibraryStore } from '../library/store.js';
import { DEFAULT_STRATEGIES, type StrategySet } from '../ingest/strategies.js';
import { ExternalCommandClassifier } from '../ingest/classifier.js';
import type { Classifier, Embedder } from '../ingest/types.js';
import { DEFAULT_WORKER_CONFIG, type WorkerConfig } from '../config/worker.js';
import { InlineRunner, ThreadPool, type TaskRunner } from './pool.js';
import { silentLogger, type Logger } from './logger.js';
import { backoffMs, isBusyError, sleep, withBusyRetry } from './retry.js';
import { rescueExpiredLeases, type RescuedBook } from './lease-rescue.js';
import { ClaimFeed } from './claim-feed.js';
import { STAGES } from './stages/index.js';
import type { BookMemo, StageName, StageResult, WorkerSettings } from './stage.js';

export const AUTO_APPROVE_ACTOR: Actor = 'auto:min-confidence';

export interface WorkerOptions {
  /** Default: `<host>-<pid>-<random>`. */
  id?: string;
  concurrency?: number;
  /** Lease length (default 30 s); heartbeats every lease/3. */
  leaseMs?: number;
  /** How long an idle slot waits before looking again (default 1 s). */
  pollIntervalMs?: number;
  /** Stop once nothing is claimable and nothing is in flight. */
  drain?: boolean;
  /** The parsed `worker` config section (defaults when absent). */
  config?: WorkerConfig;
  logger?: Logger;
  /** 'threads' (default): stage work in worker threads; 'inline': on the main thread. */
  runner?: 'threads' | 'inline' | TaskRunner;
  /** Overrides the configured classifier / the built-in embedder (in-process use). */
  classifier?: Classifier;
  embedder?: Embedder;
  strategies?: StrategySet;
  /** Test hook: extra (abortable) wait before a stage runs, e.g. { processing: 5000 }. */
  stageDelaysMs?: Partial<Record<StageName, number>>;
  /** Run the lease rescue on start and every `lease_rescue.interval_seconds` (default true). */
  leaseRescue?: boolean;
}

export interface StageEvent {
  pipelineId: string;
  stage: StageName;
  sourcePath: string;
}
export interface StageEndEvent extends StageEvent {
  to: PipelineState;
  durationMs: number;
}
export interface BookEvent {
  pipelineId: string;
  state: PipelineState;
  sourcePath: string;
  reason?: string;
}

export interface WorkerEvents {
  started: [{ workerId: string }];
  claimed: [{ pipelineId: string; state: PipelineState; attempts: number; sourcePath: string }];
  'stage:start': [StageEvent];
  'stage:end': [StageEndEvent];
  /** The book left this worker's hands in `state` (pending_approval, complete, failed, …). */
  'book:done': [BookEvent];
  'book:retry': [BookEvent & { nextAttemptAt: number }];
  'book:released': [BookEvent];
  'book:abandoned': [BookEvent];
  rescued: [RescuedBook[]];
  idle: [];
  drained: [];
  stopped: [WorkerStats];
  warning: [{ message: string; err?: unknown }];
}

export interface WorkerStats {
  workerId: string;
  claimed: number;
  stages: number;
  /** Final state → count of books that left this worker's hands. */
  outcomes: Record<string, number>;
  retries: number;
  released: number;
  abandoned: number;
  rescued: number;
  /** Books waiting out a retry backoff when the worker stopped. */
  waitingForRetry: number;
}

type AbortKind = 'shutdown' | 'lease_lost' | 'timeout';

class WorkerAbort extends Error {
  constructor(
    readonly kind: AbortKind,
    message: string,
  ) {
    super(message);
    this.name = kind === 'timeout' ? 'StageTimeoutError' : 'WorkerAbort';
  }
}

interface InFlight {
  id: string;
  token: string;
  state: PipelineState;
  sourcePath: string;
  abort: AbortController;
  /** False once the book has left this worker (release, terminal, abandon). */
  held: boolean;
}

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
  private readonly library: LibraryStore;
  private readonly runner: TaskRunner;
  private readonly ownsRunner: boolean;
  private settings: WorkerSettings | undefined;
  private readonly inflight = new Map<string, InFlight>();
  /** Slots asking for work in the same turn share one claim statement. */
  private readonly feed: ClaimFeed;
  private started = false;
  private stopping = false;
  private idleSlots = 0;
  private wakeups: (() => void)[] = [];
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private rescueTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private slotPromises: Promise<void>[] = [];
  private resolveFinished!: (stats: WorkerStats) => void;
  /** Resolves when the worker has stopped (drained, or after stop()) and released everything. */
  readonly finished: Promise<WorkerStats>;
  readonly stats: WorkerStats;

  constructor(
    readonly services: Services,
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
    this.library = new LibraryStore(services.db);
    this.feed = ClaimFeed.over(services.queue, this.id, this.leaseMs, withBusyRetry);
    const r = options.runner ?? 'threads';
    if (r === 'threads') {
      this.runner = new ThreadPool(this.concurrency);
      this.ownsRunner = true;
    } else if (r === 'inline') {
      this.runner = new InlineRunner();
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
    await withBusyRetry(() => this.services.queue.register(this.id, { concurrency: this.concurrency, leaseMs: this.leaseMs, drain: this.drain }));
    this.log.info({ concurrency: this.concurrency, lease_ms: this.leaseMs, drain: this.drain }, 'worker started');
    this.emit('started', { workerId: this.id });
    if (this.options.leaseRescue !== false) {
      await this.rescue();
      const every = this.config.lease_rescue.interval_seconds * 1000;
      this.rescueTimer = setInterval(() => void this.rescue(), every);
      this.rescueTimer.unref?.();
    }
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), Math.max(200, Math.floor(this.leaseMs / 3)));
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
      classifier = new ExternalCommandClassifier({
        command: [c.command, ...c.args],
        timeoutMs: c.timeoutMs,
        ...(c.env ? { env: c.env } : {}),
        ...(c.cwd ? { cwd: c.cwd } : {}),
      });
    }
    return {
      classifier,
      embedder: this.options.embedder,
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
      } catch (err) {
        this.warn('claim failed; will try again', err);
        await sleep(this.pollIntervalMs);
        continue;
      }
      if (!claim) {
        if (!idle) {
          idle = true;
          this.idleSlots++;
        }
        if (this.idleSlots === this.concurrency && this.inflight.size === 0) {
          this.emit('idle');
          if (this.drain) {
            // A dead worker's books may be waiting on an expired lease: take them before leaving.
            const rescued = this.options.leaseRescue !== false ? await this.rescue() : [];
            if (rescued.length === 0) {
              this.log.info('drained: nothing claimable and nothing in flight');
              this.emit('drained');
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
        await this.process(claim, index);
      } catch (err) {
        // process() handles its own failures; this is a last guard so a slot never dies.
        this.warn(`unexpected error while handling ${claim.pipeline.id.slice(0, 8)}`, err);
      }
    }
    if (idle) this.idleSlots--;
  }

  private async process(claim: Claim, slot: number): Promise<void> {
    const p = claim.pipeline;
    const book: InFlight = {
      id: p.id,
      token: claim.leaseToken,
      state: p.state,
      sourcePath: p.source_path,
      abort: new AbortController(),
      held: true,
    };
    this.inflight.set(p.id, book);
    this.stats.claimed++;
    const log = this.log.child({ pipeline: p.id, slot });
    log.info({ state: p.state, attempts: p.attempts, priority: p.priority, path: p.source_path }, 'claimed');
    this.emit('claimed', { pipelineId: p.id, state: p.state, attempts: p.attempts, sourcePath: p.source_path });
    const memo: BookMemo = {};
    let row: PipelineRow = p;
    try {
      while (book.held && isWorkingState(row.state)) {
        if (this.stopping) {
          await this.release(book, row, log, 'worker shutting down');
          return;
        }
        const stageName = row.state as StageName;
        row = await this.runStage(book, row, stageName, memo, log);
      }
      if (book.held) {
        book.held = false;
        this.count(row.state);
        this.emit('book:done', { pipelineId: row.id, state: row.state, sourcePath: row.source_path });
      }
    } finally {
      book.held = false;
      this.inflight.delete(p.id);
      if (this.stopping) this.wakeAll();
    }
  }

  private async runStage(book: InFlight, row: PipelineRow, stageName: StageName, memo: BookMemo, log: Logger): Promise<PipelineRow> {
    const stage = STAGES[stageName];
    const timeoutMs = this.config.stage_timeouts_ms[stageName];
    const ctl = new AbortController();
    const onBookAbort = () => ctl.abort(book.abort.signal.reason);
    if (book.abort.signal.aborted) onBookAbort();
    else book.abort.signal.addEventListener('abort', onBookAbort, { once: true });
    const timer = setTimeout(
      () => ctl.abort(new WorkerAbort('timeout', `stage ${stageName} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const started = Date.now();
    book.state = stageName;
    this.emit('stage:start', { pipelineId: row.id, stage: stageName, sourcePath: row.source_path });
    log.debug({ stage: stageName }, 'stage started');
    try {
      const delay = this.options.stageDelaysMs?.[stageName];
      if (delay && delay > 0) await sleep(delay, ctl.signal);
      const result = await stage.run({
        workerId: this.id,
        actor: this.actor,
        pipeline: row,
        leaseToken: book.token,
        signal: ctl.signal,
        services: this.services,
        library: this.library,
        runner: this.runner,
        settings: this.settings!,
        memo,
        log,
      });
      if (ctl.signal.aborted) throw ctl.signal.reason;
      const after = await withBusyRetry(() => this.commit(book, stageName, result));
      const durationMs = Date.now() - started;
      this.stats.stages++;
      book.state = after.state;
      if (!isWorkingState(after.state)) book.held = false;
      log.info({ stage: stageName, to: after.state, duration_ms: durationMs, ...(result.info ?? {}) }, `${stageName} → ${after.state}`);
      this.emit('stage:end', { pipelineId: row.id, stage: stageName, to: after.state, durationMs, sourcePath: row.source_path });
      if (!book.held) {
        this.count(after.state);
        this.emit('book:done', { pipelineId: row.id, state: after.state, sourcePath: row.source_path });
      }
      return after;
    } catch (err) {
      const durationMs = Date.now() - started;
      const reason = ctl.signal.aborted ? ctl.signal.reason : undefined;
      await this.handleFailure(book, row, stageName, reason instanceof WorkerAbort ? reason : err, durationMs, log);
      return row;
    } finally {
      clearTimeout(timer);
      book.abort.signal.removeEventListener('abort', onBookAbort);
    }
  }

  /** One immediate transaction: (redirect) → CAS transition → library rows → audit → auto-approve. */
  private commit(book: InFlight, from: StageName, result: StageResult): PipelineRow {
    return immediate(this.services.db, () => {
      const r = result.redirect?.() ?? result;
      const leaving = !isWorkingState(r.to);
      let after = this.services.pipelines.transitionInTx({
        id: book.id,
        from,
        to: r.to,
        actor: this.actor,
        note: r.note ?? null,
        leaseToken: book.token,
        ...(r.patch ? { patch: r.patch } : {}),
        releaseLease: leaving,
      });
      r.write?.();
      for (const a of r.audit ?? []) this.services.audit.append(a);
      if (after.state === 'pending_approval') {
        const rule = this.config.auto_approve;
        if (rule.enabled && after.confidence !== null && after.confidence >= rule.min_confidence) {
          after = this.services.actions.approve(book.id, AUTO_APPROVE_ACTOR, {
            reason: `auto-approve rule: confidence ${after.confidence.toFixed(2)} >= ${rule.min_confidence}`,
          }).pipeline;
        }
      }
      return after;
    });
  }

  private async handleFailure(book: InFlight, row: PipelineRow, stage: StageName, err: unknown, durationMs: number, log: Logger): Promise<void> {
    if (err instanceof WorkerAbort && err.kind === 'shutdown') {
      await this.release(book, row, log, err.message);
      return;
    }
    if (err instanceof WorkerAbort && err.kind === 'lease_lost') {
      this.abandon(book, row, log, err.message);
      return;
    }
    if (err instanceof LeaseLostError || err instanceof IllegalTransitionError) {
      this.abandon(book, row, log, err.message);
      return;
    }
    const now = this.services.clock();
    const maxAttempts = this.config.max_attempts ?? row.max_attempts;
    let code: string;
    let message: string;
    let permanent = false;
    if (err instanceof PermanentError) {
      permanent = true;
      code = err.code;
      message = err.message;
    } else if (err instanceof WorkerAbort && err.kind === 'timeout') {
      code = 'stage_timeout';
      message = err.message;
    } else if (err instanceof TransientError) {
      code = err.code;
      message = err.message;
    } else if (isBusyError(err)) {
      code = 'database_busy';
      message = 'the database stayed locked; will retry';
    } else {
      code = 'unexpected';
      message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    const outOfAttempts = !permanent && row.attempts >= maxAttempts;
    const to: PipelineState = permanent || outOfAttempts ? 'failed' : 'needs_retry';
    const retryAt = to === 'needs_retry' ? now + backoffMs(row.attempts, this.config.backoff.base_ms, this.config.backoff.max_ms) : null;
    const error = {
      code: outOfAttempts ? 'max_attempts' : code,
      cause_code: code,
      stage,
      message: outOfAttempts ? `${message} (gave up after ${row.attempts} of ${maxAttempts} attempts)` : message,
      attempt: row.attempts,
      max_attempts: maxAttempts,
      permanent,
      at: now,
      ...(retryAt !== null ? { retry_at: retryAt } : {}),
    };
    try {
      await withBusyRetry(() =>
        immediate(this.services.db, () => {
          this.services.pipelines.transitionInTx({
            id: book.id,
            from: stage,
            to,
            actor: this.actor,
            note: `${stage}: ${error.message}`.slice(0, 500),
            leaseToken: book.token,
            releaseLease: true,
            patch: { error_json: JSON.stringify(error), next_attempt_at: retryAt },
          });
          // A failed book keeps nothing in the library; a retried one is rewritten on its next run.
          if (to === 'failed') this.library.deleteBook(book.id);
        }),
      );
    } catch (writeErr) {
      if (writeErr instanceof LeaseLostError || writeErr instanceof IllegalTransitionError) {
        this.abandon(book, row, log, writeErr.message);
        return;
      }
      // Never crash: give up the lease so the rescue takes the book on.
      this.warn(`could not record the failure of ${book.id.slice(0, 8)}`, writeErr);
      this.expireLease(book);
      return;
    }
    book.held = false;
    const level = to === 'failed' ? 'warn' : 'info';
    log[level]({ stage, to, code: error.code, duration_ms: durationMs, attempt: row.attempts, retry_at: retryAt, err: message }, `${stage} failed → ${to}`);
    this.count(to);
    if (to === 'needs_retry') {
      this.stats.retries++;
      this.emit('book:retry', { pipelineId: book.id, state: to, sourcePath: row.source_path, reason: message, nextAttemptAt: retryAt! });
    } else {
      this.emit('book:done', { pipelineId: book.id, state: to, sourcePath: row.source_path, reason: message });
    }
  }

  /**
   * Hands a book back: pre-approval stages → detected, embedding → approved (claimable at
   * once), refunding the attempt the claim counted, since the book did not fail.
   */
  private async release(book: InFlight, row: PipelineRow, log: Logger, why: string): Promise<void> {
    if (!book.held) return;
    const to: PipelineState = row.state === 'embedding' ? 'approved' : 'detected';
    try {
      await withBusyRetry(() =>
        this.services.pipelines.transition({
          id: book.id,
          from: row.state,
          to,
          actor: this.actor,
          note: `released: ${why}`,
          leaseToken: book.token,
          releaseLease: true,
          patch: { attempts: Math.max(0, row.attempts - 1), next_attempt_at: null },
        }),
      );
    } catch (err) {
      if (err instanceof LeaseLostError || err instanceof IllegalTransitionError) {
        this.abandon(book, row, log, err.message);
        return;
      }
      this.warn(`could not release ${book.id.slice(0, 8)}`, err);
      this.expireLease(book);
      return;
    }
    book.held = false;
    this.stats.released++;
    log.info({ from: row.state, to }, `released → ${to}`);
    this.emit('book:released', { pipelineId: book.id, state: to, sourcePath: row.source_path, reason: why });
  }

  /** Last resort when a write failed: stop heartbeating the book so the lease rescue takes it. */
  private expireLease(book: InFlight): void {
    book.held = false;
    try {
      this.services.db
        .prepare('UPDATE pipelines SET lease_owner = @dead, lease_expires_at = @now WHERE id = @id AND lease_token = @token')
        .run({ dead: `${this.id}:gave-up`, now: this.services.clock(), id: book.id, token: book.token });
    } catch (err) {
      this.warn(`could not expire the lease on ${book.id.slice(0, 8)}`, err);
    }
  }

  private abandon(book: InFlight, row: PipelineRow, log: Logger, why: string): void {
    book.held = false;
    this.stats.abandoned++;
    log.warn({ state: row.state, reason: why }, 'lease lost: abandoning the book, writing nothing more');
    this.emit('book:abandoned', { pipelineId: book.id, state: row.state, sourcePath: row.source_path, reason: why });
  }

  private abortAll(kind: AbortKind, message: string): void {
    for (const b of this.inflight.values()) {
      if (b.held && !b.abort.signal.aborted) b.abort.abort(new WorkerAbort(kind, message));
    }
  }

  private async heartbeat(): Promise<void> {
    const held = [...this.inflight.values()].filter((b) => b.held);
    try {
      const extended = await withBusyRetry(() => this.services.queue.heartbeat(this.id, this.leaseMs));
      if (extended < held.length) {
        // Some lease is gone (rescued or taken): stop working on those books now.
        const rows = this.services.db
          .prepare('SELECT id, lease_token FROM pipelines INDEXED BY pipelines_lease_stuck WHERE lease_owner = ?')
          .all(this.id) as { id: string; lease_token: string | null }[];
        const tokens = new Map(rows.map((r) => [r.id, r.lease_token]));
        for (const b of held) {
          if (b.held && tokens.get(b.id) !== b.token && !b.abort.signal.aborted) {
            b.abort.abort(new WorkerAbort('lease_lost', `lease on ${b.id.slice(0, 8)} was lost (expired and taken over)`));
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

  private count(state: PipelineState): void {
    this.stats.outcomes[state] = (this.stats.outcomes[state] ?? 0) + 1;
  }

  private warn(message: string, err?: unknown): void {
    // Busy errors are retried above; should one still arrive here, it is described, not named.
    const detail = err === undefined ? undefined : isBusyError(err) ? 'database is locked by another writer' : err instanceof Error ? err.message : String(err);
    this.log.warn({ err: detail }, message);
    if (this.listenerCount('warning') > 0) this.emit('warning', { message, err });
  }

  private async finish(): Promise<void> {
    this.stopping = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.rescueTimer) clearInterval(this.rescueTimer);
    if (this.graceTimer) clearTimeout(this.graceTimer);
    try {
      const r = this.services.db
        .prepare(`SELECT COUNT(*) AS n FROM pipelines WHERE state = 'needs_retry' AND next_attempt_at > ?`)
        .get(this.services.clock()) as { n: number };
      this.stats.waitingForRetry = r.n;
    } catch {
      // the database may be closed already when used in-process
    }
    try {
      if (this.services.db.open) {
        const left = await withBusyRetry(() => this.services.queue.unregister(this.id));
        if (left > 0) this.log.warn({ books: left }, 'leases still held at exit were expired for recovery');
      }
    } catch (err) {
      this.warn('could not unregister the worker', err);
    }
    if (this.ownsRunner) await this.runner.close();
    this.log.info({ ...this.stats }, 'worker stopped');
    this.emit('stopped', this.stats);
    this.resolveFinished(this.stats);
  }
}
