/**
 * Awaitable test signals, in the spirit of River's TestSignals: named points in the worker and
 * the thread pool that a test can wait on (`await signals.claimed.waitOnce()`), so a test waits
 * for the event that proves something had its chance instead of sleeping and hoping.
 *
 * Off by default and free when off: the worker and the pool hold `signals?: …` and call
 * `this.signals?.x.signal(v)`, one optional-chaining check. A test creates `new
 * WorkerTestSignals()` and passes it as the `testSignals` option.
 *
 * Every value is kept until a wait takes it (a buffer, not a broadcast), so a signal fired before
 * the test started waiting is not lost; `count` says how many fired in all.
 */
import type { PipelineState } from '../domain/states.js';
import type { RescuedBook } from './lease-rescue.js';
import type { StageName } from './stage.js';
import type { TaskName } from './tasks.js';

/** How long a wait lasts before it fails: a hang guard, never a speed assertion. */
export const DEFAULT_SIGNAL_TIMEOUT_MS = 15_000;

interface Waiter<T> {
  want: (v: T) => boolean;
  resolve: (v: T) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class TestSignal<T> {
  private readonly buffer: T[] = [];
  private readonly waiters: Waiter<T>[] = [];
  private fired = 0;

  constructor(readonly name: string) {}

  /** How many times the signal fired since it was created. */
  get count(): number {
    return this.fired;
  }

  /** Values fired and not yet taken by a wait. */
  get pending(): readonly T[] {
    return this.buffer;
  }

  /** Called by the code under test. Never blocks, never throws. */
  signal(value: T): void {
    this.fired++;
    const i = this.waiters.findIndex((w) => w.want(value));
    if (i >= 0) {
      const [w] = this.waiters.splice(i, 1);
      clearTimeout(w!.timer);
      w!.resolve(value);
      return;
    }
    // A value passed over by a waiting waitUntil is dropped, as a buffered one would be.
    if (this.waiters.length === 0) this.buffer.push(value);
  }

  /** The next value (a buffered one at once); rejects after `timeoutMs`. */
  waitOnce(timeoutMs = DEFAULT_SIGNAL_TIMEOUT_MS): Promise<T> {
    return this.waitUntil(() => true, timeoutMs);
  }

  /** The next `n` values, in order. */
  async waitFor(n: number, timeoutMs = DEFAULT_SIGNAL_TIMEOUT_MS): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(await this.waitOnce(timeoutMs));
    return out;
  }

  /** The first value that matches; values before it that do not match are dropped. */
  waitUntil(match: (v: T) => boolean, timeoutMs = DEFAULT_SIGNAL_TIMEOUT_MS): Promise<T> {
    while (this.buffer.length > 0) {
      const v = this.buffer.shift()!;
      if (match(v)) return Promise.resolve(v);
    }
    return new Promise<T>((resolve, reject) => {
      const w: Waiter<T> = {
        want: match,
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new Error(`test signal '${this.name}' did not fire within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.push(w);
    });
  }

  /** Drops buffered values (e.g. before the phase of a test that counts from now). */
  clear(): void {
    this.buffer.length = 0;
  }
}

export interface PoolThreadEvent {
  /** The pool's own number for the thread (1, 2, … in start order). */
  thread: number;
  slot: number;
}

export interface PoolTaskEvent extends PoolThreadEvent {
  job: number;
  task: TaskName;
  /** Tasks running on the pool's threads at this moment, this one included (started) or not (finished). */
  inFlight: number;
}

/** The thread pool's signals (./pool.ts). */
export class PoolTestSignals {
  readonly threadStarted = new TestSignal<PoolThreadEvent>('threadStarted');
  /** After the thread has really exited (terminate() resolved, or it died). */
  readonly threadTerminated = new TestSignal<PoolThreadEvent & { reason: 'cancelled' | 'crashed' | 'out_of_memory' | 'closed' }>('threadTerminated');
  readonly taskStarted = new TestSignal<PoolTaskEvent>('taskStarted');
  readonly taskFinished = new TestSignal<PoolTaskEvent & { ok: boolean }>('taskFinished');
}

export interface BookSignal {
  pipelineId: string;
}

/** The worker's signals (./worker.ts, ./book-runner.ts), and its pool's. */
export class WorkerTestSignals {
  readonly pool = new PoolTestSignals();
  readonly started = new TestSignal<{ workerId: string }>('started');
  readonly claimed = new TestSignal<BookSignal & { state: PipelineState; attempts: number }>('claimed');
  /** A slot asked for work and found none (one claim cycle that had its chance). */
  readonly foundNothing = new TestSignal<{ slot: number }>('foundNothing');
  /** Every slot idle and nothing in flight (fires once per look while the queue stays empty). */
  readonly idle = new TestSignal<Record<string, never>>('idle');
  readonly stageStarted = new TestSignal<BookSignal & { stage: StageName }>('stageStarted');
  /** A stage's commit landed (the book is now in `to`). */
  readonly stageCommitted = new TestSignal<BookSignal & { from: StageName; to: PipelineState }>('stageCommitted');
  /** A failed stage was recorded (needs_retry or failed). */
  readonly stageFailed = new TestSignal<BookSignal & { stage: StageName; to: PipelineState }>('stageFailed');
  readonly released = new TestSignal<BookSignal & { to: PipelineState }>('released');
  readonly abandoned = new TestSignal<BookSignal & { reason: string }>('abandoned');
  /** One heartbeat write: how many leases it extended, of how many the worker believes it holds. */
  readonly heartbeat = new TestSignal<{ extended: number; held: number }>('heartbeat');
  /** The heartbeat found this book's lease gone and aborted its stage. */
  readonly leaseLost = new TestSignal<BookSignal>('leaseLost');
  /** One lease-rescue pass ran (whatever it found). */
  readonly rescuePass = new TestSignal<{ rescued: readonly RescuedBook[] }>('rescuePass');
  /** One book taken from a dead worker's expired lease. */
  readonly leaseRescued = new TestSignal<RescuedBook>('leaseRescued');
  readonly drained = new TestSignal<Record<string, never>>('drained');
  readonly stopped = new TestSignal<{ workerId: string }>('stopped');
}
