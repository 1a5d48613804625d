/**
 * Entry point of a pool thread: runs one task at a time from ./tasks.ts. Cancellation is done
 * by the pool terminating this thread, so a CPU-bound loop is stopped for real.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DEFAULT_TASK_ENV, TASKS, serializeError, type TaskEnv, type TaskName } from './tasks.js';

interface Request {
  id: number;
  task: TaskName;
  input: unknown;
}

if (!parentPort) throw new Error('thread.ts must run as a worker thread');
const port = parentPort;
/** Set by the pool when it starts this thread (the worker config's limits). */
const env: TaskEnv = (workerData as { env?: TaskEnv } | undefined)?.env ?? DEFAULT_TASK_ENV;

port.on('message', (req: Request) => {
  const fn = TASKS[req.task] as (input: unknown, signal: undefined, env: TaskEnv) => Promise<unknown>;
  if (!fn) {
    port.postMessage({ id: req.id, ok: false, error: { name: 'Error', message: `unknown task ${String(req.task)}` } });
    return;
  }
  fn(req.input, undefined, env).then(
    (output) => {
      const transfer: ArrayBuffer[] = [];
      if (Array.isArray(output)) {
        for (const v of output) if (v instanceof Float32Array) transfer.push(v.buffer as ArrayBuffer);
      }
      port.postMessage({ id: req.id, ok: true, output }, transfer);
    },
    (err: unknown) => port.postMessage({ id: req.id, ok: false, error: serializeError(err) }),
  );
});
