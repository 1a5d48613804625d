/**
 * `migrate-to postgres://…` through the real CLI (#15): a SQLite file built by real work (books
 * queued, processed by a worker process, approved, rejected, completed with embeddings) is
 * copied to a PostgreSQL database on this file's throwaway cluster, and the server then holds
 * the same books, history, audit chain and library, `audit --verify` passes there, and a new
 * entry chains onto the copied ones. Refusals are one line, exit 2, nothing written; a copy
 * killed half-way leaves the target empty and can be run again. Skipped (with the reason) where
 * PostgreSQL is not installed; CI installs it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliJson, spawnCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { pgAvailable, pgCluster, pgUnavailableReason } from '../helpers/pg-cluster.js';
import { createServices } from '../../src/services.js';
import { openEngine } from '../../src/db/open.js';
import type { PgEngine } from '../../src/db/postgres/engine.js';
import { PIPELINE_COLUMNS } from '../../src/db/pipeline-row.js';
import type { PipelineRow } from '../../src/db/pipeline-row.js';
import Database from 'better-sqlite3';
import { testClock } from '../db/helpers.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const reason = pgUnavailableReason();
if (reason) console.warn(`migrate-to: PostgreSQL tests skipped: ${reason}`);

/** The columns each side must hold identically (SQLite's own bookkeeping columns aside). */
const COMPARED: Record<string, { columns: string; order: string }> = {
  pipelines: { columns: `${PIPELINE_COLUMNS}, last_audit_id`, order: 'id' },
  state_history: { columns: 'id, pipeline_id, from_state, to_state, at, duration_ms, actor, details', order: 'id' },
  audit: {
    columns:
      'id, at, action, actor, pipeline_id, batch_id, reason, before_value, after_value, filter_json, ids_json, count, confidence, details_json, prev_hash, hash, pipeline_prev_id, hash_version',
    order: 'id',
  },
  audit_deletions: { columns: 'id, prev_id, prev_hash, hash, by_retention, action, at, pruned_by', order: 'id' },
  workers: { columns: 'id, pid, host, started_at, heartbeat_at, stopped_at, concurrency, info_json', order: 'id' },
  state_stats: { columns: 'state, samples, median_ms, p95_ms, max_ms, computed_at', order: 'state' },
  books: { columns: 'pipeline_id, title, author, language, format, book_type, strategy, chapter_count, chunk_count, word_count, created_at', order: 'pipeline_id' },
  chapters: { columns: 'id, pipeline_id, ord, title, word_count', order: 'id' },
  chunks: { columns: 'id, pipeline_id, chapter_id, ord, text, word_count, embedding', order: 'id' },
};

function sqliteRows(file: string, table: string): Record<string, unknown>[] {
  const db = new Database(file, { readonly: true });
  try {
    const { columns, order } = COMPARED[table]!;
    return db.prepare(`SELECT ${columns} FROM ${table} ORDER BY ${order}`).all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

async function pgRows(engine: PgEngine, table: string): Promise<Record<string, unknown>[]> {
  const { columns, order } = COMPARED[table]!;
  return (await engine.pool.query(`SELECT ${columns} FROM ${table} ORDER BY ${order}`)).rows as Record<string, unknown>[];
}

async function pgCount(url: string, table: string): Promise<number> {
  const e = (await openEngine(url)) as PgEngine;
  try {
    return Number((await e.pool.query(`SELECT COUNT(*) AS n FROM ${table}`)).rows[0].n);
  } finally {
    await e.close();
  }
}

/** Whether the database has any of our schema (a refusal before connecting leaves none). */
async function hasSchema(url: string): Promise<boolean> {
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return Boolean((await c.query(`SELECT to_regclass('schema_version') AS t`)).rows[0].t);
  } finally {
    await c.end();
  }
}

function book(dir: string, name: string, words: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `Chapter One\n\n${(words + ' ').repeat(60)}\n\nChapter Two\n\n${'Further plain words follow here. '.repeat(50)}\n`);
  return file;
}

