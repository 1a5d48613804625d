/**
 * `serve` on PostgreSQL (#15): the real process over a throwaway cluster a real worker process
 * filled, read with a real HTTP client. The scrape's gauges match what the database holds; the
 * health endpoints answer from the server; readiness names the server without its password and
 * turns 503 when the database goes away, with /metrics saying database_up 0 instead of stale
 * numbers. The disk gauge is absent: the server's disk is not this host's.
 *
 * The scrape test runs on a SQLite file first, as the reference the server must match.
 */
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { initDb, runCli, spawnCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { pgAvailable, pgCluster, pgUnavailableReason } from '../helpers/pg-cluster.js';
import { sampleBook, writeTxt } from '../fixtures/books.js';
import { openServices } from '../../src/services.js';
import { MIGRATIONS } from '../../src/db/migrations.js';
import { PG_MIGRATIONS } from '../../src/db/postgres/migrations.js';
import { collect, exitOf } from '../worker/support.js';
import { boundPort, eventually, killedAfterEach, parseScrape, request } from './support.js';

const reason = pgUnavailableReason();
if (reason) console.warn(`postgres-metrics: PostgreSQL tests skipped: ${reason}`);

const children = killedAfterEach();

interface Where {
  name: 'sqlite' | 'postgres';
  skip: boolean;
  fresh(): Promise<string>;
}

const ENGINES: Where[] = [
  { name: 'sqlite', skip: false, fresh: async () => path.join(tempDir('ap-pgm-'), 'pipeline.db') },
  { name: 'postgres', skip: !pgAvailable(), fresh: () => pgCluster().createDatabase() },
];

/** n real TXT books queued (priorities 2 and 5), in a database `init` made. */
async function queued(where: Where, n: number): Promise<string> {
  const db = initDb(await where.fresh());
  const dir = tempDir('ap-pgm-lib-');
  const s = await openServices(db);
  try {
    for (let i = 0; i < n; i++) {
      const file = writeTxt(dir, sampleBook(500 + i), { fileName: `book-${i}.txt` });
      await s.engine.pipelines.insert({ source_path: file, actor: 'human:tester', priority: i === 0 ? 2 : 5 });
    }
  } finally {
    await s.engine.close();
  }
  return db;
}

async function serve(db: string): Promise<{ port: number; child: ChildProcess; stderr: () => string }> {
  const child = spawnCli(['serve', '--db', db, '--listen', '127.0.0.1:0']);
  children.push(child);
  const io = collect(child);
  return { port: await boundPort(io.stderr, child), child, stderr: io.stderr };
}

/** Counts by state and the audit head as the database holds them (through another connection). */
async function heldIn(db: string): Promise<{ counts: Record<string, number>; head: number }> {
  const s = await openServices(db, { readonly: true });
  try {
    const counts = await s.engine.pipelines.countsByState();
    return { counts: Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0)), head: (await s.engine.audit.head()).id };
  } finally {
    await s.engine.close();
  }
}

