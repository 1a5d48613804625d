/**
 * Every command on PostgreSQL, through the real CLI binary (#15): one operator's day — init,
 * queue a folder and a file, drain with a worker process, look (status, list, queue, health,
 * stuck, audit), act (priority, approve, reject, batch retry, batch approve: preview then
 * --execute), verify the audit chain, anchor it, run maintenance — on a throwaway cluster.
 *
 * The same day runs on a SQLite file first, with the same assertions: what a person sees must
 * not depend on the engine, and the SQLite run proves the assertions themselves hold. Then the
 * ways to name a server (--db URL, AGENTIC_PIPELINE_DB, `postgres:` with PGHOST/PGDATABASE),
 * and what has no meaning on a server (backup, restore, an anchor file beside it, the demo) is
 * one line and exit 2 with nothing changed.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runCli, runCliJson, type CliOptions } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { pgAvailable, pgCluster, pgUnavailableReason } from '../helpers/pg-cluster.js';
import { sampleBook, writeLibrary, writeTxt } from '../fixtures/books.js';
import { openServices } from '../../src/services.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const reason = pgUnavailableReason();
if (reason) console.warn(`postgres-commands: PostgreSQL half skipped: ${reason}`);

interface Where {
  name: 'sqlite' | 'postgres';
  skip: boolean;
  /** A new, empty database location (nothing created yet for SQLite; an empty database on the server). */
  fresh(): Promise<string>;
}

const ENGINES: Where[] = [
  { name: 'sqlite', skip: false, fresh: async () => path.join(tempDir('ap-cmds-'), 'pipeline.db') },
  { name: 'postgres', skip: !pgAvailable(), fresh: () => pgCluster().createDatabase() },
];

/** Runs a command that must succeed and returns its one JSON document. */
function ok(args: string[], options: CliOptions = {}): Doc {
  const r = runCliJson<Doc>(args, options);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.doc;
}

/** A usage refusal: exit 2, one line on stderr, nothing on stdout. */
function refused(args: string[], options: CliOptions = {}): string {
  const r = runCli(args, options);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  return lines[0]!;
}

