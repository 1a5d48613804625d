/**
 * Runs stage tasks off the main thread, so heartbeats keep firing while a PDF is parsed or a
 * book embedded. A fixed number of worker threads, started lazily; one task per thread at a
 * time. Cancelling a running task terminates its thread (a CPU-bound loop cannot be asked
 * nicely) and a fresh one is started for the next task.
 */
import { Worker as Thread } from 'node:worker_threads';
import fs from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PermanentError, TransientError } from '../domain/errors.js';
import type { SerializedError, TaskEnv, TaskInput, TaskName, TaskOutput } from './tasks.js';
import { DEFAULT_INGEST_LIMITS } from '../ingest/limits.js';
import { ingestLimitsOf, type LimitsConfig } from '../config/worker.js';
import type { PoolTestSignals } from './test-signals.js';

/** The V8 heap a stage thread may use when the config does not say (worker.limits.thread_heap_mb). */
export const DEFAULT_THREAD_HEAP_MB = 1024;

export interface RunnerOptions {
  /** The worker config's `limits` section: the ingest limits and the thread heap. */
  limits?: LimitsConfig;
}

function taskEnvOf(options: RunnerOptions): TaskEnv {
  return { limits: options.limits ? ingestLimitsOf(options.limits) : DEFAULT_INGEST_LIMITS };
}

export interface TaskRunner {
  run<K extends TaskName>(task: K, input: TaskInput<K>, signal?: AbortSignal): Promise<TaskOutput<K>>;
  close(): Promise<void>;
}

export function rebuildError(e: SerializedError): Error {
  let err: Error;
  if (e.name === 'PermanentError') err = new PermanentError(e.message, e.code);
  else if (e.name === 'TransientError') err = new TransientError(e.message, e.code);
  else {
    err = new Error(e.message);
    err.name = e.name;
    if (e.code) (err as Error & { code?: string }).code = e.code;
  }
  if (e.stack) err.stack = e.stack;
  return err;
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted', 'AbortError');
}

/**
 * Runs tasks on the calling thread (tests, benchmarks of queue overhead, tiny books). The task
 * code (the ingest library) is imported on the first task, so a process that hands its work to
 * a ThreadPool never loads it on its main thread.
 */
export class InlineRunner implements TaskRunner {
  private readonly env: TaskEnv;
  constructor(options: RunnerOptions = {}) {
    this.env = taskEnvOf(options);
  }

