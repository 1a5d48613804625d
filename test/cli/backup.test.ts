/**
 * backup and restore through the real CLI, on real files, with real worker processes: a backup
 * taken while a worker runs verifies and equals the source at its moment; a damaged source
 * gives a backup that does not verify (exit 3, FILE untouched); restore round-trips, keeps the
 * replaced file, refuses a database a live worker uses unless --force, refuses a backup that
 * does not verify, and leaves books that were leased in the backup claimable again, audited.
 */
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { initDb, runCli, runCliJson, spawnCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { writeLibrary } from '../fixtures/books.js';
import { collect, exitOf, waitFor, withDb } from '../worker/support.js';
import { dumpAll } from '../db/helpers.js';
import { moveTo, TO_COMPLETE, TO_PENDING } from './setup.js';

interface BackupDoc {
  file: string;
  ok: boolean;
  unverified_file: string | null;
  source_snapshot: { counts: Record<string, number>; audit_head: { id: number; hash: string } | null };
  matches_source: { counts: boolean; audit_head: boolean };
  verification: { integrity: { ok: boolean }; audit: { intact: boolean; checked: number }; counts: { ok: boolean; by_state: Record<string, number> } };
  problems: string[];
}

interface RestoreDoc {
  db: string;
  ok: boolean;
  replaced_file: string | null;
  released: { id: string; from: string; lease_owner: string | null }[];
}

/** A library of small books queued into a fresh database. */
function queued(n: number, seed: number): { dir: string; db: string } {
  const dir = tempDir('ap-backup-');
  writeLibrary(path.join(dir, 'lib'), n, { seed, chapters: 2, wordsPerChapter: 120 });
  const db = initDb(path.join(dir, 'pipeline.db'));
  const q = runCli(['batch-queue', path.join(dir, 'lib'), '--db', db]);
  expect(q.code, q.stderr).toBe(0);
  return { dir, db };
}

const countsByState = (file: string) =>
  withDb(file, (d) =>
    Object.fromEntries((d.prepare('SELECT state, COUNT(*) AS n FROM pipelines GROUP BY state').all() as { state: string; n: number }[]).map((r) => [r.state, r.n])),
  );
const auditHead = (file: string) => withDb(file, (d) => d.prepare('SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1').get() as { id: number; hash: string });
const stateOf = (file: string, id: string) => withDb(file, (d) => d.prepare('SELECT state, lease_owner FROM pipelines WHERE id = ?').get(id) as { state: string; lease_owner: string | null });
const leasedBook = (file: string, state: string) =>
  withDb(file, (d) => d.prepare('SELECT id FROM pipelines WHERE state = ? AND lease_owner IS NOT NULL LIMIT 1').get(state) as { id: string } | undefined);
const liveWorkerRow = (file: string) =>
  withDb(file, (d) => d.prepare('SELECT id FROM workers WHERE stopped_at IS NULL LIMIT 1').get() as { id: string } | undefined);

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exitOf(child);
  child.kill(signal);
  await done;
}

