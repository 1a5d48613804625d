/**
 * `init --app-role NAME` (#15): the application's role on PostgreSQL can do what workers do, and
 * the database itself refuses it UPDATE, DELETE and TRUNCATE on the audit log, and dropping or
 * disabling the triggers that guard it: permissions hold even where a trigger could be removed.
 * On SQLite the flag is a usage error. Real processes, real cluster; skipped (with the reason)
 * where PostgreSQL is not installed.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runCli, runCliJson } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { pgAvailable, pgCluster, pgUnavailableReason } from '../helpers/pg-cluster.js';
import { openServices } from '../../src/services.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const reason = pgUnavailableReason();
if (reason) console.warn(`app-role: PostgreSQL tests skipped: ${reason}`);

/** The same database, logged in as `user`. */
const as = (url: string, user: string) => url.replace(/^postgres:\/\/[^@]*@/, `postgres://${user}@`);

/** Runs one statement as `user`; resolves with the error code it failed with, or 'ok'. */
async function attempt(url: string, user: string, sql: string): Promise<string> {
  const c = new pg.Client({ connectionString: as(url, user) });
  await c.connect();
  try {
    await c.query(sql);
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  } finally {
    await c.end();
  }
}

const PERMISSION_DENIED = '42501';
const MUST_BE_OWNER = '42501';

describe('init --app-role on SQLite', () => {
  it('is a usage error: exit 2, one line, no file created', () => {
    const file = path.join(tempDir(), 'pipeline.db');
    const r = runCli(['init', '--db', file, '--app-role', 'ap_app']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe('agentic-pipeline: --app-role applies to PostgreSQL only');
    expect(fs.existsSync(file)).toBe(false);
  });
});

describe.skipIf(!pgAvailable())('init --app-role on PostgreSQL', () => {
  it('creates a NOLOGIN role; a login role in it runs a worker, and is refused UPDATE, DELETE, TRUNCATE on audit', async () => {
    const cluster = pgCluster();
    const url = await cluster.createDatabase();
    const r = runCliJson<Doc>(['init', '--db', url, '--app-role', 'ap_app']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc.app_role.created).toBe(true);
    expect(r.doc.app_role.login).toBe(false);
    expect(r.doc.app_role.tables.audit).toEqual(['SELECT', 'INSERT']);
    // Idempotent: a second run (after an upgrade) resets the same grants.
    const again = runCliJson<Doc>(['init', '--db', url, '--app-role', 'ap_app']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.doc.app_role.created).toBe(false);
    // The role itself cannot log in; the hosts' login roles join it.
    await cluster.admin('CREATE ROLE ap_worker1 LOGIN');
    await cluster.admin('GRANT ap_app TO ap_worker1');
    await expect(attempt(url, 'ap_app', 'SELECT 1')).rejects.toThrow(/not permitted to log in/);

    // A worker process logged in as ap_worker1 drains books queued on the server.
    const worker = as(url, 'ap_worker1');
    const dir = tempDir();
    const s = await openServices(worker);
    try {
      for (let i = 0; i < 3; i++) {
        const file = path.join(dir, `book-${i}.txt`);
        fs.writeFileSync(file, `Chapter One\n\n${`Words of book ${i}. `.repeat(60)}\n\nChapter Two\n\n${'More words. '.repeat(40)}\n`);
        await s.engine.pipelines.insert({ source_path: file, actor: 'human:tester' });
      }
      const w = runCli(['worker', '--db', worker, '--drain']);
      expect(w.code, w.stderr).toBe(0);
      const counts = await s.engine.pipelines.countsByState();
      expect(counts.detected ?? 0).toBe(0);
      // Appending and verifying the audit log work for it.
      await s.engine.audit.append({ action: 'PRIORITY_CHANGED', actor: 'human:tester', before: 5, after: 4 });
      const verify = runCli(['audit', '--verify', '--db', worker]);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    } finally {
      await s.engine.close();
    }

    // What the role may not do, refused by the server's permissions (not only by triggers).
    for (const sql of [
      `UPDATE audit SET reason = 'rewritten'`,
      'DELETE FROM audit',
      'TRUNCATE audit',
      'TRUNCATE pipelines',
      'DELETE FROM audit_deletions',
      `UPDATE audit_gate SET open = 1`,
      `INSERT INTO audit_deletions (id, hash, by_retention) VALUES (999999, 'x', 1)`,
    ]) {
      expect(await attempt(url, 'ap_worker1', sql), sql).toBe(PERMISSION_DENIED);
    }
    for (const sql of ['ALTER TABLE audit DISABLE TRIGGER audit_no_update', 'DROP TRIGGER audit_no_delete ON audit', 'DROP TABLE audit']) {
      expect(await attempt(url, 'ap_worker1', sql), sql).toBe(MUST_BE_OWNER);
    }
    // The owner's triggers still refuse it too (the permissions are a second wall, not the only one).
    expect(await attempt(url, 'postgres', `UPDATE audit SET reason = 'rewritten'`)).toBe('P0001');

    // Nor can it run migrate-to into a database (that switches triggers off): one line, exit 2.
    const target = await cluster.createDatabase();
    expect(runCli(['init', '--db', target, '--app-role', 'ap_app']).code).toBe(0);
    const sqliteFile = path.join(tempDir(), 'source.db');
    expect(runCli(['init', '--db', sqliteFile]).code).toBe(0);
    const m = runCli(['migrate-to', as(target, 'ap_worker1'), '--db', sqliteFile]);
    expect(m.code, m.stderr).toBe(2);
    expect(m.stderr.trim().split('\n')).toHaveLength(1);
    expect(m.stderr).toMatch(/must run as the owner of the tables.*not as ap_worker1/);
  }, 120_000);

  it('grants an existing login role as it is (login kept), which can then connect directly', async () => {
    const cluster = pgCluster();
    const url = await cluster.createDatabase();
    await cluster.admin('CREATE ROLE ap_login LOGIN');
    const r = runCliJson<Doc>(['init', '--db', url, '--app-role', 'ap_login']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc.app_role).toMatchObject({ role: 'ap_login', created: false, login: true });
    const s = await openServices(as(url, 'ap_login'));
    try {
      const p = await s.engine.pipelines.insert({ source_path: '/library/a.txt', actor: 'human:tester' });
      expect((await s.engine.history.forPipeline(p.id)).map((h) => h.to_state)).toEqual(['detected']);
    } finally {
      await s.engine.close();
    }
    expect(await attempt(url, 'ap_login', 'DELETE FROM audit')).toBe(PERMISSION_DENIED);
  }, 60_000);

  it('refuses a superuser, the owner, or a malformed name: exit 2, one line', async () => {
    const cluster = pgCluster();
    const url = await cluster.createDatabase();
    expect(runCli(['init', '--db', url]).code).toBe(0);
    for (const role of ['postgres', 'bad;name', '']) {
      const r = runCli(['init', '--db', url, '--app-role', role]);
      expect(r.code, `${role}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
    }
    // A role that inherits the owner's rights could drop the triggers: refused.
    await cluster.admin('CREATE ROLE ap_owner_member LOGIN IN ROLE postgres');
    const member = runCli(['init', '--db', url, '--app-role', 'ap_owner_member']);
    expect(member.code, member.stderr).toBe(2);
    expect(member.stderr).toMatch(/owns the tables|superuser/);
  }, 60_000);
});
