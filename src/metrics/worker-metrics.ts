/**
 * A worker's own live metrics (`worker --metrics HOST:PORT`), counted from the Worker's events
 * so the worker's code knows nothing of Prometheus: stage durations (histogram by stage), books
 * that left the worker by outcome, claims, lease rescues, retries, and the external commands'
 * calls, failures and breaker state. The database gauges are `serve`'s job.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EventEmitter } from 'node:events';
import type { WorkerEvents } from '../worker/worker-types.js';
import { STAGE_NAMES } from '../worker/stage.js';
import { PREFIX, addProcessMetrics } from './server-metrics.js';
import type { BreakerState } from '../worker/external-breaker.js';

/** Stages take from a fraction of a second (hashing a small file) to many minutes (a big PDF). */
export const STAGE_BUCKETS_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
const BREAKER_STATES: readonly BreakerState[] = ['closed', 'open', 'half_open'];

export class WorkerMetrics {
  readonly registry = new Registry();
  readonly stageDuration: Histogram;
  readonly finished: Counter;
  readonly claims: Counter;
  readonly rescues: Counter;
  readonly retries: Counter;
  readonly externalCalls: Counter;
  readonly externalFailures: Counter;
  readonly breaker: Gauge;

  constructor(workerId: string) {
    const registers = [this.registry];
    // The worker id is bounded by the fleet and tells two workers' series apart on one job.
    this.registry.setDefaultLabels({ worker: workerId });
    this.stageDuration = new Histogram({
      name: PREFIX + 'stage_duration_seconds',
      help: 'Time each stage of a book took on this worker, by stage.',
      labelNames: ['stage'],
      buckets: STAGE_BUCKETS_SECONDS,
      registers,
    });
    this.finished = new Counter({ name: PREFIX + 'worker_books_finished_total', help: 'Books that left this worker by the state they left in.', labelNames: ['outcome'], registers });
    this.claims = new Counter({ name: PREFIX + 'worker_claims_total', help: 'Books this worker claimed.', registers });
    this.rescues = new Counter({ name: PREFIX + 'worker_lease_rescues_total', help: 'Books this worker rescued from expired leases.', registers });
    this.retries = new Counter({ name: PREFIX + 'worker_retries_total', help: 'Books this worker sent to needs_retry (a transient failure, or a dependency down).', registers });
    this.externalCalls = new Counter({ name: PREFIX + 'external_calls_total', help: 'Calls of external commands, by dependency and result (ok, failure, rejected by an open breaker).', labelNames: ['dependency', 'result'], registers });
    this.externalFailures = new Counter({ name: PREFIX + 'external_failures_total', help: 'Failed calls of external commands (timeouts, bad exits, bad output), by dependency.', labelNames: ['dependency'], registers });
    this.breaker = new Gauge({ name: PREFIX + 'external_breaker_state', help: '1 for the state the circuit breaker around an external command is in (closed, open, half_open).', labelNames: ['dependency', 'state'], registers });
    // Zero series from the start, so rate() and absent() behave before the first event.
    for (const stage of STAGE_NAMES) this.stageDuration.zero({ stage });
    this.claims.inc(0);
    this.rescues.inc(0);
    this.retries.inc(0);
    addProcessMetrics(this.registry);
  }

  /** Counts what `worker` reports from now on. */
  observe(worker: EventEmitter<WorkerEvents>, options: { externalClassifier?: boolean } = {}): void {
    if (options.externalClassifier) {
      this.setBreaker('classifier', 'closed');
      for (const result of ['ok', 'failure', 'rejected']) this.externalCalls.inc({ dependency: 'classifier', result }, 0);
      this.externalFailures.inc({ dependency: 'classifier' }, 0);
    }
    worker.on('claimed', () => this.claims.inc());
    worker.on('stage:end', (e) => this.stageDuration.observe({ stage: e.stage }, e.durationMs / 1000));
    worker.on('book:done', (e) => this.finished.inc({ outcome: e.state }));
    worker.on('book:retry', () => {
      this.finished.inc({ outcome: 'needs_retry' });
      this.retries.inc();
    });
    worker.on('rescued', (books) => this.rescues.inc(books.length));
    worker.on('external:call', (e) => {
      this.externalCalls.inc({ dependency: e.dependency, result: e.result });
      if (e.result === 'failure') this.externalFailures.inc({ dependency: e.dependency });
    });
    worker.on('external:breaker', (e) => this.setBreaker(e.dependency, e.state));
  }

  private setBreaker(dependency: string, state: BreakerState): void {
    for (const s of BREAKER_STATES) this.breaker.set({ dependency, state: s }, s === state ? 1 : 0);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
