/**
 * BookRunner: what a worker slot does with one claimed book, from the claim until the book
 * leaves this worker's hands. The Worker (./worker.ts) keeps the lifecycle (slots, heartbeat,
 * lease rescue, shutdown) and hands each claim to `process`.
 *
 * - Every stage is its own state transition, committed as one engine operation
 *   (`engine.library.commitStage`, one transaction) with the lease token checked (CAS): library
 *   rows, audit rows and the state change land together or not at all. A lost lease (LeaseLostError, or a book moved by someone else) abandons the book
 *   without writing anything more.
 * - A stage runs under its configured timeout and the book's abort signal (the worker aborts a
 *   book when stopping past the grace period, or when the heartbeat finds its lease gone).
 * - Failures: ./failure-policy.ts decides failed or needs_retry (with backoff); the outcome is
 *   written here, in one transaction that also clears the library of a failed book.
 * - When the worker stops, a book is released between stages (back to detected, or approved for
 *   embedding, refunding the interrupted attempt). A write that cannot be made at all gives the
 *   lease up so the lease rescue takes the book on. Nothing stays leased.
 */
import type { EventEmitter } from 'node:events';
import type { Engine } from '../db/engine.js';
import type { PipelineRow } from '../db/pipeline-row.js';
import type { Claim } from '../db/queue.js';
import type { FollowUp, StageOutcome } from '../db/ops/library.js';
import type { Clock } from '../domain/clock.js';
import { IllegalTransitionError, LeaseLostError } from '../domain/errors.js';
import { isWorkingState, type PipelineState } from '../domain/states.js';
import type { Actor } from '../domain/actor.js';
import type { WorkerConfig } from '../config/worker.js';
import { approvedEntry } from '../ops/actions.js';
import type { TaskRunner } from './pool.js';
import type { Logger } from './logger.js';
import { sleep, withBusyRetry } from './retry.js';
import { STAGES } from './stages/index.js';
import type { BookMemo, StageName, StageResult, WorkerSettings } from './stage.js';
import { decideFailure } from './failure-policy.js';
import { WorkerAbort, type InFlight, type WorkerEvents, type WorkerStats } from './worker-types.js';
import type { WorkerTestSignals } from './test-signals.js';

/** A stage's duration as the log shows it: milliseconds to the microsecond. */
const logMs = (ms: number) => Math.round(ms * 1000) / 1000;

export const AUTO_APPROVE_ACTOR: Actor = 'auto:min-confidence';

/** A book leaving the working states leaves the worker's hands: its lease goes with the move. */
function leaseFor(outcome: StageOutcome): StageOutcome {
  return { ...outcome, releaseLease: !isWorkingState(outcome.to) };
}

/**
 * The auto-approve rule (config `auto_approve`): a book reaching pending_approval with enough
 * confidence is approved at once, in the same transaction, with the row BookActions.approve writes.
 */
export function autoApproval(rule: WorkerConfig['auto_approve'], after: PipelineRow): FollowUp | undefined {
  if (after.state !== 'pending_approval' || !rule.enabled || after.confidence === null || after.confidence < rule.min_confidence) return undefined;
  const note = `auto-approve rule: confidence ${after.confidence.toFixed(2)} >= ${rule.min_confidence}`;
  return {
    to: 'approved',
    actor: AUTO_APPROVE_ACTOR,
    note,
    patch: { approved_by: AUTO_APPROVE_ACTOR },
    audit: approvedEntry(after, AUTO_APPROVE_ACTOR, note),
  };
}

/** What a BookRunner needs from its Worker; the stats and in-flight map are the Worker's own. */
export interface BookRunnerContext {
  readonly workerId: string;
  readonly actor: Actor;
  readonly engine: Engine;
  readonly clock: Clock;
  readonly config: WorkerConfig;
  /** The settings resolved on start (no slot runs before). */
  readonly settings: () => WorkerSettings;
  readonly runner: TaskRunner;
  /** The worker's logger; each book logs through a child with its id and slot. */
  readonly log: Logger;
  readonly stats: WorkerStats;
  /** Books this worker holds; the heartbeat and stop() read it. */
  readonly inflight: Map<string, InFlight>;
  readonly emit: EventEmitter<WorkerEvents>['emit'];
  /** A warning on the worker's log and its `warning` event. */
  readonly warn: (message: string, err?: unknown) => void;
  readonly isStopping: () => boolean;
  /** Wakes idle slots (so they see the worker is stopping). */
  readonly wakeAll: () => void;
  /** Test hook: extra (abortable) wait before a stage runs. */
  readonly stageDelaysMs?: Partial<Record<StageName, number>> | undefined;
  /** Tests only (./test-signals.ts). */
  readonly signals?: WorkerTestSignals | undefined;
}

