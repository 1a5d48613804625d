/**
 * Claims per second on each engine, through the Engine interface: N books queued, then 1 and 4
 * concurrent claimers taking them one at a time (claimNext) and in batches (claimBatch of 10)
 * until the queue is empty. A claim here is only the claim (no stage, no completion).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/engine-claims.js [--books 10000] [--pg URL]
 *
 * Without --pg, a throwaway PostgreSQL cluster is started on a Unix socket under /tmp (as
 * `nobody` when run as root) and removed afterwards; PostgreSQL is skipped when initdb is not
 * installed. SQLite's claimers share one process, so "4 claimers" there interleave on one
 * connection each (better-sqlite3 is synchronous): a single-process figure, not a fleet's.
 * The fleet's shape (one process per claimer, on the generated 100k/1M data) is
 * bench/sections/postgres.ts (`npm run bench -- --only postgres`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openEngine } from '../src/db/open.js';
import type { Engine } from '../src/db/engine.js';
import { startBenchCluster } from './pg-cluster.js';

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const BOOKS = Number(arg('--books', '10000'));

async function fill(e: Engine): Promise<void> {
  for (let i = 0; i < BOOKS; i++) {
    await e.pipelines.insert({ source_path: `/books/b${i}.epub`, priority: 1 + (i % 10), actor: 'system:bench' });
  }
}

/** Claims/s with `claimers` concurrent loops, each on its own engine (connection or pool). */
async function measure(engines: Engine[], batch: number): Promise<{ perSec: number; claimed: number }> {
  let claimed = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    engines.map(async (e, i) => {
      for (;;) {
        const got = batch === 1 ? ((await e.queue.claimNext(`w${i}`, 600_000)) ? 1 : 0) : (await e.queue.claimBatch(`w${i}`, 600_000, batch)).length;
        if (got === 0) return;
        claimed += got;
      }
    }),
  );
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { perSec: Math.round(claimed / s), claimed };
}

async function run(name: string, open: (tag: string) => Promise<{ location: string }>): Promise<void> {
  for (const claimers of [1, 4]) {
    for (const batch of [1, 10]) {
      const { location } = await open(`c${claimers}_b${batch}`);
      const first = await openEngine(location);
      await fill(first);
      const engines = [first];
      for (let i = 1; i < claimers; i++) engines.push(await openEngine(location));
      const r = await measure(engines, batch);
      for (const e of engines) await e.close();
      if (r.claimed !== BOOKS) throw new Error(`${name}: claimed ${r.claimed} of ${BOOKS}`);
      console.log(`${name.padEnd(10)} claimers=${claimers} batch=${String(batch).padEnd(2)}  ${String(r.perSec).padStart(7)} claims/s`);
    }
  }
}

async function main(): Promise<void> {
  console.log(`books=${BOOKS}  cpus=${os.cpus().length}  load=${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-bench-sqlite-'));
  try {
    await run('sqlite', async (tag) => ({ location: path.join(dir, `${tag}.db`) }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const given = arg('--pg');
  if (given) {
    await run('postgres', async () => ({ location: given }));
    return;
  }
  const cluster = startBenchCluster();
  if (!cluster) {
    console.log('postgres   skipped: initdb not installed');
    return;
  }
  try {
    await run('postgres', async (tag) => {
      await cluster.admin(`CREATE DATABASE bench_${tag}`);
      return { location: cluster.url(`bench_${tag}`) };
    });
  } finally {
    cluster.stop();
  }
}

await main();
