/**
 * Worker throughput, start-up and queue overhead.
 *
 * - books/s through the whole pipeline (hashing → … → pending_approval, real stages in the
 *   thread pool) with 1, 2 and 4 `worker --drain` processes on the same 1,000 small real books
 *   (all five formats), each run on its own fresh database; wall time from spawning the
 *   processes to the last exit (process start-up included). The note gives the rate between the
 *   first claim and the last exit (start-up excluded).
 * - Start-up per process: from spawn to that process's first claim (the `claimed` history row
 *   carries the worker id, which carries the pid), median over the processes of each run.
 * - Queue overhead per book: claim + the five lease-checked transitions + a heartbeat every
 *   book, with no stage work, on this section's copy of the generated database (ms/book).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, type BenchContext, type BenchResult } from '../types.js';
import { createServices } from '../../src/services.js';
import { writeLibrary } from '../../test/fixtures/books.js';
import { queueFolder } from '../queue-folder.js';
import type { PipelineState } from '../../src/domain/states.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(ROOT, 'dist/bin/agentic-pipeline.js');
const BOOKS = 1000;
const PROCESSES = [1, 2, 4];

interface WorkerRun {
  pid: number;
  spawnedAt: number;
  code: number | null;
  stderr: string;
}

function runWorker(db: string): Promise<WorkerRun> {
  return new Promise((resolve) => {
    const spawnedAt = Date.now();
    const child = spawn(process.execPath, [CLI, 'worker', '--drain', '--db', db, '--log-level', 'warn', '--poll-interval', '0.05'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('exit', (code) => resolve({ pid: child.pid ?? -1, spawnedAt, code, stderr }));
  });
}

const plural = (n: number) => `${n} process${n > 1 ? 'es' : ''}`;

async function throughput(ctx: BenchContext, dir: string, processes: number): Promise<BenchResult[]> {
  const db = path.join(ctx.tmpDir, `throughput-${processes}.db`);
  await queueFolder(db, dir);
  const t0 = performance.now();
  const runs = await Promise.all(Array.from({ length: processes }, () => runWorker(db)));
  const seconds = (performance.now() - t0) / 1000;
  const endedAt = Date.now();
  const failed = runs.filter((r) => r.code !== 0);
  const busy = runs.filter((r) => /SQLITE_BUSY|database is locked/i.test(r.stderr)).length;
  const services = createServices(db);
  let done: number;
  const startups: number[] = [];
  let firstClaim = Infinity;
  try {
    done = (services.db.prepare(`SELECT COUNT(*) AS n FROM pipelines WHERE state IN ('pending_approval', 'rejected')`).get() as { n: number }).n;
    const firstClaims = services.db
      .prepare(
        `SELECT w.pid AS pid, (SELECT MIN(h.at) FROM state_history h WHERE h.actor = 'system:worker:' || w.id AND h.to_state = 'hashing') AS at
         FROM workers w`,
      )
      .all() as { pid: number; at: number | null }[];
    for (const r of runs) {
      const at = firstClaims.find((f) => f.pid === r.pid)?.at;
      if (at == null) continue;
      startups.push(at - r.spawnedAt);
      firstClaim = Math.min(firstClaim, at);
    }
  } finally {
    services.close();
  }
  const working = (endedAt - firstClaim) / 1000;
  const steady = Number.isFinite(working) && working > 0 ? done / working : NaN;
  const startup = median(startups);
  ctx.log(
    `${plural(processes)}: ${done}/${BOOKS} books in ${seconds.toFixed(2)} s (${(done / seconds).toFixed(1)}/s; ` +
      `${steady.toFixed(1)}/s from first claim); start-up ${startups.map((s) => s.toFixed(0)).join(', ')} ms` +
      `${failed.length ? `; ${failed.length} exited non-zero` : ''}${busy ? `; ${busy} logged busy` : ''}`,
  );
  return [
    {
      name: `worker books/s, ${plural(processes)} (${BOOKS} small books)`,
      value: Math.round((done / seconds) * 10) / 10,
      unit: 'books/s',
      note:
        `${done}/${BOOKS} finished; whole pipeline to pending_approval, spawn to last exit; ` +
        `${steady.toFixed(1)} books/s from first claim to last exit${busy ? `; ${busy} busy` : ''}${failed.length ? `; ${failed.length} failed` : ''}`,
    },
    {
      name: `worker start-up, ${plural(processes)} (spawn to first claim)`,
      value: Math.round(startup),
      unit: 'ms',
      note: `median over the processes of the run; each: ${startups.map((s) => s.toFixed(0)).join(', ')} ms`,
    },
  ];
}

function queueOverhead(ctx: BenchContext): BenchResult {
  const services = createServices(ctx.dbPath);
  const { db, pipelines, queue } = services;
  try {
    const claimable = (db.prepare(`SELECT COUNT(*) AS n FROM pipelines WHERE state = 'detected'`).get() as { n: number }).n;
    const n = Math.min(2000, claimable);
    const path_: PipelineState[] = ['classifying', 'selecting_strategy', 'processing', 'validating', 'pending_approval'];
    const worker = 'bench-overhead';
    queue.register(worker, { concurrency: 1 });
    // Only `detected` books take the hashing path; push other claimable states out of the way.
    db.prepare(`UPDATE pipelines SET next_attempt_at = 9e15 WHERE state IN ('needs_retry', 'approved')`).run();
    let done = 0;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const claim = queue.claimNext(worker, 30_000);
      if (!claim) break;
      let from: PipelineState = claim.pipeline.state;
      for (const to of path_) {
        pipelines.transition({ id: claim.pipeline.id, from, to, actor: `system:worker:${worker}`, leaseToken: claim.leaseToken, releaseLease: to === 'pending_approval' });
        from = to;
      }
      queue.heartbeat(worker, 30_000);
      done++;
    }
    const ms = performance.now() - t0;
    queue.unregister(worker);
    ctx.log(`queue overhead: ${done} books through claim + 5 transitions + heartbeat in ${ms.toFixed(0)} ms on ${ctx.pipelines} pipelines`);
    return {
      name: 'worker queue overhead per book (no stage work)',
      value: done > 0 ? Math.round((ms / done) * 1000) / 1000 : NaN,
      unit: 'ms/book',
      goal: '<= 5',
      note: `${done} books on a ${ctx.pipelines}-pipeline database: 1 claim, 5 CAS transitions, 1 heartbeat each`,
    };
  } finally {
    services.close();
  }
}

export default async function workerSection(ctx: BenchContext): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  out.push(queueOverhead(ctx));
  // One library for every run (each run queues it into its own database).
  const dir = path.join(ctx.tmpDir, 'library');
  writeLibrary(dir, BOOKS, { seed: 101, chapters: 3, wordsPerChapter: 200 });
  const rates: BenchResult[] = [];
  const startups: BenchResult[] = [];
  for (const p of PROCESSES) {
    const [rate, startup] = await throughput(ctx, dir, p);
    rates.push(rate!);
    startups.push(startup!);
  }
  out.push(...rates, ...startups);
  return out;
}
