/**
 * Each way a PostgreSQL location can be wrong (#15 acceptance): a wrong password, a database of
 * a newer schema, a typo in the URL. Every one is one clear line on stderr, exit 2, nothing on
 * stdout, and nothing written to the server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { pgAvailable, pgCluster, pgUnavailableReason } from '../helpers/pg-cluster.js';

function oneLine(r: { code: number | null; stdout: string; stderr: string }): string {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  return lines[0]!;
}

describe.skipIf(!pgAvailable())('bad PostgreSQL locations on the command line', () => {
  if (!pgAvailable()) it.skip(`PostgreSQL engine skipped: ${pgUnavailableReason()}`, () => undefined);

  it('a wrong password names the user and hides the password', async () => {
    const cluster = pgCluster();
    const url = await cluster.createDatabase();
    await cluster.admin(`CREATE ROLE pw_user LOGIN PASSWORD 'right-one'`);
    // This cluster trusts its socket; make it ask this one role for a password.
    const hba = path.join(path.dirname(cluster.socketDir), 'data', 'pg_hba.conf');
    fs.writeFileSync(hba, `local all pw_user scram-sha-256\n` + fs.readFileSync(hba, 'utf8'));
    await cluster.admin('SELECT pg_reload_conf()');
    const wrong = url.replace('postgres://postgres@', 'postgres://pw_user:wrong-one@');
    const line = oneLine(runCli(['health', '--db', wrong]));
    expect(line).toMatch(/password/i);
    expect(line).toContain('pw_user');
    expect(line).not.toContain('wrong-one');
    // The right password gets in (the refusal was the password, not the role or the server).
    const right = url.replace('postgres://postgres@', 'postgres://pw_user:right-one@');
    await cluster.admin(`GRANT ALL ON DATABASE ${/@\/([^?]+)/.exec(url)![1]} TO pw_user`);
    const ok = runCli(['init', '--db', right]);
    expect(ok.stderr).not.toMatch(/password/i);
  });

  it('a database of a newer schema is refused before anything is written', async () => {
    const cluster = pgCluster();
    const url = await cluster.createDatabase();
    expect(runCli(['init', '--db', url]).code).toBe(0);
    const { default: pg } = await import('pg');
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query('UPDATE schema_version SET version = version + 5');
      const before = (await c.query('SELECT count(*)::int AS n FROM pipelines')).rows[0].n as number;
      const line = oneLine(runCli(['health', '--db', url]));
      expect(line).toMatch(/newer/i);
      expect(oneLine(runCli(['init', '--db', url]))).toMatch(/newer/i);
      expect((await c.query('SELECT count(*)::int AS n FROM pipelines')).rows[0].n).toBe(before);
    } finally {
      await c.end();
    }
  });

  it('typos in the URL: a bad port, an unknown host, a missing database name', async () => {
    const cluster = pgCluster();
    for (const db of [
      'postgres://me@localhost:54x2/books',
      'postgres://me@no-such-host.invalid/books',
      `postgres://postgres@/?host=${encodeURIComponent(cluster.socketDir)}`,
    ]) {
      const line = oneLine(runCli(['health', '--db', db]));
      expect(line.length).toBeLessThan(300);
    }
  });
});
