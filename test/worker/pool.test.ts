/**
 * The thread pool really cancels: a CPU-bound task is stopped by terminating its thread (the
 * main thread's timers keep firing meanwhile), and the pool goes on with a fresh thread; with N
 * threads, N tasks run at once. Proven by the pool's test signals, never by wall-clock ratios.
 */
import { describe, expect, it } from 'vitest';
import { ThreadPool } from '../../src/worker/pool.js';
import { PoolTestSignals } from '../../src/worker/test-signals.js';
import { PermanentError } from '../../src/domain/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { writeEmptyFile } from '../fixtures/books.js';

describe('ThreadPool', () => {
  /** A CPU-bound job long enough to be aborted mid-way (hundreds of ms at least, here). */
  const big = Array.from({ length: 100 }, (_, i) => `word${i} other${i} `.repeat(25_000));

  it('aborts a CPU-bound task by terminating its thread, keeps the event loop free meanwhile, and runs the next task on a fresh thread', async () => {
    const signals = new PoolTestSignals();
    const pool = new ThreadPool(1, { testSignals: signals });
    try {
      // Warm the thread, so the job below is aborted while it computes, not while it loads.
      await pool.run('embed', { texts: ['warm up'], dims: 8 });
      await signals.taskStarted.waitOnce();
      await signals.taskFinished.waitOnce();
      const ctl = new AbortController();
      const running = pool.run('embed', { texts: big, dims: 256 }, ctl.signal);
      const started = await signals.taskStarted.waitOnce();
      expect(started).toMatchObject({ task: 'embed', thread: 1, inFlight: 1 });
      // The main thread is free while the thread works: timers fire, several in a row.
      let ticks = 0;
      await new Promise<void>((resolve) => {
        const ticker = setInterval(() => {
          if (++ticks === 3) {
            clearInterval(ticker);
            resolve();
          }
        }, 5);
      });
      // The job was still running all that while (it has not reported back)...
      expect(signals.taskFinished.count).toBe(1);
      ctl.abort(new Error('cancelled by test'));
      await expect(running).rejects.toThrow('cancelled by test');
      // ...and the abort stopped it for real: its thread exited, cancelled, without finishing the job.
      expect(await signals.threadTerminated.waitOnce()).toEqual({ thread: 1, slot: 0, reason: 'cancelled' });
      expect(await signals.taskFinished.waitOnce()).toMatchObject({ job: started.job, ok: false, inFlight: 0 });

      const fresh = await pool.run('embed', { texts: ['after the abort'], dims: 8 });
      expect(fresh).toHaveLength(1);
      expect(fresh[0]).toBeInstanceOf(Float32Array);
      // The next task ran on a second thread, started after the first one was gone.
      expect(await signals.threadStarted.waitFor(2)).toEqual([
        { thread: 1, slot: 0 },
        { thread: 2, slot: 0 },
      ]);
      expect(await signals.taskStarted.waitOnce()).toMatchObject({ thread: 2, task: 'embed' });
      expect(await signals.taskFinished.waitOnce()).toMatchObject({ thread: 2, ok: true });
    } finally {
      await pool.close();
    }
  });

  it('runs as many tasks at once as it has threads, and queues the rest', async () => {
    const signals = new PoolTestSignals();
    const pool = new ThreadPool(2, { testSignals: signals });
    try {
      const texts = big.slice(0, 20);
      const jobs = [1, 2, 3].map(() => pool.run('embed', { texts, dims: 64 }));
      const out = await Promise.all(jobs);
      expect(out.map((v) => v.length)).toEqual([20, 20, 20]);
      const starts = await signals.taskStarted.waitFor(3);
      const ends = await signals.taskFinished.waitFor(3);
      // Two threads, two tasks in flight at once; the third waited for a free thread.
      expect(starts.map((e) => e.inFlight)).toEqual([1, 2, 2]);
      expect(new Set(starts.slice(0, 2).map((e) => e.thread))).toEqual(new Set([1, 2]));
      // The third started only after one of the first two had finished, on that thread.
      const firstEnd = ends[0]!;
      expect(starts[2]!.thread).toBe(firstEnd.thread);
      expect(ends.every((e) => e.ok)).toBe(true);
      expect(signals.threadStarted.count).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('carries the error class and code of a failed task back from the thread', async () => {
    const pool = new ThreadPool(1);
    try {
      const file = writeEmptyFile(tempDir('ap-pool-'), 'empty.txt');
      const err = await pool.run('hash', { path: file }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PermanentError);
      expect((err as PermanentError).code).toBe('empty_file');
    } finally {
      await pool.close();
    }
  });
});
