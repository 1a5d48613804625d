/**
 * Foundation bench: claiming and the two reads the console makes all the time.
 *
 * - claims/s with 1 and with 4 real processes on a fresh copy of the generated database: each
 *   process claims and makes one guarded transition per book (no-op stages) for a fixed time,
 *   one book at a time (WorkQueue.claimNext + PipelineStore.transition: two commits per book)
 *   and in batches of CLAIM_BATCH (WorkQueue.claimBatch + PipelineStore.advanceMany: two commits
 *   per batch, a worker with that many free slots). Double claims are counted from state_history
 *   (a book claimed twice has two claim rows since the start) and must be 0; SQLITE_BUSY errors
 *   are counted. The batched single-process figure is the median of three runs on fresh copies.
 * - the audit trail of one book (AuditLog.query by pipeline), median over many random books;
 * - queued counts by priority (WorkQueue.queuedByPriority), median;
 * - two ceilings for one book at a time on a synthetic 1M-row queue table (see queueCeiling):
 *   bare (id, state, priority, lease), and narrow but with our guarantees (a history row per
 *   state change, maintained counts, a state index and a lease index).
 *
 * This file is also the claimer child process (`node foundation.js --claimer DB SECONDS BATCH`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { median, copyDatabaseForBench, type BenchContext, type BenchResult } from '../types.js';
import { createServices } from '../../src/services.js';
import type { PipelineState } from '../../src/domain/states.js';
import { queueCeiling } from '../queue-ceiling.js';

const SELF = fileURLToPath(import.meta.url);
const CLAIM_SECONDS = Number(process.env.BENCH_CLAIM_SECONDS ?? 4);
/** Books per claim in the batched runs: a worker with 64 free slots. */
const CLAIM_BATCH = 64;
/** Where a claimed book goes next, as a no-op stage would move it. */
const NEXT: Partial<Record<PipelineState, PipelineState>> = { hashing: 'classifying', embedding: 'complete' };

interface ClaimerReport {
  claims: number;
  transitions: number;
  busy: number;
  errors: number;
  seconds: number;
  firstError: string | null;
}

/** The child: wait for "go" on stdin, claim + transition until time is up, report on stdout. */
async function claimer(dbPath: string, seconds: number, batch: number): Promise<void> {
  const s = createServices(dbPath);
  const worker = `bench-${process.pid}`;
  const actor = `system:worker:${worker}`;
  s.queue.register(worker);
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  process.stdin.destroy(); // an open stdin pipe would keep this process alive after the report
  const r: ClaimerReport = { claims: 0, transitions: 0, busy: 0, errors: 0, seconds: 0, firstError: null };
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  while (performance.now() < deadline) {
    try {
      if (batch === 1) {
        const c = s.queue.claimNext(worker, 600_000);
        if (!c) break;
        r.claims++;
        const to = NEXT[c.pipeline.state];
        if (to) {
          s.pipelines.transition({ id: c.pipeline.id, from: c.pipeline.state, to, actor, leaseToken: c.leaseToken });
          r.transitions++;
        }
      } else {
        const claims = s.queue.claimBatch(worker, 600_000, batch);
        if (claims.length === 0) break;
        r.claims += claims.length;
        const moves = claims.flatMap((c) => {
          const to = NEXT[c.pipeline.state];
          return to ? [{ id: c.pipeline.id, from: c.pipeline.state, to, leaseToken: c.leaseToken }] : [];
        });
        const out = s.pipelines.advanceMany(moves, { actor });
        r.transitions += out.moved.length;
        if (out.refused.length) {
          r.errors += out.refused.length;
          r.firstError ??= out.refused[0]!.error.message;
        }
      }
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT') r.busy++;
      else r.errors++;
      r.firstError ??= (err as Error).message;
    }
  }
  r.seconds = (performance.now() - t0) / 1000;
  s.close();
  process.stdout.write(JSON.stringify(r) + '\n');
}