describe('backup --to FILE', () => {
  it('taken while a worker processes books: verifies, and equals the source at the copy’s moment', { timeout: 180_000 }, async () => {
    const { dir, db } = queued(120, 3);
    const worker = spawnCli(['worker', '--db', db, '--poll-interval', '0.05', '--concurrency', '2']);
    const io = collect(worker);
    try {
      // Mid-run: some books done, some still queued, some leased.
      await waitFor(() => {
        const c = countsByState(db);
        return (c.pending_approval ?? 0) + (c.rejected ?? 0) >= 5 && (c.detected ?? 0) > 0;
      }, 'the worker to be part-way through the library', 120_000);
      const file = path.join(dir, 'backup.db');
      const r = runCliJson<BackupDoc>(['backup', '--db', db, '--to', file]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.doc.ok).toBe(true);
      expect(r.doc.problems).toEqual([]);
      expect(r.doc.verification.integrity.ok).toBe(true);
      expect(r.doc.verification.audit.intact).toBe(true);
      expect(r.doc.verification.counts.ok).toBe(true);
      expect(r.doc.matches_source).toEqual({ counts: true, audit_head: true });
      // Checked here independently: the copy's rows recount to the source's aggregate at the copy's moment.
      expect(countsByState(file)).toEqual(r.doc.source_snapshot.counts);
      expect(Object.values(r.doc.source_snapshot.counts).reduce((a, b) => a + b, 0)).toBe(120);
      expect(auditHead(file)).toEqual(r.doc.source_snapshot.audit_head);
      // One self-contained file: no -wal/-shm beside it, rollback journal.
      expect(fs.readdirSync(dir).filter((f) => f.startsWith('backup.db'))).toEqual(['backup.db']);
      expect(withDb(file, (d) => d.pragma('journal_mode', { simple: true }))).toBe('delete');
      // The worker was not held up: it goes on past the copy's moment (stage moves write history rows).
      const at = withDb(file, (d) => d.prepare('SELECT MAX(id) FROM state_history').pluck().get() as number);
      // (One more book, in case it finished the library meanwhile.)
      fs.writeFileSync(path.join(dir, 'one-more.txt'), 'One more book\n\nwith a few words in it');
      expect(runCli(['process', path.join(dir, 'one-more.txt'), '--db', db]).code).toBe(0);
      await waitFor(() => withDb(db, (d) => (d.prepare('SELECT MAX(id) FROM state_history').pluck().get() as number) > at), 'the worker to keep writing after the backup', 120_000);
      expect(worker.exitCode, io.stderr().slice(-2000)).toBeNull();
    } finally {
      await stop(worker);
    }
  });

  it('refuses to replace an existing FILE without --force (exit 2, FILE unchanged); with --force replaces it', () => {
    const { dir, db } = queued(3, 4);
    const file = path.join(dir, 'existing.db');
    fs.writeFileSync(file, 'yesterday’s backup');
    const r = runCli(['backup', '--db', db, '--to', file]);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd()).toBe(`agentic-pipeline: --to ${file}: already exists; pass --force to replace it`);
    expect(fs.readFileSync(file, 'utf8')).toBe('yesterday’s backup');
    const f = runCliJson<BackupDoc>(['backup', '--db', db, '--to', file, '--force']);
    expect(f.code, f.stderr).toBe(0);
    expect(countsByState(file)).toEqual({ detected: 3 });
    expect(runCli(['backup', '--db', db]).stderr).toMatch(/^agentic-pipeline: backup needs --to FILE/);
    expect(runCli(['backup', '--db', db, '--to', path.join(dir, 'no-such-folder', 'b.db')]).code).toBe(2);
  });

  it('a source whose counts were skewed behind the triggers gives a copy that does not verify: exit 3, FILE not written', () => {
    const { dir, db } = queued(4, 5);
    const raw = new Database(db);
    raw.prepare("UPDATE pipeline_counts SET n = n + 1 WHERE state = 'detected'").run();
    raw.close();
    const file = path.join(dir, 'skewed.db');
    const r = runCliJson<BackupDoc>(['backup', '--db', db, '--to', file]);
    expect(r.code).toBe(3);
    expect(r.doc.ok).toBe(false);
    expect(r.doc.verification.counts.ok).toBe(false);
    expect(r.doc.matches_source.counts).toBe(false);
    expect(r.stderr).toMatch(/backup: the counts by state \(detected 4\) differ from the copy's own aggregate \(detected 5\)/);
    expect(fs.existsSync(file)).toBe(false);
    expect(r.doc.unverified_file).toBe(`${file}.unverified`);
    expect(fs.existsSync(`${file}.unverified`)).toBe(true);
  });
});

