/**
 * Resilience around an external command the worker calls (the site's classifier): a timeout
 * per call, a couple of retries with exponential backoff for transient failures, and a circuit
 * breaker that opens after N consecutive failed calls. While it is open, calls fail at once
 * with ExternalUnavailableError, which the failure policy (./failure-policy.ts) turns into
 * needs_retry without spending the book's attempts: a model that is down is not the book's
 * fault, and a fleet should not fail a thousand books because one service restarted. After
 * `halfOpenAfterMs` one call is let through (half-open); its success closes the breaker.
 *
 * The command itself is not restructured: this wraps any Classifier (cockatiel policies).
 */
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
} from 'cockatiel';
import { TransientError } from '../domain/errors.js';
import type { QueueOps } from '../db/ops/queue.js';
import { withBusyRetry } from './retry.js';
import type { Classification, ClassifyInput, Classifier, StageOptions } from '../ingest/types.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface ExternalCallEvent {
  /** Which dependency: 'classifier'. */
  dependency: string;
  /** ok; failure (the command failed or timed out); rejected (the breaker was open). */
  result: 'ok' | 'failure' | 'rejected';
  durationMs: number;
}

export interface BreakerOptions {
  /** Consecutive failed calls that open the breaker (default 5). */
  failures?: number;
  /** How long it stays open before one trial call (default 30 s). */
  halfOpenAfterMs?: number;
  /** Retries of a failed call before the stage gives up (default 2). */
  retries?: number;
  /** First retry delay (default 250 ms; doubles, capped at 5 s). */
  retryDelayMs?: number;
  /** Per-call time limit (default: none beyond the command's own timeout). */
  timeoutMs?: number;
  onCall?: (e: ExternalCallEvent) => void;
  onState?: (e: { dependency: string; state: BreakerState }) => void;
}

/** The dependency is known to be down (breaker open): retry the book later, do not fail it. */
export class ExternalUnavailableError extends TransientError {
  override name = 'ExternalUnavailableError';
  constructor(
    readonly dependency: string,
    message: string,
  ) {
    super(message, `${dependency}_unavailable`);
  }
}

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Isolated]: 'open',
};

/** A Classifier behind timeout + retry + circuit breaker. */
export class GuardedClassifier implements Classifier {
  readonly name: string;
  private readonly breaker;
  private readonly policy;
  private readonly failures: number;

  constructor(
    private readonly inner: Classifier,
    private readonly options: BreakerOptions = {},
  ) {
    this.name = inner.name;
    this.failures = options.failures ?? 5;
    // A stage aborted by the worker (shutdown, lost lease) rejects with the abort's reason, not
    // a TransientError: neither a failure of the command nor worth a retry. Only the command's
    // own transient failures and our timeout count.
    const isCommandFailure = (err: Error) => err instanceof TransientError || err instanceof TaskCancelledError;
    this.breaker = circuitBreaker(handleWhen(isCommandFailure), {
      halfOpenAfter: options.halfOpenAfterMs ?? 30_000,
      breaker: new ConsecutiveBreaker(this.failures),
    });
    this.breaker.onStateChange((s) => options.onState?.({ dependency: 'classifier', state: STATE_NAMES[s] }));
    const retrying = retry(handleWhen(isCommandFailure), {
      maxAttempts: options.retries ?? 2,
      backoff: new ExponentialBackoff({ initialDelay: options.retryDelayMs ?? 250, maxDelay: 5_000 }),
    });
    this.policy =
      options.timeoutMs !== undefined
        ? wrap(retrying, this.breaker, timeout(options.timeoutMs, TimeoutStrategy.Cooperative))
        : wrap(retrying, this.breaker);
  }

  get state(): BreakerState {
    return STATE_NAMES[this.breaker.state];
  }

  async classify(input: ClassifyInput, options: StageOptions = {}): Promise<Classification> {
    const outer = options.signal;
    try {
      return await this.policy.execute(async ({ signal }) => {
        const started = Date.now();
        try {
          const r = await this.inner.classify(input, { ...options, signal: outer ? AbortSignal.any([outer, signal]) : signal });
          this.options.onCall?.({ dependency: 'classifier', result: 'ok', durationMs: Date.now() - started });
          return r;
        } catch (err) {
          if (!outer?.aborted) this.options.onCall?.({ dependency: 'classifier', result: 'failure', durationMs: Date.now() - started });
          throw err;
        }
      }, outer);
    } catch (err) {
      if (err instanceof BrokenCircuitError) {
        this.options.onCall?.({ dependency: 'classifier', result: 'rejected', durationMs: 0 });
        throw new ExternalUnavailableError(
          'classifier',
          `classifier unavailable: circuit open after ${this.failures} consecutive failures of the external command; the book will be retried`,
        );
      }
      if (err instanceof TaskCancelledError && !outer?.aborted) {
        throw new TransientError(`external classifier timed out after ${this.options.timeoutMs} ms`, 'classifier_timeout');
      }
      throw err;
    }
  }
}

/**
 * Notes a breaker's state on the worker's own `workers` row (info_json.breakers), where `health`
 * (any process) reads it: bookkeeping of the worker like its heartbeat, not a change to a book,
 * so no audit row. State changes are rare (a few per outage), so one small write each is fine.
 * Fire and forget: the stage that tripped the breaker does not wait for it.
 */
export function recordBreakerState(
  queue: Pick<QueueOps, 'setBreakerState'>,
  workerId: string,
  e: { dependency: string; state: BreakerState },
  onError: (err: unknown) => void,
): void {
  withBusyRetry(() => queue.setBreakerState(workerId, e.dependency, e.state)).catch(onError);
}