export class BookRunner {
  constructor(private readonly ctx: BookRunnerContext) {}

  /** Runs one claimed book's stages until it leaves this worker's hands. */
  async process(claim: Claim, slot: number): Promise<void> {
    const { ctx } = this;
    const p = claim.pipeline;
    const book: InFlight = {
      id: p.id,
      token: claim.leaseToken,
      state: p.state,
      sourcePath: p.source_path,
      abort: new AbortController(),
      held: true,
    };
    ctx.inflight.set(p.id, book);
    ctx.stats.claimed++;
    const log = ctx.log.child({ pipeline: p.id, slot });
    log.info({ state: p.state, attempts: p.attempts, priority: p.priority, path: p.source_path }, 'claimed');
    ctx.emit('claimed', { pipelineId: p.id, state: p.state, attempts: p.attempts, sourcePath: p.source_path });
    ctx.signals?.claimed.signal({ pipelineId: p.id, state: p.state, attempts: p.attempts });
    const memo: BookMemo = {};
    let row: PipelineRow = p;
    try {
      while (book.held && isWorkingState(row.state)) {
        if (ctx.isStopping()) {
          await this.release(book, row, log, 'worker shutting down');
          return;
        }
        const stageName = row.state as StageName;
        row = await this.runStage(book, row, stageName, memo, log);
      }
      if (book.held) {
        book.held = false;
        this.count(row.state);
        ctx.emit('book:done', { pipelineId: row.id, state: row.state, sourcePath: row.source_path });
      }
    } finally {
      book.held = false;
      ctx.inflight.delete(p.id);
      if (ctx.isStopping()) ctx.wakeAll();
    }
  }