/** A file with real history: queued, processed by a worker process, approved, rejected, embedded. */
function buildSource(): { file: string; ids: string[] } {
  const dir = tempDir('ap-mig-');
  const lib = path.join(dir, 'library');
  fs.mkdirSync(lib);
  for (let i = 0; i < 6; i++) book(lib, `book-${i}.txt`, `A plain sentence about subject number ${i}.`);
  // A second copy of one book: a duplicate row pointing at its original (duplicate_of).
  fs.copyFileSync(path.join(lib, 'book-0.txt'), path.join(lib, 'copy-of-book-0.txt'));
  const file = path.join(dir, 'pipeline.db');
  expect(runCli(['init', '--db', file]).code).toBe(0);
  const queued = runCliJson<Doc>(['batch-queue', lib, '--db', file]);
  expect(queued.code, queued.stderr).toBe(0);
  const w1 = runCli(['worker', '--db', file, '--drain', '--concurrency', '2']);
  expect(w1.code, w1.stderr).toBe(0);
  const list = runCliJson<Doc>(['list', '--db', file, '--limit', '100']);
  const rows = list.doc.pipelines as Doc[];
  const pending = rows.filter((r) => r.state === 'pending_approval').map((r) => r.id as string);
  expect(pending.length).toBeGreaterThanOrEqual(2);
  expect(runCli(['approve', pending[0]!, '--db', file]).code).toBe(0);
  expect(runCli(['reject', pending[1]!, '--reason', 'not for this library', '--db', file]).code).toBe(0);
  // The approved book is embedded and completes: library rows with embedding bytes.
  const w2 = runCli(['worker', '--db', file, '--drain']);
  expect(w2.code, w2.stderr).toBe(0);
  return { file, ids: rows.map((r) => r.id as string) };
}