describe.each(ENGINES)('every command on $name', (where) => {
  it.skipIf(where.skip)('an operator day: queue, drain, look, act in one and in batches, verify the audit', async () => {
    const db = await where.fresh();
    const dir = tempDir('ap-cmds-lib-');
    const at = (...args: string[]) => [...args, '--db', db];

    const init = ok(at('init'));
    expect(init.schema_version).toBeGreaterThan(0);
    // The location a person is shown never carries a password, and names the database.
    expect(String(init.db)).toContain(where.name === 'sqlite' ? 'pipeline.db' : 'postgres://');

    // Queue: a folder of real books (EPUB, PDF, Markdown, HTML, TXT) and one more file.
    writeLibrary(path.join(dir, 'lib'), 5, { seed: 11 });
    const batch = ok(at('batch-queue', path.join(dir, 'lib'), '--priority', '3'));
    expect(batch).toMatchObject({ queued: 5, duplicates: 0 });
    const extra = writeTxt(path.join(dir, 'more'), sampleBook(901), { fileName: 'extra.txt' });
    const one = ok(at('process', extra, '--priority', '2'));
    expect(one).toMatchObject({ outcome: 'queued', state: 'detected', priority: 2 });
    // The same content again is recognised, not queued twice.
    expect(ok(at('process', extra)).outcome).toBe('already_queued');

    const queue = ok(at('queue'));
    expect(queue.total).toBe(6);
    // Claim order: priority 2 first, then the five at priority 3.
    expect(queue.next[0].id).toBe(one.id);

    // A worker process drains everything it can claim.
    const worker = ok(at('worker', '--drain', '--concurrency', '2'));
    expect(worker.claimed).toBeGreaterThanOrEqual(6);
    const listed = ok(at('list'));
    expect(listed.total).toBe(6);
    const states = listed.pipelines.map((p: Doc) => p.state);
    expect(states.filter((s: string) => s === 'pending_approval' || s === 'approved' || s === 'complete')).toHaveLength(6);
    expect(listed.pipelines.every((p: Doc) => p.lease_owner === null)).toBe(true);

    const status = ok(at('status', one.id.slice(0, 10)));
    expect(status.id).toBe(one.id);
    expect(status.history[0]).toMatchObject({ from: null, to: 'detected', actor: 'human:tester' });
    expect(status.history.map((h: Doc) => h.to)).toContain('hashing');

    const health = ok(at('health'));
    for (const k of ['status', 'active', 'queued', 'stuck', 'pending_approval', 'workers', 'alerts']) expect(health).toHaveProperty(k);
    expect(health.queued).toBe(0);
    expect(health.active).toBe(0);
    expect(health.stuck).toEqual([]);
    expect(health.workers.length).toBeGreaterThanOrEqual(1);
    expect(ok(at('stuck')).stuck).toEqual([]);

    // One book at a time: approve one, reject one, change a priority.
    const pending = ok(at('list', '--state', 'pending_approval')).pipelines.map((p: Doc) => p.id as string);
    expect(pending.length).toBeGreaterThanOrEqual(3);
    const [a, b, c] = pending as [string, string, string];
    expect(ok(at('approve', a.slice(0, 10), '--actor', 'human:alice')).pipeline.state).toBe('approved');
    expect(ok(at('reject', b, '--reason', 'not a book'))).toMatchObject({ id: b, before: 'pending_approval' });
    expect(ok(at('priority', c, '1'))).toMatchObject({ id: c, after: 1 });
    // A refused action changes nothing and says why: a book already approved cannot be approved.
    const again = runCli(at('approve', a));
    expect(again.code).not.toBe(0);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);

    // Batches: retry the rejected book; approve the rest with a preview first.
    const retryDry = ok(at('batch-retry', '--state', 'rejected'));
    expect(retryDry).toMatchObject({ dry_run: true, matched: 1 });
    expect(ok(at('batch-retry', '--state', 'rejected', '--execute'))).toMatchObject({ dry_run: false, affected: 1 });
    expect(ok(at('status', b)).state).not.toBe('rejected');

    const left = pending.length - 2;
    const preview = ok(at('batch-approve', '--state', 'pending_approval'));
    expect(preview).toMatchObject({ dry_run: true, matched: left });
    // The preview changed nothing.
    expect(ok(at('list', '--state', 'pending_approval')).total).toBe(left);
    const applied = ok(at('batch-approve', '--state', 'pending_approval', '--execute', '--actor', 'human:bob'));
    expect(applied).toMatchObject({ dry_run: false, affected: left, skipped: [] });
    expect(ok(at('list', '--state', 'pending_approval')).total).toBe(0);

    // The audit trail says who did what, newest first, and its chain verifies.
    const audit = ok(at('audit', '--last', '100'));
    const actions = audit.entries.map((e: Doc) => e.action);
    for (const x of ['BATCH_APPROVED', 'BATCH_RETRIED', 'PRIORITY_CHANGED', 'REJECTED', 'APPROVED', 'QUEUED', 'BATCH_QUEUED']) expect(actions).toContain(x);
    const header = ok(at('audit', '--action', 'batch_approved')).entries;
    expect(header).toEqual([expect.objectContaining({ id: applied.audit_id, actor: 'human:bob', count: left })]);
    expect(ok(at('audit', '--book-id', a, '--action', 'approved')).entries).toEqual([expect.objectContaining({ actor: 'human:alice' })]);
    const verify = ok(at('audit', '--verify'));
    expect(verify).toMatchObject({ intact: true, problems: [] });
    expect(verify.checked).toBe(audit.count);

    // An anchor of the chain head outside the database, then verification against it.
    const anchors = path.join(dir, 'audit.anchors');
    const anchored = ok(at('audit', 'anchor', '--to', anchors));
    expect(anchored).toMatchObject({ file: anchors, id: audit.entries[0].id });
    expect(String(anchored.db)).not.toContain('***');
    expect(ok(at('audit', '--verify', '--anchor', anchors))).toMatchObject({ intact: true, anchors_checked: 1 });

    // Maintenance for cron: every step answers; the WAL step exists only where there is a WAL.
    const maintained = ok(at('maintain', '--skip', 'recovery'));
    expect(maintained.errors).toEqual([]);
    expect(maintained).toHaveProperty('durations');
    expect(maintained).toHaveProperty('aging');
    if (where.name === 'sqlite') expect(maintained).toHaveProperty('checkpoint');
    else expect(maintained).not.toHaveProperty('checkpoint');
    // Human output of a read command (no --json), and no command at all without a terminal:
    // the health summary instead of the console.
    for (const args of [at('health'), ['--db', db]]) {
      const human = runCli(args);
      expect(human.code, human.stderr).toBe(0);
      expect(human.stdout).toContain('Pipeline Health');
    }
  }, 240_000);
});