  private async runStage(book: InFlight, row: PipelineRow, stageName: StageName, memo: BookMemo, log: Logger): Promise<PipelineRow> {
    const { ctx } = this;
    const stage = STAGES[stageName];
    const timeoutMs = ctx.config.stage_timeouts_ms[stageName];
    const ctl = new AbortController();
    const onBookAbort = () => ctl.abort(book.abort.signal.reason);
    if (book.abort.signal.aborted) onBookAbort();
    else book.abort.signal.addEventListener('abort', onBookAbort, { once: true });
    const timer = setTimeout(
      () => ctl.abort(new WorkerAbort('timeout', `stage ${stageName} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    // Monotonic and sub-millisecond: Date.now() read 0 ms for a fast stage (selecting_strategy
    // three times in a row in CI), so the stage histogram summed to 0 s, and a clock step would
    // have made a duration negative.
    const started = performance.now();
    book.state = stageName;
    ctx.emit('stage:start', { pipelineId: row.id, stage: stageName, sourcePath: row.source_path });
    ctx.signals?.stageStarted.signal({ pipelineId: row.id, stage: stageName });
    log.debug({ stage: stageName }, 'stage started');
    try {
      const delay = ctx.stageDelaysMs?.[stageName];
      if (delay && delay > 0) await sleep(delay, ctl.signal);
      const result = await stage.run({
        workerId: ctx.workerId,
        actor: ctx.actor,
        pipeline: row,
        leaseToken: book.token,
        signal: ctl.signal,
        engine: ctx.engine,
        clock: ctx.clock,
        runner: ctx.runner,
        settings: ctx.settings(),
        memo,
        log,
      });
      if (ctl.signal.aborted) throw ctl.signal.reason;
      const after = await withBusyRetry(() => this.commit(book, stageName, result));
      ctx.signals?.stageCommitted.signal({ pipelineId: row.id, from: stageName, to: after.state });
      const durationMs = performance.now() - started;
      ctx.stats.stages++;
      book.state = after.state;
      if (!isWorkingState(after.state)) book.held = false;
      log.info({ stage: stageName, to: after.state, duration_ms: logMs(durationMs), ...(result.info ?? {}) }, `${stageName} → ${after.state}`);
      ctx.emit('stage:end', { pipelineId: row.id, stage: stageName, to: after.state, durationMs, sourcePath: row.source_path });
      if (!book.held) {
        this.count(after.state);
        ctx.emit('book:done', { pipelineId: row.id, state: after.state, sourcePath: row.source_path });
      }
      return after;
    } catch (err) {
      const durationMs = performance.now() - started;
      const reason = ctl.signal.aborted ? ctl.signal.reason : undefined;
      await this.handleFailure(book, row, stageName, reason instanceof WorkerAbort ? reason : err, durationMs, log);
      return row;
    } finally {
      clearTimeout(timer);
      book.abort.signal.removeEventListener('abort', onBookAbort);
    }
  }

  /** One engine operation (one transaction): (live copy) → CAS transition → library rows → audit → auto-approve. */
  private commit(book: InFlight, from: StageName, result: StageResult): Promise<PipelineRow> {
    const { engine, actor, config } = this.ctx;
    const { liveCopy, info: _info, ...outcome } = result;
    return engine.library.commitStage({
      id: book.id,
      from,
      leaseToken: book.token,
      actor,
      outcome: leaseFor(outcome),
      ...(liveCopy
        ? {
            liveCopy: {
              hash: liveCopy.hash,
              decide: (copy) => {
                const d = liveCopy.decide(copy);
                return d?.kind === 'instead' ? { kind: 'instead', outcome: leaseFor(d.outcome) } : d;
              },
            },
          }
        : {}),
      followUp: (after) => autoApproval(config.auto_approve, after),
    });
  }

  private async handleFailure(book: InFlight, row: PipelineRow, stage: StageName, err: unknown, durationMs: number, log: Logger): Promise<void> {
    const { ctx } = this;
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
    const { to, error, retryAt, message } = decideFailure({ err, stage, row, config: ctx.config, now: ctx.clock() });
    try {
      await withBusyRetry(() =>
        ctx.engine.library.failStage({
          id: book.id,
          from: stage,
          leaseToken: book.token,
          actor: ctx.actor,
          to,
          note: `${stage}: ${error.message}`.slice(0, 500),
          patch: { error_json: JSON.stringify(error), next_attempt_at: retryAt },
          // A failed book keeps nothing in the library; a retried one is rewritten on its next run.
          clearLibrary: to === 'failed',
        }),
      );
    } catch (writeErr) {
      if (writeErr instanceof LeaseLostError || writeErr instanceof IllegalTransitionError) {
        this.abandon(book, row, log, writeErr.message);
        return;
      }
      // Never crash: give up the lease so the rescue takes the book on.
      ctx.warn(`could not record the failure of ${book.id.slice(0, 8)}`, writeErr);
      await this.expireLease(book);
      return;
    }
    book.held = false;
    ctx.signals?.stageFailed.signal({ pipelineId: book.id, stage, to });
    const level = to === 'failed' ? 'warn' : 'info';
    log[level]({ stage, to, code: error.code, duration_ms: logMs(durationMs), attempt: row.attempts, retry_at: retryAt, err: message }, `${stage} failed → ${to}`);
    this.count(to);
    if (to === 'needs_retry') {
      ctx.stats.retries++;
      ctx.emit('book:retry', { pipelineId: book.id, state: to, sourcePath: row.source_path, reason: message, nextAttemptAt: retryAt! });
    } else {
      ctx.emit('book:done', { pipelineId: book.id, state: to, sourcePath: row.source_path, reason: message });
    }
  }

  /**
   * Hands a book back: pre-approval stages → detected, embedding → approved (claimable at
   * once), refunding the attempt the claim counted, since the book did not fail.
   */
  private async release(book: InFlight, row: PipelineRow, log: Logger, why: string): Promise<void> {
    const { ctx } = this;
    if (!book.held) return;
    const to: PipelineState = row.state === 'embedding' ? 'approved' : 'detected';
    try {
      await withBusyRetry(() =>
        ctx.engine.pipelines.transition({
          id: book.id,
          from: row.state,
          to,
          actor: ctx.actor,
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
      ctx.warn(`could not release ${book.id.slice(0, 8)}`, err);
      await this.expireLease(book);
      return;
    }
    book.held = false;
    ctx.stats.released++;
    ctx.signals?.released.signal({ pipelineId: book.id, to });
    log.info({ from: row.state, to }, `released → ${to}`);
    ctx.emit('book:released', { pipelineId: book.id, state: to, sourcePath: row.source_path, reason: why });
  }

  /** Last resort when a write failed: stop heartbeating the book so the lease rescue takes it. */
  private async expireLease(book: InFlight): Promise<void> {
    const { ctx } = this;
    book.held = false;
    try {
      await ctx.engine.queue.giveUpLease({ id: book.id, leaseToken: book.token, owner: `${ctx.workerId}:gave-up` });
    } catch (err) {
      ctx.warn(`could not expire the lease on ${book.id.slice(0, 8)}`, err);
    }
  }

  private abandon(book: InFlight, row: PipelineRow, log: Logger, why: string): void {
    book.held = false;
    this.ctx.stats.abandoned++;
    log.warn({ state: row.state, reason: why }, 'lease lost: abandoning the book, writing nothing more');
    this.ctx.signals?.abandoned.signal({ pipelineId: book.id, reason: why });
    this.ctx.emit('book:abandoned', { pipelineId: book.id, state: row.state, sourcePath: row.source_path, reason: why });
  }

  private count(state: PipelineState): void {
    this.ctx.stats.outcomes[state] = (this.ctx.stats.outcomes[state] ?? 0) + 1;
  }
}