describe.skipIf(!pgAvailable())('migrate-to postgres://…', () => {
  let source: { file: string; ids: string[] };
  beforeAll(() => {
    source = buildSource();
  }, 120_000);

  it('copies books, history, the audit chain and the library; both sides verify; a new entry chains on', async () => {
    const url = await pgCluster().createDatabase();
    const r = runCliJson<Doc>(['migrate-to', url, '--db', source.file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc.ok).toBe(true);
    expect(r.doc.committed).toBe(true);
    for (const t of r.doc.tables as Doc[]) expect(t.target, t.table).toBe(t.source);
    expect(r.doc.audit.same_head).toBe(true);
    // The source really had all of it.
    const sourceCount = (t: string) => (r.doc.tables as Doc[]).find((x) => x.table === t)!.source as number;
    for (const t of ['pipelines', 'state_history', 'audit', 'books', 'chapters', 'chunks', 'workers']) expect(sourceCount(t), t).toBeGreaterThan(0);

    const human = runCli(['audit', '--verify', '--db', url]);
    expect(human.code, human.stdout + human.stderr).toBe(0);

    const e = (await openEngine(url)) as PgEngine;
    try {
      // Row for row, every column (embedding bytes included).
      for (const table of Object.keys(COMPARED)) expect(await pgRows(e, table), table).toEqual(sqliteRows(source.file, table));
      const embedded = sqliteRows(source.file, 'chunks').filter((c) => c.embedding !== null);
      expect(embedded.length).toBeGreaterThan(0);
      expect(sqliteRows(source.file, 'pipelines').filter((p) => (p as unknown as PipelineRow).duplicate_of !== null)).toHaveLength(1);
      // Insertion order (the duplicate rule's tie-break) is SQLite's.
      const seq = (await e.pool.query('SELECT id FROM pipelines ORDER BY queue_seq')).rows.map((x) => x.id);
      const db = new Database(source.file, { readonly: true });
      expect(seq).toEqual(db.prepare('SELECT id FROM pipelines ORDER BY rowid').pluck().all());
      db.close();

      // Counts by state as each engine serves them; `status --json` the same through the CLI.
      const sqliteServices = createServices(source.file, { readonly: true });
      try {
        expect(await e.pipelines.countsByState()).toEqual(await sqliteServices.engine.pipelines.countsByState());
      } finally {
        sqliteServices.close();
      }
      for (const id of source.ids) {
        const onFile = runCliJson<Doc>(['status', id, '--db', source.file]);
        const onServer = runCliJson<Doc>(['status', id, '--db', url]);
        expect(onServer.code, onServer.stderr).toBe(0);
        expect(onServer.doc).toEqual(onFile.doc);
      }

      // A new entry after the move: it links to the book's copied trail and to the copied head.
      const head = await e.audit.head();
      const bookId = source.ids[0]!;
      const before = (await e.pool.query('SELECT last_audit_id FROM pipelines WHERE id = $1', [bookId])).rows[0].last_audit_id;
      expect(before).not.toBeNull();
      const id = await e.audit.append({ action: 'PRIORITY_CHANGED', actor: 'human:tester', pipeline_id: bookId, before: 5, after: 3 });
      expect(id).toBe(head.id + 1);
      const row = await e.audit.get(id);
      expect(row!.prev_hash).toBe(head.hash);
      expect(row!.pipeline_prev_id).toBe(before);
      // New history rows take ids after the copied ones.
      const maxHistory = Math.max(...sqliteRows(source.file, 'state_history').map((h) => h.id as number));
      const inserted = await e.pipelines.insert({ source_path: '/tmp/after-the-move.txt', actor: 'human:tester' });
      const h = await e.history.forPipeline(inserted.id);
      expect(h[0]!.id).toBeGreaterThan(maxHistory);
    } finally {
      await e.close();
    }
    const after = runCliJson<Doc>(['audit', '--verify', '--db', url]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.doc.intact).toBe(true);
    expect(after.doc.checked).toBe(sourceCount('audit') + 1);
  }, 120_000);

  it('refuses a target that already holds books: exit 2, one line, nothing changed', async () => {
    const url = await pgCluster().createDatabase();
    expect(runCli(['migrate-to', url, '--db', source.file]).code).toBe(0);
    const before = await pgCount(url, 'audit');
    const again = runCli(['migrate-to', url, '--db', source.file]);
    expect(again.code).toBe(2);
    expect(again.stdout).toBe('');
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toMatch(/already holds pipelines.*empty database/);
    expect(await pgCount(url, 'audit')).toBe(before);
  }, 60_000);

  it('a missing source, a file that is not a database, or a bad URL: exit 2, one line, nothing written', async () => {
    const cluster = pgCluster();
    const url = await cluster.createDatabase();
    const dir = tempDir();
    const text = path.join(dir, 'notes.db');
    fs.writeFileSync(text, 'not a database at all, just words\n'.repeat(20));
    const cases: string[][] = [
      ['migrate-to', url, '--db', path.join(dir, 'missing.db')],
      ['migrate-to', url, '--db', text],
      ['migrate-to', 'postgres://tester@127.0.0.1:1/pipeline', '--db', source.file],
      ['migrate-to', 'postgres://tester@localhost:notaport/x', '--db', source.file],
      ['migrate-to', cluster.url('no_such_database'), '--db', source.file],
      ['migrate-to', '/tmp/other.db', '--db', source.file],
      ['migrate-to', '--db', source.file],
    ];
    for (const args of cases) {
      const r = runCli(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
    }
    expect(fs.existsSync(path.join(dir, 'missing.db'))).toBe(false);
    expect(await hasSchema(url)).toBe(false);
  }, 60_000);

  it('refuses while a worker is alive on the file ("stop the workers first"); --force copies anyway', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'busy.db');
    fs.copyFileSync(source.file, file);
    const s = createServices(file);
    try {
      await s.engine.queue.register('worker-alive', { concurrency: 1, leaseMs: 600_000 });
    } finally {
      s.close();
    }
    const url = await pgCluster().createDatabase();
    const r = runCli(['migrate-to', url, '--db', file]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/worker-alive running.*stop the workers first/);
    expect(await hasSchema(url)).toBe(false);

    const forced = runCliJson<Doc>(['migrate-to', url, '--db', file, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.doc.forced.running_workers).toEqual(['worker-alive']);
  }, 60_000);

  it('a file trimmed by retention moves with its deletion records; the chain head is the last id ever given out', async () => {
    const DAY = 86_400_000;
    const file = path.join(tempDir(), 'trimmed.db');
    const clock = testClock(Date.now() - 400 * DAY);
    const s = createServices(file, { create: true, clock, opsConfig: { retention: { days: { PRIORITY_CHANGED: 30 } } } });
    try {
      const p = s.pipelines.insert({ source_path: '/library/kept.txt', actor: 'human:tester' });
      const write = (action: string) => s.db.transaction(() => s.audit.append({ action, actor: 'human:tester', pipeline_id: p.id }))();
      write('QUEUED');
      write('PRIORITY_CHANGED');
      write('PRIORITY_CHANGED');
      write('QUEUED');
      write('PRIORITY_CHANGED'); // the newest before retention's own entry: removed from the middle and near the end
      clock.set(Date.now());
      expect((await s.ops.retention.run()).total).toBe(3);
    } finally {
      s.close();
    }
    const url = await pgCluster().createDatabase();
    const r = runCliJson<Doc>(['migrate-to', url, '--db', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc.audit.source.intact).toBe(true);
    // The same walk on both sides: retention's removals are checked on PostgreSQL too.
    expect(r.doc.audit.target.intact).toBe(true);
    const e = (await openEngine(url)) as PgEngine;
    try {
      expect(await e.audit.verify()).toMatchObject({ intact: true, retention_gaps: 2, bridged_rows: 3, prunes: 1, gaps: [] });
      expect(await pgRows(e, 'audit_deletions')).toEqual(sqliteRows(file, 'audit_deletions'));
      const db = new Database(file, { readonly: true });
      const seq = db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'audit'`).pluck().get();
      db.close();
      expect((await e.pool.query('SELECT pos FROM audit_chain_head')).rows[0].pos).toBe(seq);
      const next = await e.audit.append({ action: 'QUEUED', actor: 'human:tester' });
      expect(next).toBe((seq as number) + 1);
    } finally {
      await e.close();
    }
  }, 60_000);

  it('a chain that does not verify on the file is not committed (exit 1, target empty): a keyed trail without its key, an edited entry', async () => {
    const key = { AGENTIC_PIPELINE_AUDIT_KEY: 'k'.repeat(32) };
    const dir = tempDir();
    const lib = path.join(dir, 'library');
    fs.mkdirSync(lib);
    book(lib, 'keyed.txt', 'Words of a keyed book.');
    const file = path.join(dir, 'keyed.db');
    expect(runCli(['init', '--db', file], { env: key }).code).toBe(0);
    expect(runCli(['batch-queue', lib, '--db', file], { env: key }).code).toBe(0);

    const url = await pgCluster().createDatabase();
    const without = runCliJson<Doc>(['migrate-to', url, '--db', file]);
    expect(without.code, without.stderr).toBe(1);
    expect(without.doc).toMatchObject({ ok: false, committed: false });
    expect(without.stderr).toMatch(/cannot be checked without the audit key/);
    expect(await pgCount(url, 'audit')).toBe(0);
    expect(await pgCount(url, 'pipelines')).toBe(0);

    // With the key both chains verify, and a keyed entry appended on the server verifies too.
    const withKey = runCliJson<Doc>(['migrate-to', url, '--db', file], { env: key });
    expect(withKey.code, withKey.stderr).toBe(0);
    expect(runCli(['audit', '--verify', '--db', url], { env: key }).code).toBe(0);

    // An entry edited in the file (past its trigger, as an intruder would).
    const edited = path.join(dir, 'edited.db');
    fs.copyFileSync(file, edited);
    const raw = new Database(edited);
    raw.exec('DROP TRIGGER audit_no_update');
    raw.exec(`UPDATE audit SET reason = 'rewritten' WHERE id = 1`);
    raw.close();
    const target = await pgCluster().createDatabase();
    const r = runCliJson<Doc>(['migrate-to', target, '--db', edited], { env: key });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/the file's audit chain does not verify/);
    expect(await pgCount(target, 'audit')).toBe(0);
  }, 60_000);

  it('a copy killed half-way leaves the target empty, and running it again succeeds', async () => {
    // Big enough that the copy takes several statements per table.
    const file = path.join(tempDir(), 'big.db');
    const s = createServices(file, { create: true });
    try {
      s.db.transaction(() => {
        for (let i = 0; i < 40_000; i++) {
          const p = s.pipelines.insert({ source_path: `/library/book-${i}.txt`, actor: 'human:tester' });
          s.audit.append({ action: 'QUEUED', actor: 'human:tester', pipeline_id: p.id });
        }
      })();
    } finally {
      s.close();
    }
    const url = await pgCluster().createDatabase();
    const child = spawnCli(['migrate-to', url, '--db', file]);
    let stderr = '';
    const killed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('exit', (code, signal) => resolve({ code, signal }));
    });
    // Killed right after its first statement of rows (the progress line says it ran).
    await new Promise<void>((resolve) => {
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/pipelines: [\d,]+ of 40,000 rows copied/.test(stderr)) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    expect(await killed).toEqual({ code: null, signal: 'SIGKILL' });
    for (const t of ['pipelines', 'state_history', 'audit', 'pipeline_counts']) expect(await pgCount(url, t), t).toBe(0);

    const again = runCliJson<Doc>(['migrate-to', url, '--db', file]);
    expect(again.code, again.stderr).toBe(0);
    expect(await pgCount(url, 'pipelines')).toBe(40_000);
    expect(await pgCount(url, 'audit')).toBe(40_000);
    expect(again.doc.rows_per_second).toBeGreaterThan(0);
    console.log(`migrate-to: ${again.doc.rows} rows in ${again.doc.copy_ms} ms (${again.doc.rows_per_second} rows/s)`);
  }, 180_000);
});