describe.each(ENGINES)('serve on $name', (where) => {
  it.skipIf(where.skip)('/metrics reports the books a worker process moved; /health and /health/ready answer from the database', async () => {
    const db = await queued(where, 4);
    const s = await serve(db);
    const before = parseScrape((await request(s.port, '/metrics')).body);
    expect(before.value('agentic_pipeline_database_up')).toBe(1);
    expect(before.value('agentic_pipeline_books', { state: 'detected', priority: '2' })).toBe(1);
    expect(before.value('agentic_pipeline_books', { state: 'detected', priority: '5' })).toBe(3);
    expect(before.all('agentic_pipeline_oldest_queued_age_seconds')).toHaveLength(2);
    // The schema number of the engine served (each engine has its own migrations).
    expect(before.all('agentic_pipeline_build_info')[0]!.labels).toMatchObject(
      where.name === 'postgres' ? { engine: 'postgres', schema: String(PG_MIGRATIONS.length) } : { engine: 'sqlite', schema: String(MIGRATIONS.length) },
    );
    if (where.name === 'postgres') expect(before.all('agentic_pipeline_disk_free_bytes')).toEqual([]);
    else expect(before.value('agentic_pipeline_disk_free_bytes')).toBeGreaterThan(0);

    const w = spawnCli(['worker', '--db', db, '--drain', '--poll-interval', '0.1']);
    children.push(w);
    expect((await exitOf(w)).code).toBe(0);
    const want = await heldIn(db);
    // The snapshot is cached for a second: wait for a scrape that shows the worker's work.
    const m = await eventually(async () => {
      const scrape = parseScrape((await request(s.port, '/metrics')).body);
      return scrape.all('agentic_pipeline_books', { state: 'detected' }).length === 0 ? scrape : undefined;
    }, 'a scrape after the worker drained');
    const byState: Record<string, number> = {};
    for (const x of m.all('agentic_pipeline_books')) byState[x.labels.state!] = (byState[x.labels.state!] ?? 0) + x.value;
    expect(byState).toEqual(want.counts);
    expect(m.all('agentic_pipeline_oldest_queued_age_seconds')).toHaveLength(0);
    expect(m.value('agentic_pipeline_workers', { liveness: 'stopped' })).toBe(1);
    expect(m.value('agentic_pipeline_audit_head_id')).toBe(want.head);
    expect(m.value('agentic_pipeline_stuck_books', { reason: 'lease_expired' })).toBe(0);
    expect(m.value('agentic_pipeline_scrape_errors_total')).toBe(0);

    const health = await request(s.port, '/health');
    expect(health.status, health.body).toBe(200);
    const report = JSON.parse(health.body) as { status: string; queued: number; active: number };
    expect(report).toMatchObject({ queued: 0, active: 0 });

    const ready = await request(s.port, '/health/ready');
    expect(ready.status, ready.body).toBe(200);
    const checks = (JSON.parse(ready.body) as { checks: { name: string; ok: boolean; detail: string }[] }).checks;
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['not_shutting_down', true],
      ['database_opens', true],
      ['select_1', true],
      ['schema_current', true],
    ]);
    expect(checks[1]!.detail).toContain(where.name === 'postgres' ? 'postgres://' : 'pipeline.db');
    expect((await request(s.port, '/health/live')).status).toBe(200);

    s.child.kill('SIGTERM');
    expect((await exitOf(s.child)).code).toBe(0);
  }, 240_000);
});

describe.skipIf(!pgAvailable())('serve on PostgreSQL when the server side changes', () => {
  it('readiness never shows the password, and turns 503 (database_up 0) when the database is dropped', async () => {
    const cluster = pgCluster();
    const name = `gone_${process.pid}`;
    const url = initDb(await cluster.createDatabase({ name }));
    // A password the server does not need (trust auth) but a careless message would print.
    const secret = url.replace('postgres://postgres@', 'postgres://postgres:s3cret-pw@');
    const s = await serve(secret);
    const ready = await request(s.port, '/health/ready');
    expect(ready.status, ready.body).toBe(200);
    expect(ready.body).not.toContain('s3cret-pw');
    expect(s.stderr()).not.toContain('s3cret-pw');
    expect(parseScrape((await request(s.port, '/metrics')).body).value('agentic_pipeline_database_up')).toBe(1);

    await cluster.admin(`DROP DATABASE ${name} WITH (FORCE)`);
    const after = await eventually(async () => {
      const r = await request(s.port, '/health/ready');
      return r.status === 503 ? r : undefined;
    }, 'readiness to fail once the database is gone');
    const checks = (JSON.parse(after.body) as { checks: { name: string; ok: boolean; detail: string }[] }).checks;
    expect(checks.find((c) => c.name === 'database_opens')).toMatchObject({ ok: false, detail: expect.stringMatching(/does not exist/) });
    expect(after.body).not.toContain('s3cret-pw');
    const down = await eventually(async () => {
      const scrape = parseScrape((await request(s.port, '/metrics')).body);
      return scrape.value('agentic_pipeline_database_up') === 0 ? scrape : undefined;
    }, 'database_up 0');
    // No stale numbers from before: the database gauges are gone.
    expect(down.all('agentic_pipeline_books')).toEqual([]);
    expect((await request(s.port, '/health/live')).status).toBe(200);
    expect((await request(s.port, '/health')).status).toBe(503);
    // One line for the person at the start of serve on a database that is not there.
    const r = runCli(['serve', '--db', url, '--listen', '127.0.0.1:0']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  }, 240_000);
});
