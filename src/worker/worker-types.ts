/**
 * The Worker's public shapes (options, events, stats) and the few internal ones its modules
 * share: the record of a book in flight and the reasons the worker itself aborts a stage.
 * They live here so that ./worker.ts (lifecycle), ./book-runner.ts (one claimed book) and
 * ./failure-policy.ts (failed or retried) can use them without importing each other.
 */
import type { PipelineState } from '../domain/states.js';
import type { StrategySet } from '../ingest/strategies.js';
import type { Classifier, Embedder } from '../ingest/types.js';
import type { WorkerConfig } from '../config/worker.js';
import type { TaskRunner } from './pool.js';
import type { Logger } from './logger.js';
import type { RescuedBook } from './lease-rescue.js';
import type { StageName } from './stage.js';
import type { BreakerState, ExternalCallEvent } from './external-breaker.js';
import type { WorkerTestSignals } from './test-signals.js';

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
  /**
   * Tests only: awaitable signals at the worker's (and its thread pool's) named points, e.g.
   * `await signals.idle.waitOnce()` (./test-signals.ts). Absent in production: no cost.
   */
  testSignals?: WorkerTestSignals;
}

export interface StageEvent {
  pipelineId: string;
  stage: StageName;
  sourcePath: string;
}
export interface StageEndEvent extends StageEvent {
  to: PipelineState;
  /** Monotonic (performance.now), fractional milliseconds. */
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
  /** One call of an external command (the configured classifier) and how it ended. */
  'external:call': [ExternalCallEvent];
  /** The circuit breaker around an external command changed state. */
  'external:breaker': [{ dependency: string; state: BreakerState }];
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

/** Why the worker aborted a running stage: stopping, a lease found lost, or the stage's timeout. */
export type AbortKind = 'shutdown' | 'lease_lost' | 'timeout';

export class WorkerAbort extends Error {
  constructor(
    readonly kind: AbortKind,
    message: string,
  ) {
    super(message);
    this.name = kind === 'timeout' ? 'StageTimeoutError' : 'WorkerAbort';
  }
}

/** A book this worker claimed; shared by the slot running it and the heartbeat. */
export interface InFlight {
  id: string;
  token: string;
  state: PipelineState;
  sourcePath: string;
  abort: AbortController;
  /** False once the book has left this worker (release, terminal, abandon). */
  held: boolean;
}
