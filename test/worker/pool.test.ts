/**
 * The thread pool really cancels: a CPU-bound task is stopped by terminating its thread (the
 * main thread's timers keep firing meanwhile), and the pool goes on with a fresh thread.
 */
import { describe, expect, it } from 'vitest';
import { ThreadPool } from '../../src/worker/pool.js';
import { PermanentError } from '../../src/domain/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { writeEmptyFile } from '../fixtures/books.js';

describe('ThreadPool', () => {
  it('aborts a CPU-bound task at once, keeps the event loop free meanwhile, and runs the next task', async () => {
    const pool = new ThreadPool(1);
    try {
      // Warm the thread so the measurement below is about the task.
      await pool.run('embed', { texts: ['warm up'], dims: 8 });
      const big = Array.from({ length: 100 }, (_, i) => `word${i} other${i} `.repeat(25_000));
      // How long the whole job takes when left alone.
      let t = Date.now();
      await pool.run('embed', { texts: big, dims: 256 });
      const fullMs = Date.now() - t;

      const ctl = new AbortController();
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 10);
      t = Date.now();
      const running = pool.run('embed', { texts: big, dims: 256 }, ctl.signal);
      setTimeout(() => ctl.abort(new Error('cancelled by test')), Math.min(200, fullMs / 5));
      await expect(running).rejects.toThrow('cancelled by test');
      // One thread: the next task can only run this soon if the cancelled one was really stopped.
      const fresh = await pool.run('embed', { texts: ['after the abort'], dims: 8 });
      const elapsed = Date.now() - t;
      clearInterval(ticker);
      expect(fresh).toHaveLength(1);
      expect(fresh[0]).toBeInstanceOf(Float32Array);
      expect(elapsed, `cancelled+next took ${elapsed} ms, the whole job ${fullMs} ms`).toBeLessThan(fullMs * 0.8);
      // The main thread was not blocked while the thread worked.
      expect(ticks).toBeGreaterThan(3);
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