  async run<K extends TaskName>(task: K, input: TaskInput<K>, signal?: AbortSignal): Promise<TaskOutput<K>> {
    if (signal?.aborted) throw abortReason(signal);
    const { TASKS } = await import('./tasks.js');
    if (signal?.aborted) throw abortReason(signal);
    const fn = TASKS[task] as (i: TaskInput<K>, s: AbortSignal | undefined, env: TaskEnv) => Promise<TaskOutput<K>>;
    if (!signal) return fn(input, undefined, this.env);
    // Race the abort so a cancelled task returns at once even if the function ignores the signal.
    return new Promise<TaskOutput<K>>((resolve, reject) => {
      const onAbort = () => reject(abortReason(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      fn(input, signal, this.env).then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }
  async close(): Promise<void> {}
}

/** Where the compiled thread entry is; under vitest (sources are .ts) use the built copy in dist. */
export function threadScriptUrl(): URL {
  const here = new URL('./thread.js', import.meta.url);
  if (import.meta.url.endsWith('.ts')) {
    const file = fileURLToPath(import.meta.url);
    const marker = `${'/src/worker/'}`;
    const at = file.lastIndexOf(marker);
    if (at >= 0) {
      const built = file.slice(0, at) + '/dist/src/worker/thread.js';
      if (fs.existsSync(built)) return pathToFileURL(built);
    }
  }
  return here;
}

interface Job {
  id: number;
  task: TaskName;
  input: unknown;
  signal: AbortSignal | undefined;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  onAbort?: () => void;
}

interface Slot {
  index: number;
  thread: Thread | undefined;
  /** The pool's number for the current thread (test signals name threads by it). */
  threadNo: number;
  job: Job | undefined;
}

type TerminationReason = 'cancelled' | 'crashed' | 'out_of_memory' | 'closed';

export class ThreadPool implements TaskRunner {
  private readonly slots: Slot[];
  private readonly waiting: Job[] = [];
  private nextId = 1;
  private closed = false;
  private readonly url: URL;
  private readonly env: TaskEnv;
  private threadsStarted = 0;
  /** Tests only (./test-signals.ts); undefined otherwise, and then costs one check per event. */
  private readonly signals: PoolTestSignals | undefined;
  /** Each thread's V8 heap limit: a book that still exhausts it kills only its own thread. */
  readonly heapMb: number;

  constructor(readonly size: number, options: RunnerOptions & { url?: URL; testSignals?: PoolTestSignals } = {}) {
    this.slots = Array.from({ length: Math.max(1, size) }, (_, index) => ({ index, thread: undefined, threadNo: 0, job: undefined }));
    this.url = options.url ?? threadScriptUrl();
    this.env = taskEnvOf(options);
    this.heapMb = options.limits?.thread_heap_mb ?? DEFAULT_THREAD_HEAP_MB;
    this.signals = options.testSignals;
  }

  /** Tasks running on a thread now. */
  private get inFlight(): number {
    let n = 0;
    for (const s of this.slots) if (s.job) n++;
    return n;
  }

  private signalFinished(slot: Slot, job: Job, ok: boolean): void {
    this.signals?.taskFinished.signal({ thread: slot.threadNo, slot: slot.index, job: job.id, task: job.task, inFlight: this.inFlight, ok });
  }

  run<K extends TaskName>(task: K, input: TaskInput<K>, signal?: AbortSignal): Promise<TaskOutput<K>> {
    if (this.closed) return Promise.reject(new TransientError('worker pool is closed', 'pool_closed'));
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<TaskOutput<K>>((resolve, reject) => {
      const job: Job = { id: this.nextId++, task, input, signal, resolve: resolve as (v: unknown) => void, reject };
      if (signal) {
        job.onAbort = () => this.cancel(job);
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.waiting.push(job);
      this.pump();
    });
  }

  private settle(job: Job, err: unknown, value?: unknown): void {
    if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
    if (err !== undefined) job.reject(err);
    else job.resolve(value);
  }

  private cancel(job: Job): void {
    const i = this.waiting.indexOf(job);
    if (i >= 0) {
      this.waiting.splice(i, 1);
      this.settle(job, abortReason(job.signal!));
      return;
    }
    const slot = this.slots.find((s) => s.job === job);
    if (!slot) return;
    slot.job = undefined;
    this.signalFinished(slot, job, false);
    this.discard(slot, 'cancelled');
    this.settle(job, abortReason(job.signal!));
    this.pump();
  }

  private discard(slot: Slot, reason: TerminationReason): void {
    const t = slot.thread;
    slot.thread = undefined;
    if (t) {
      t.removeAllListeners();
      t.on('error', () => undefined);
      const exited = t.terminate();
      if (this.signals) {
        const e = { thread: slot.threadNo, slot: slot.index, reason };
        void exited.then(() => this.signals!.threadTerminated.signal(e));
      }
    }
  }

  private spawn(slot: Slot): Thread {
    const t = new Thread(this.url, { workerData: { env: this.env }, resourceLimits: { maxOldGenerationSizeMb: this.heapMb } });
    slot.threadNo = ++this.threadsStarted;
    this.signals?.threadStarted.signal({ thread: slot.threadNo, slot: slot.index });
    t.on('message', (msg: { id: number; ok: boolean; output?: unknown; error?: SerializedError }) => {
      const job = slot.job;
      if (!job || job.id !== msg.id) return;
      slot.job = undefined;
      this.signalFinished(slot, job, msg.ok);
      if (msg.ok) this.settle(job, undefined, msg.output);
      else this.settle(job, rebuildError(msg.error ?? { name: 'Error', message: 'unknown error in worker thread' }));
      this.pump();
    });
    const crashed = (why: string) => {
      const job = slot.job;
      slot.job = undefined;
      if (job) this.signalFinished(slot, job, false);
      this.discard(slot, 'crashed');
      if (job) this.settle(job, new TransientError(`worker thread ${why} while running ${job.task}`, 'thread_crash'));
      this.pump();
    };
    t.on('error', (err) => {
      // V8 stopped the thread at its heap limit. The same book under the same limit will do it
      // again, so this is the book's permanent failure, named; the process and the other
      // threads are untouched.
      if ((err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY') {
        const job = slot.job;
        slot.job = undefined;
        if (job) this.signalFinished(slot, job, false);
        this.discard(slot, 'out_of_memory');
        if (job) {
          this.settle(job, new PermanentError(`stage thread ran out of memory (limit ${this.heapMb} MB) while running ${job.task}`, 'thread_out_of_memory'));
        }
        this.pump();
        return;
      }
      crashed(`failed (${err.message})`);
    });
    t.on('exit', (code) => {
      if (slot.thread === t) crashed(`exited with code ${code}`);
    });
    slot.thread = t;
    return t;
  }

  private pump(): void {
    if (this.closed) return;
    for (const slot of this.slots) {
      if (this.waiting.length === 0) return;
      if (slot.job) continue;
      const job = this.waiting.shift()!;
      slot.job = job;
      const thread = slot.thread ?? this.spawn(slot);
      this.signals?.taskStarted.signal({ thread: slot.threadNo, slot: slot.index, job: job.id, task: job.task, inFlight: this.inFlight });
      thread.postMessage({ id: job.id, task: job.task, input: job.input });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.waiting.splice(0)) this.settle(job, new TransientError('worker pool closed', 'pool_closed'));
    await Promise.all(
      this.slots.map(async (slot) => {
        const job = slot.job;
        slot.job = undefined;
        if (job) this.settle(job, new TransientError('worker pool closed', 'pool_closed'));
        const t = slot.thread;
        slot.thread = undefined;
        if (t) {
          t.removeAllListeners();
          t.on('error', () => undefined);
          await t.terminate();
          this.signals?.threadTerminated.signal({ thread: slot.threadNo, slot: slot.index, reason: 'closed' });
        }
      }),
    );
  }
}
