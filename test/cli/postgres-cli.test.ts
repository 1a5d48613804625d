/**
 * `--db postgres://…` through the real CLI (#15, first doors): init migrates a server database,
 * a worker process drains books queued there, and each way the URL can be wrong is one line and
 * exit 2 with nothing written. Skipped (with the reason) where PostgreSQL is not installed; CI
 * installs it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { pgAvailable, pgCluster, pgUnavailableReason } from '../helpers/pg-cluster.js';
import { openServices } from '../../src/services.js';

const reason = pgUnavailableReason();
if (reason) console.warn(`postgres-cli: PostgreSQL tests skipped: ${reason}`);

describe.skipIf(!pgAvailable())('the CLI on PostgreSQL', () => {
  it('init creates the schema once; a worker process drains books queued on the server', async () => {
    const url = await pgCluster().createDatabase();
    const first = runCli(['init', '--db', url]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(runCli(['init', '--db', url]).code).toBe(0); // idempotent

    const dir = tempDir();
    const s = await openServices(url);
    try {
      for (let i = 0; i < 5; i++) {
        const file = path.join(dir, `book-${i}.txt`);
        fs.writeFileSync(file, `Chapter One\n\n${'A plain sentence about book ' + i + '. '.repeat(40)}\n\nChapter Two\n\n${'More words here. '.repeat(40)}\n`);
        await s.engine.pipelines.insert({ source_path: file, actor: 'human:tester' });
      }
      const w = runCli(['worker', '--db', url, '--drain', '--concurrency', '2']);
      expect(w.code, w.stderr).toBe(0);
      const counts = await s.engine.pipelines.countsByState();
      expect(counts.detected ?? 0).toBe(0);
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(5);
      // Nothing left leased, and books went through the stages.
      const rows = await s.engine.pipelines.list({ limit: 100 });
      expect(rows.filter((r) => r.lease_owner !== null).map((r) => r.id)).toEqual([]);
      expect(rows.filter((r) => r.state === 'pending_approval' || r.state === 'approved' || r.state === 'complete').length).toBeGreaterThan(0);
      // Each book's trail on the server shows the worker's claim.
      for (const r of rows) expect((await s.engine.history.forPipeline(r.id)).some((h) => h.to_state === 'hashing')).toBe(true);
    } finally {
      await s.engine.close();
    }
  });

  it('a database that does not exist, or a server that is not there, is one line and exit 2', async () => {
    const cluster = pgCluster();
    const missing = cluster.url('no_such_database');
    for (const db of [missing, 'postgres://tester@127.0.0.1:1/pipeline', 'postgres://tester@localhost:notaport/x']) {
      const r = runCli(['health', '--db', db]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