function runClaimers(dbPath: string, processes: number, seconds: number, batch: number): Promise<ClaimerReport[]> {
  const children = Array.from({ length: processes }, () =>
    spawn(process.execPath, [SELF, '--claimer', dbPath, String(seconds), String(batch)], { stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  const outputs = children.map((c) => {
    let buf = '';
    c.stdout.setEncoding('utf8');
    c.stdout.on('data', (d: string) => (buf += d));
    return {
      ready: new Promise<void>((resolve, reject) => {
        const check = () => (buf.includes('ready\n') ? resolve() : undefined);
        c.stdout.on('data', check);
        c.on('exit', (code) => reject(new Error(`claimer exited early with ${code}`)));
      }),
      done: new Promise<ClaimerReport>((resolve, reject) =>
        c.on('exit', (code) => {
          const last = buf.trim().split('\n').pop() ?? '';
          try {
            resolve(JSON.parse(last) as ClaimerReport);
          } catch {
            reject(new Error(`claimer exited ${code} without a report: ${buf}`));
          }
        }),
      ),
    };
  });
  return Promise.all(outputs.map((o) => o.ready)).then(() => {
    for (const c of children) c.stdin.end('go\n');
    return Promise.all(outputs.map((o) => o.done));
  });
}

/** Books claimed more than once since `since` (each claim writes one history row noted 'claimed'). */
function doubleClaims(dbPath: string, since: number): { claimed: number; doubles: number } {
  const db = new Database(dbPath, { readonly: true });
  const r = db
    .prepare(
      `SELECT COUNT(*) AS claimed, COALESCE(SUM(n > 1), 0) AS doubles FROM (
         SELECT pipeline_id, COUNT(*) AS n FROM state_history
         WHERE at >= ? AND details = 'claimed' GROUP BY pipeline_id)`,
    )
    .get(since) as { claimed: number; doubles: number };
  db.close();
  return r;
}

export default async function foundation(ctx: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];

  const runs: { processes: number; batch: number; repeat: number }[] = [
    { processes: 1, batch: 1, repeat: 1 },
    { processes: 4, batch: 1, repeat: 1 },
    { processes: 1, batch: CLAIM_BATCH, repeat: 3 },
    { processes: 4, batch: CLAIM_BATCH, repeat: 1 },
  ];
  for (const { processes, batch, repeat } of runs) {
    const label = `${processes} process${processes > 1 ? 'es' : ''}${batch > 1 ? `, batches of ${batch}` : ', one book at a time'}`;
    const rates: number[] = [];
    const notes: string[] = [];
    let doublesTotal = 0;
    let busyTotal = 0;
    let errorsTotal = 0;
    let firstError: string | undefined;
    for (let run = 0; run < repeat; run++) {
      const copy = path.join(ctx.tmpDir, `claims-${processes}-${batch}.db`);
      copyDatabaseForBench(ctx.sourceDbPath, copy);
      const since = Date.now();
      const reports = await runClaimers(copy, processes, CLAIM_SECONDS, batch);
      const claims = reports.reduce((a, r) => a + r.claims, 0);
      const seconds = Math.max(...reports.map((r) => r.seconds));
      const busy = reports.reduce((a, r) => a + r.busy, 0);
      const errors = reports.reduce((a, r) => a + r.errors, 0);
      const { claimed, doubles } = doubleClaims(copy, since);
      firstError ??= reports.find((r) => r.firstError)?.firstError ?? undefined;
      ctx.log(
        `${label}: ${claims} claims in ${seconds.toFixed(2)} s; ${claimed} distinct books; ` +
          `${doubles} double claims; ${busy} SQLITE_BUSY; ${errors} other errors${firstError ? ` (${firstError})` : ''}`,
      );
      rates.push(claims / seconds);
      notes.push(`${claims} in ${seconds.toFixed(2)} s`);
      doublesTotal += doubles + (claims - claimed);
      busyTotal += busy;
      errorsTotal += errors;
      fs.rmSync(copy, { force: true });
      fs.rmSync(`${copy}-wal`, { force: true });
      fs.rmSync(`${copy}-shm`, { force: true });
    }
    results.push({
      name: `claim + 1 transition /s, ${label}${repeat > 1 ? ` (median of ${repeat})` : ''}`,
      value: median(rates),
      unit: 'claims/s',
      ...(processes === 1 && batch > 1 ? { goal: '>= 20000' } : {}),
      note: repeat > 1 ? `runs: ${rates.map((r) => Math.round(r)).join(', ')} (${notes.join('; ')})` : notes[0]!,
    });
    results.push({ name: `double claims, ${label}`, value: doublesTotal, unit: 'books', goal: '== 0' });
    results.push({ name: `SQLITE_BUSY, ${label}`, value: busyTotal, unit: 'errors', goal: '== 0' });
    if (errorsTotal) results.push({ name: `other errors, ${label}`, value: errorsTotal, unit: 'errors', goal: '== 0', note: firstError ?? '' });
  }

  const s = createServices(ctx.dbPath, { readonly: true });
  try {
    const maxRowid = (s.db.prepare('SELECT MAX(rowid) AS m FROM pipelines').get() as { m: number }).m;
    const byRowid = s.db.prepare('SELECT id FROM pipelines WHERE rowid = ?').pluck();
    let seed = 12345;
    const rand = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 4294967296;
    };
    const ids: string[] = [];
    while (ids.length < 2000) {
      const id = byRowid.get(1 + Math.floor(rand() * maxRowid)) as string | undefined;
      if (id) ids.push(id);
    }
    const times: number[] = [];
    let rows = 0;
    for (const id of ids) {
      const t = performance.now();
      rows += s.audit.query({ pipelineId: id, limit: 50 }).length;
      times.push(performance.now() - t);
    }
    ctx.log(`audit for one book: ${ids.length} random books, ${(rows / ids.length).toFixed(1)} rows each on average`);
    results.push({ name: 'audit trail of one book (median)', value: median(times), unit: 'ms', goal: '<= 2' });

    const counts: number[] = [];
    for (let i = 0; i < 500; i++) {
      const t = performance.now();
      s.queue.queuedByPriority();
      counts.push(performance.now() - t);
    }
    results.push({ name: 'queued counts by priority (median)', value: median(counts), unit: 'ms', goal: '<= 5' });
    const stateCounts: number[] = [];
    for (let i = 0; i < 500; i++) {
      const t = performance.now();
      s.pipelines.countsByState();
      stateCounts.push(performance.now() - t);
    }
    results.push({ name: 'counts by state (median)', value: median(stateCounts), unit: 'ms', goal: '<= 5' });
    const windows: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      s.queue.window({ limit: 50 });
      windows.push(performance.now() - t);
    }
    results.push({ name: 'next 50 in claim order (median)', value: median(windows), unit: 'ms' });
  } finally {
    s.close();
  }
  const bare = queueCeiling(path.join(ctx.tmpDir, 'bare-queue.db'), CLAIM_SECONDS, false);
  results.push({
    name: 'ceiling: bare SQLite queue, claim + 1 transition /s, 1 process',
    value: bare,
    unit: 'claims/s',
    note: 'integer key, state, priority, lease; same claim shape and pragmas; no history, counts or other indexes',
  });
  const guarded = queueCeiling(path.join(ctx.tmpDir, 'guarded-queue.db'), CLAIM_SECONDS, true);
  results.push({
    name: 'ceiling: narrow queue with our guarantees, claim + 1 transition /s, 1 process',
    value: guarded,
    unit: 'claims/s',
    note: 'the bare table plus a history row per state change, maintained counts, a state index and a lease index',
  });
  return results;
}

if (process.argv[2] === '--claimer' && path.resolve(process.argv[1] ?? '') === SELF) {
  claimer(process.argv[3]!, Number(process.argv[4] ?? 4), Number(process.argv[5] ?? 1)).catch((err: unknown) => {
    process.stderr.write(`claimer: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