describe.skipIf(!pgAvailable())('naming a PostgreSQL database', () => {
  it('--db URL, AGENTIC_PIPELINE_DB and `postgres:` with PGHOST/PGDATABASE reach the same database', async () => {
    const cluster = pgCluster();
    const name = `named_${process.pid}`;
    const url = await cluster.createDatabase({ name });
    expect(runCli(['init', '--db', url]).code).toBe(0);
    // Queued under the interface: this test is about finding the database, not about queueing.
    const file = writeTxt(tempDir('ap-cmds-'), sampleBook(902), { fileName: 'one.txt' });
    const s = await openServices(url);
    const queued = await s.engine.pipelines.insert({ source_path: file, actor: 'human:tester' });
    await s.engine.close();

    const byEnv = ok(['status', queued.id], { env: { AGENTIC_PIPELINE_DB: url } });
    expect(byEnv.id).toBe(queued.id);
    const libpq = { PGHOST: cluster.socketDir, PGDATABASE: name, PGUSER: 'postgres' };
    const byPg = ok(['status', queued.id, '--db', 'postgres:'], { env: libpq });
    expect(byPg.id).toBe(queued.id);
    expect(ok(['list'], { env: { ...libpq, AGENTIC_PIPELINE_DB: 'postgres:' } }).total).toBe(1);
    // `postgres:` with nothing to go on is a usage error, not a guess.
    expect(refused(['list', '--db', 'postgres:'])).toMatch(/PGHOST/);
  }, 120_000);

  it('every command but init refuses a database without the schema, and leaves it without one', async () => {
    const url = await pgCluster().createDatabase();
    const book = writeTxt(tempDir('ap-cmds-'), sampleBook(903), { fileName: 'book.txt' });
    for (const args of [['health'], ['list'], ['worker', '--drain'], ['process', book], ['maintain'], ['serve', '--listen', '127.0.0.1:0']]) {
      const line = refused([...args, '--db', url]);
      expect(line).toMatch(/no agentic-pipeline schema yet \(run 'agentic-pipeline init --db postgres:\/\/[^']*' first\)/);
    }
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const t = await client.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`);
      expect(t.rows[0].n).toBe(0);
    } finally {
      await client.end();
    }
  }, 120_000);

  it('what only a SQLite file has is refused on a server in one line, exit 2, with what to use instead', async () => {
    const url = await pgCluster().createDatabase();
    expect(runCli(['init', '--db', url]).code).toBe(0);
    const dir = tempDir('ap-cmds-');
    const backup = refused(['backup', '--to', path.join(dir, 'b.db'), '--db', url]);
    expect(backup).toMatch(/^agentic-pipeline: backup works on a SQLite database file; on PostgreSQL use pg_dump/);
    expect(fs.existsSync(path.join(dir, 'b.db'))).toBe(false);
    expect(refused(['restore', '--from', path.join(dir, 'b.db'), '--db', url])).toMatch(/on PostgreSQL use pg_restore/);
    expect(refused(['audit', 'anchor', '--db', url])).toMatch(/name the anchor file with --to FILE/);
    expect(fs.readdirSync(dir)).toEqual([]);
    // The demo brings its own SQLite file; a server named to it is refused rather than ignored.
    expect(refused(['demo', '--db', url])).toMatch(/demo runs on a temporary SQLite file/);
    // A password in the URL is never printed back.
    const secret = url.replace('postgres://postgres@', 'postgres://postgres:hunter2@');
    const r = runCli(['backup', '--to', path.join(dir, 'b.db'), '--db', secret]);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('hunter2');
  }, 120_000);
});
