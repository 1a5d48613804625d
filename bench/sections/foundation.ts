/**
 * Foundation bench: claiming and the two reads the console makes all the time.
 *
 * - claims/s with 1 and with 4 real processes on a fresh copy of the generated database: each
 *   process claims through WorkQueue.claimNext and makes one guarded transition (no-op stages),
 *   for a fixed time. Double claims are counted from state_history (a book claimed twice has two
 *   claim rows since the start) and must be 0; SQLITE_BUSY errors are counted.
 * - the audit trail of one book (AuditLog.query by pipeline), median over many random books;
 * - queued counts by priority (WorkQueue.queuedByPriority), median;
 * - the ceiling: the same claim + transition on a bare four-column queue table (see bareQueueCeiling).
 *
 * This file is also the claimer child process (`node foundation.js --claimer DB SECONDS`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { median, copyDatabaseForBench, type BenchContext, type BenchResult } from '../types.js';
import { createServices } from '../../src/services.js';
import type { PipelineState } from '../../src/domain/states.js';

const SELF = fileURLToPath(import.meta.url);
const CLAIM_SECONDS = Number(process.env.BENCH_CLAIM_SECONDS ?? 4);
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
async function claimer(dbPath: string, seconds: number): Promise<void> {
  const s = createServices(dbPath);
  const worker = `bench-${process.pid}`;
  s.queue.register(worker);
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  process.stdin.destroy(); // an open stdin pipe would keep this process alive after the report
  const r: ClaimerReport = { claims: 0, transitions: 0, busy: 0, errors: 0, seconds: 0, firstError: null };
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  while (performance.now() < deadline) {
    try {
      const c = s.queue.claimNext(worker, 600_000);
      if (!c) break;
      r.claims++;
      const to = NEXT[c.pipeline.state];
      if (to) {
        s.pipelines.transition({ id: c.pipeline.id, from: c.pipeline.state, to, actor: `system:worker:${worker}`, leaseToken: c.leaseToken });
        r.transitions++;
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

function runClaimers(dbPath: string, processes: number, seconds: number): Promise<ClaimerReport[]> {
  const children = Array.from({ length: processes }, () =>
    spawn(process.execPath, [SELF, '--claimer', dbPath, String(seconds)], { stdio: ['pipe', 'pipe', 'inherit'] }),
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

  for (const processes of [1, 4]) {
    const copy = path.join(ctx.tmpDir, `claims-${processes}.db`);
    copyDatabaseForBench(ctx.sourceDbPath, copy);
    const since = Date.now();
    const reports = await runClaimers(copy, processes, CLAIM_SECONDS);
    const claims = reports.reduce((a, r) => a + r.claims, 0);
    const seconds = Math.max(...reports.map((r) => r.seconds));
    const busy = reports.reduce((a, r) => a + r.busy, 0);
    const errors = reports.reduce((a, r) => a + r.errors, 0);
    const { claimed, doubles } = doubleClaims(copy, since);
    const firstError = reports.find((r) => r.firstError)?.firstError;
    ctx.log(
      `${processes} process${processes > 1 ? 'es' : ''}: ${claims} claims in ${seconds.toFixed(2)} s; ${claimed} distinct books; ` +
        `${doubles} double claims; ${busy} SQLITE_BUSY; ${errors} other errors${firstError ? ` (${firstError})` : ''}`,
    );
    const label = `${processes} process${processes > 1 ? 'es' : ''}`;
    results.push({
      name: `claim + 1 transition /s, ${label}`,
      value: claims / seconds,
      unit: 'claims/s',
      ...(processes === 1 ? { goal: '>= 20000' } : {}),
      note: `${claims} claims in ${seconds.toFixed(2)} s`,
    });
    results.push({ name: `double claims, ${label}`, value: doubles + (claims - claimed), unit: 'books', goal: '== 0' });
    results.push({ name: `SQLITE_BUSY, ${label}`, value: busy, unit: 'errors', goal: '== 0' });
    if (errors) results.push({ name: `other errors, ${label}`, value: errors, unit: 'errors', goal: '== 0', note: firstError ?? '' });
    fs.rmSync(copy, { force: true });
    fs.rmSync(`${copy}-wal`, { force: true });
    fs.rmSync(`${copy}-shm`, { force: true });
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
  const ceiling = bareQueueCeiling(path.join(ctx.tmpDir, 'bare-queue.db'), CLAIM_SECONDS);
  results.push({
    name: 'ceiling: bare SQLite queue, claim + 1 transition /s, 1 process',
    value: ceiling,
    unit: 'claims/s',
    note: 'integer key, state, priority, lease; same claim shape and pragmas; no history, counts or other indexes',
  });
  return results;
}

/**
 * What this machine's SQLite allows for claim + transition as two IMMEDIATE transactions when the
 * row carries nothing else: a table of 1M (id, state, priority, lease) rows with a partial claim
 * index, our pragmas, our claim statement's shape. It bounds any claim path on a wider row or with
 * more guarantees (a history row per state change, maintained counts, state and lease indexes).
 */
function bareQueueCeiling(file: string, seconds: number): number {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('wal_autocheckpoint = 10000');
    db.exec(`CREATE TABLE q (id INTEGER PRIMARY KEY, state INTEGER NOT NULL, priority INTEGER NOT NULL, lease TEXT);
             CREATE INDEX q_claim ON q(priority, id) WHERE state = 0;`);
    const insert = db.prepare('INSERT INTO q (state, priority) VALUES (0, ?)');
    db.transaction(() => {
      for (let i = 0; i < 1_000_000; i++) insert.run(1 + (i % 10));
    })();
    const claim = db
      .prepare('UPDATE q SET state = 1, lease = ? WHERE id = (SELECT id FROM q WHERE state = 0 ORDER BY priority, id LIMIT 1) AND state = 0 RETURNING id')
      .pluck();
    const move = db.prepare('UPDATE q SET state = 2 WHERE id = ? AND state = 1 AND lease = ?');
    const claimTx = db.transaction((lease: string) => claim.get(lease) as number);
    const moveTx = db.transaction((id: number, lease: string) => move.run(id, lease));
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      const id = claimTx.immediate('w');
      moveTx.immediate(id, 'w');
      n++;
    }
    return n / ((performance.now() - t0) / 1000);
  } finally {
    db.close();
  }
}

if (process.argv[2] === '--claimer' && path.resolve(process.argv[1] ?? '') === SELF) {
  claimer(process.argv[3]!, Number(process.argv[4] ?? 4)).catch((err: unknown) => {
    process.stderr.write(`claimer: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
