/**
 * A PostgreSQL server that goes away mid-run (#15): a running worker rides out failed claims for
 * `database_outage_seconds`, then stops with one clear line on stderr and exit 1 (not 2: nothing
 * was wrong with the input). The cluster is this file's own, so stopping it harms no other test.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { pgAvailable, pgCluster, pgUnavailableReason } from '../helpers/pg-cluster.js';

describe.skipIf(!pgAvailable())('a PostgreSQL server that goes away mid-run', () => {
  if (!pgAvailable()) it.skip(`PostgreSQL engine skipped: ${pgUnavailableReason()}`, () => undefined);

  it('the worker stops after the outage limit with one line and exit 1', async () => {
    const cluster = pgCluster();
    const url = await cluster.createDatabase();
    expect(runCli(['init', '--db', url]).code).toBe(0);
    const config = path.join(tempDir(), 'agentic-pipeline.json');
    fs.writeFileSync(config, JSON.stringify({ worker: { poll_interval_seconds: 0.1, database_outage_seconds: 2 } }));

    const child = spawn(process.execPath, [CLI, 'worker', '--db', url, '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, AGENTIC_PIPELINE_LOG_LEVEL: 'warn' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    // Running: its row is on the server.
    while (!(await workerRegistered(url))) await new Promise((r) => setTimeout(r, 50));
    cluster.stop();

    const code = await exited;
    expect(code).toBe(1);
    const last = stderr.trim().split('\n').at(-1) ?? '';
    expect(stderr.trim().split('\n').length, stderr).toBeLessThan(10); // no flood
    expect(last).toMatch(/^worker \S+: the database could not be reached for 2 s \(.+\); stopping$/);
  });
});

/** The worker's row exists (read with a plain client: this file tests the engine, not through it). */
async function workerRegistered(url: string): Promise<boolean> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return ((await c.query('SELECT 1 FROM workers LIMIT 1')).rowCount ?? 0) > 0;
  } finally {
    await c.end();
  }
}
