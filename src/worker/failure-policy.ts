/**
 * The failure policy: what becomes of a book whose stage threw. A pure function of the error,
 * the stage, the book row, the worker config and "now" (no database), so the rules can be read
 * and tested on their own; ./book-runner.ts writes the outcome in one lease-checked transaction.
 *
 * - PermanentError → failed at once, with the error's code.
 * - Transient (TransientError, the stage timeout `stage_timeout`, a database that stayed busy
 *   `database_busy`, anything unexpected `unexpected`) → needs_retry with exponential backoff
 *   and jitter (./retry.ts), or failed with code `max_attempts` once attempts reach
 *   max_attempts; `cause_code` keeps the code that caused the last failure.
 * - ExternalUnavailableError (the classifier's circuit breaker is open, ./external-breaker.ts)
 *   → needs_retry always: a dependency that is down does not spend the book's attempts.
 *
 * Shutdown and a lost lease are not failures: the book is released or abandoned before this
 * policy is asked.
 */
import { PermanentError, TransientError } from '../domain/errors.js';
import type { WorkerConfig } from '../config/worker.js';
import type { PipelineRow } from '../db/pipeline-row.js';
import { backoffMs, isBusyError } from './retry.js';
import type { StageName } from './stage.js';
import { WorkerAbort } from './worker-types.js';
import { ExternalUnavailableError } from './external-breaker.js';

export interface FailureInput {
  err: unknown;
  stage: StageName;
  /** The book as claimed: `attempts` already counts this run. */
  row: Pick<PipelineRow, 'attempts' | 'max_attempts'>;
  config: Pick<WorkerConfig, 'max_attempts' | 'backoff'>;
  now: number;
  /** The backoff's jitter (default Math.random). */
  random?: () => number;
}

/** What error_json holds for a book that failed a stage. */
export interface StageErrorDocument {
  code: string;
  cause_code: string;
  stage: StageName;
  message: string;
  attempt: number;
  max_attempts: number;
  permanent: boolean;
  at: number;
  retry_at?: number;
}

export interface FailureOutcome {
  to: 'failed' | 'needs_retry';
  error: StageErrorDocument;
  /** When a retried book becomes claimable again (next_attempt_at); null for failed. */
  retryAt: number | null;
  /** The cause in one line, without the "gave up after" suffix (logs and events). */
  message: string;
}

export function decideFailure({ err, stage, row, config, now, random = Math.random }: FailureInput): FailureOutcome {
  const maxAttempts = config.max_attempts ?? row.max_attempts;
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
  // A dependency known to be down (its breaker is open) is not the book's fault: retried later,
  // never failed for it.
  const outOfAttempts = !permanent && !(err instanceof ExternalUnavailableError) && row.attempts >= maxAttempts;
  const to = permanent || outOfAttempts ? 'failed' : 'needs_retry';
  const retryAt = to === 'needs_retry' ? now + backoffMs(row.attempts, config.backoff.base_ms, config.backoff.max_ms, random) : null;
  const error: StageErrorDocument = {
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
  return { to, error, retryAt, message };
}
