/**
 * Worker throughput and queue overhead.
 *
 * - books/s through the whole pipeline (hashing → … → pending_approval, real stages in the
 *   thread pool) with 1 and with 4 `worker --drain` processes on small real files (300 each),
 *   wall time from spawning the processes to the last exit (process start-up included).
 * - Queue overhead per book: claim + the six lease-checked transitions + a heartbeat every
 *   book, with no stage work, on this section's copy of the generated database (ms/book).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext, BenchResult } from '../types.js';
import { createServices } from '../../src/services.js';
import { writeLibrary } from '../../test/fixtures/books.js';
import { hashFile } from '../../src/ingest/hash.js';
import type { PipelineState } from '../../src/domain/states.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(ROOT, 'dist/bin/agentic-pipeline.js');
const BOOKS = 300;

function runWorker(db: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'worker', '--drain', '--db', db, '--log-level', 'warn', '--poll-interval', '0.05'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

async function queueFolder(db: string, dir: string): Promise<void> {
  const services = createServices(db);
  try {
    const files = fs.readdirSync(dir).map((f) => path.join(dir, f));
    const hashed = await Promise.all(files.map(async (f) => ({ f, ...(await hashFile(f)) })));
    services.db.transaction(() => {
      for (const h of hashed) services.enqueuer.record({ path: h.f, hash: h.hash, size: h.size, priority: 5, actor: 'system:bench' });
    }).immediate();
  } finally {
    services.close();
  }
}

async function throughput(ctx: BenchContext, processes: number): Promise<BenchResult> {
  const dir = path.join(ctx.tmpDir, `lib-${processes}`);
  writeLibrary(dir, BOOKS, { seed: 100 + processes, chapters: 3, wordsPerChapter: 200 });
  const db = path.join(ctx.tmpDir, `throughput-${processes}.db`);
  await queueFolder(db, dir);
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: processes }, () => runWorker(db)));
  const seconds = (performance.now() - t0) / 1000;
  const failed = results.filter((r) => r.code !== 0);
  const busy = results.filter((r) => /SQLITE_BUSY|database is locked/i.test(r.stderr)).length;
  const services = createServices(db);
  const done = (services.db.prepare(`SELECT COUNT(*) AS n FROM pipelines WHERE state IN ('pending_approval', 'rejected')`).get() as { n: number }).n;
  services.close();
  ctx.log(`${processes} process(es): ${done}/${BOOKS} books in ${seconds.toFixed(2)} s${failed.length ? `, ${failed.length} exited non-zero` : ''}${busy ? `, ${busy} logged busy` : ''}`);
  return {
    name: `worker books/s, ${processes} process${processes > 1 ? 'es' : ''} (${BOOKS} small books)`,
    value: Math.round((done / seconds) * 10) / 10,
    unit: 'books/s',
    note: `${done}/${BOOKS} finished; whole pipeline to pending_approval incl. process start-up${busy ? `; ${busy} busy` : ''}`,
  };
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
  out.push(await throughput(ctx, 1));
  out.push(await throughput(ctx, 4));
  return out;
}