describe('restore --from FILE', () => {
  it('round-trips: same counts, same audit head, audit --verify intact; the replaced file is kept aside', () => {
    const { dir, db } = queued(6, 6);
    const ids = withDb(db, (d) => d.prepare('SELECT id FROM pipelines ORDER BY id').pluck().all() as string[]);
    moveTo(db, ids[0]!, TO_PENDING);
    moveTo(db, ids[1]!, TO_COMPLETE);
    moveTo(db, ids[2]!, ['hashing', 'failed']);
    const file = path.join(dir, 'b.db');
    expect(runCli(['backup', '--db', db, '--to', file]).code).toBe(0);
    const counts = countsByState(db);
    const head = auditHead(db);
    const backupBytes = fs.readFileSync(file);

    // Into a new path.
    const fresh = path.join(dir, 'fresh.db');
    const r = runCliJson<RestoreDoc>(['restore', '--from', file, '--db', fresh]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc).toMatchObject({ ok: true, db: fresh, replaced_file: null, released: [] });
    expect(countsByState(fresh)).toEqual(counts);
    expect(auditHead(fresh)).toEqual(head);
    const v = runCli(['audit', '--verify', '--db', fresh]);
    expect(v.code, v.stdout).toBe(0);
    expect(v.stdout).toMatch(/intact/);

    // Over the database it came from, after it moved on: the later book goes, and is kept aside.
    const extra = path.join(dir, 'later.txt');
    fs.writeFileSync(extra, 'A later book\n\nwith some words in it');
    expect(runCli(['process', extra, '--db', db]).code).toBe(0);
    const after = dumpAll(db);
    const o = runCliJson<RestoreDoc>(['restore', '--from', file, '--db', db]);
    expect(o.code, o.stderr).toBe(0);
    // No WAL of the replaced file is left beside the restored one (it would be replayed into it).
    expect(fs.existsSync(`${db}-wal`)).toBe(false);
    expect(countsByState(db)).toEqual(counts);
    expect(auditHead(db)).toEqual(head);
    expect(o.doc.replaced_file).toMatch(new RegExp(`^${db.replace(/[.]/g, '\\.')}\\.replaced-`));
    expect(dumpAll(o.doc.replaced_file!)).toEqual(after);
    expect(runCli(['audit', '--verify', '--db', db]).code).toBe(0);
    // The backup itself is never changed by a restore.
    expect(fs.readFileSync(file).equals(backupBytes)).toBe(true);
  });

  it('a stale -wal left beside the path (its database deleted) is not replayed into the restored file', () => {
    const { dir, db } = queued(3, 10);
    const file = path.join(dir, 'b.db');
    expect(runCli(['backup', '--db', db, '--to', file]).code).toBe(0);
    // Another database's WAL with committed frames in it, left where the restored file will go.
    const other = path.join(dir, 'other.db');
    const o = new Database(other);
    o.pragma('journal_mode = WAL');
    o.pragma('wal_autocheckpoint = 0');
    o.exec("CREATE TABLE pipelines (id TEXT, state TEXT); INSERT INTO pipelines VALUES ('x', 'complete')");
    const target = path.join(dir, 'restored.db');
    fs.copyFileSync(`${other}-wal`, `${target}-wal`);
    o.close();
    expect(fs.statSync(`${target}-wal`).size).toBeGreaterThan(0);
    const r = runCli(['restore', '--from', file, '--db', target]);
    expect(r.code, r.stderr).toBe(0);
    expect(countsByState(target)).toEqual({ detected: 3 });
    expect(withDb(target, (d) => d.pragma('integrity_check', { simple: true }))).toBe('ok');
    expect(runCli(['audit', '--verify', '--db', target]).code).toBe(0);
  });

  it('bad --from (missing, a text file, a folder, the database itself, none): exit 2, one line, nothing changes', () => {
    const { dir, db } = queued(2, 12);
    const text = path.join(dir, 'notes.txt');
    fs.writeFileSync(text, 'not a backup\n');
    const before = dumpAll(db);
    const listing = fs.readdirSync(dir).sort();
    const cases: [string[], RegExp][] = [
      [['--from', path.join(dir, 'missing.db')], /--from .*missing\.db: backup file not found$/],
      [['--from', text], /--from .*notes\.txt: is not an SQLite database/],
      [['--from', dir], /--from .*: is a directory, not a database file$/],
      [['--from', db], /--from .*pipeline\.db: is the database to restore into; give the backup file$/],
      [[], /restore needs --from FILE/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(['restore', ...args, '--db', db]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr.trimEnd()).toMatch(message);
    }
    expect(dumpAll(db)).toEqual(before);
    expect(fs.readdirSync(dir).sort()).toEqual(listing);
  });

  it('refuses a backup from a newer schema (exit 2): nothing is replaced', () => {
    const { dir, db } = queued(2, 11);
    const file = path.join(dir, 'b.db');
    expect(runCli(['backup', '--db', db, '--to', file]).code).toBe(0);
    const raw = new Database(file);
    raw.pragma('user_version = 99');
    raw.close();
    const before = dumpAll(db);
    const r = runCli(['restore', '--from', file, '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^agentic-pipeline: database schema 99 is newer than this version understands \(\d+\); upgrade agentic-pipeline$/m);
    expect(dumpAll(db)).toEqual(before);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.restoring-') || f.includes('.replaced-'))).toEqual([]);
  });

  it('refuses a backup that does not verify (exit 3): nothing is replaced', () => {
    const { dir, db } = queued(3, 7);
    const file = path.join(dir, 'b.db');
    expect(runCli(['backup', '--db', db, '--to', file]).code).toBe(0);
    const raw = new Database(file);
    raw.exec("DROP TRIGGER audit_no_update; UPDATE audit SET reason = 'edited' WHERE id = 1");
    raw.close();
    const before = dumpAll(db);
    const r = runCli(['restore', '--from', file, '--db', db]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/did NOT verify; nothing was restored/);
    expect(r.stderr).toMatch(/restore: the audit chain is broken: 1 entry no longer matches its hash/);
    expect(dumpAll(db)).toEqual(before);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.restoring-') || f.includes('.replaced-'))).toEqual([]);
  });

  it('refuses to overwrite a database a live worker uses (exit 2, unchanged); --force proceeds', { timeout: 120_000 }, async () => {
    const { dir, db } = queued(2, 8);
    const file = path.join(dir, 'b.db');
    expect(runCli(['backup', '--db', db, '--to', file]).code).toBe(0);
    const worker = spawnCli(['worker', '--db', db, '--poll-interval', '0.05'], { env: { AGENTIC_PIPELINE_TEST_STAGE_DELAY_MS: 'processing=120000' } });
    collect(worker);
    try {
      await waitFor(() => leasedBook(db, 'processing'), 'the worker to hold a book');
      const worker_ = liveWorkerRow(db)!;
      const before = withDb(db, (d) => d.prepare('SELECT id, state, version FROM pipelines ORDER BY id').all());
      const r = runCli(['restore', '--from', file, '--db', db]);
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`agentic-pipeline: --db ${db}: is in use by 1 live worker: ${worker_.id} (pid ${worker.pid}`);
      expect(r.stderr).toMatch(/stop it first, or pass --force/);
      expect(withDb(db, (d) => d.prepare('SELECT id, state, version FROM pipelines ORDER BY id').all())).toEqual(before);
      expect(fs.readdirSync(dir).filter((f) => f.includes('.restoring-') || f.includes('.replaced-'))).toEqual([]);

      const f = runCliJson<RestoreDoc>(['restore', '--from', file, '--db', db, '--force']);
      expect(f.code, f.stderr).toBe(0);
      expect(f.stderr).toMatch(/--force: worker .* was live/);
      expect(countsByState(db)).toEqual({ detected: 2 });
      expect(fs.existsSync(f.doc.replaced_file!)).toBe(true);
    } finally {
      await stop(worker, 'SIGKILL');
    }
  });

  it('books leased in the backup are claimable after restore, each released with an audit row by system:restore', { timeout: 180_000 }, async () => {
    const { dir, db } = queued(2, 9);
    const worker = spawnCli(['worker', '--db', db, '--poll-interval', '0.05'], { env: { AGENTIC_PIPELINE_TEST_STAGE_DELAY_MS: 'processing=120000' } });
    collect(worker);
    let held: string;
    const file = path.join(dir, 'b.db');
    try {
      held = (await waitFor(() => leasedBook(db, 'processing'), 'the worker to hold a book')).id;
      const b = runCli(['backup', '--db', db, '--to', file]);
      expect(b.code, b.stderr).toBe(0);
    } finally {
      await stop(worker, 'SIGKILL');
    }
    expect(stateOf(file, held).lease_owner).not.toBeNull();

    const restored = path.join(dir, 'restored.db');
    const r = runCliJson<RestoreDoc>(['restore', '--from', file, '--db', restored]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc.released.map((x) => x.id)).toContain(held);
    expect(stateOf(restored, held)).toEqual({ state: 'needs_retry', lease_owner: null });
    const audit = withDb(restored, (d) => d.prepare("SELECT action, actor FROM audit WHERE pipeline_id = ? ORDER BY id DESC LIMIT 1").get(held));
    expect(audit).toEqual({ action: 'STUCK_RECOVERED', actor: 'system:restore' });
    const hist = withDb(restored, (d) => d.prepare('SELECT from_state, to_state, actor FROM state_history WHERE pipeline_id = ? ORDER BY id DESC LIMIT 1').get(held));
    expect(hist).toEqual({ from_state: 'processing', to_state: 'needs_retry', actor: 'system:restore' });
    expect(runCli(['audit', '--verify', '--db', restored]).code).toBe(0);
    // The backup's worker is not working on this file: health does not count it as live.
    expect(liveWorkerRow(restored)).toBeUndefined();

    // Claimable: a worker on the restored database takes it and finishes it.
    const w = runCli(['worker', '--drain', '--db', restored, '--poll-interval', '0.05']);
    expect(w.code, w.stderr.slice(-2000)).toBe(0);
    expect(['pending_approval', 'rejected']).toContain(stateOf(restored, held).state);
  });
});
