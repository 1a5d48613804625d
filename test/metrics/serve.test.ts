/**
 * Issue #13: `serve` against a real database a real worker fills. The scrape is parsed strictly
 * and every database gauge is checked against the file itself; readiness follows the file being
 * replaced by garbage and restored; only GET/HEAD on exact paths answer.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { runCli, spawnCli } from '../helpers/cli.js';
import { collect, exitOf, waitFor, withDb } from '../worker/support.js';
import { boundPort, eventually, killedAfterEach, parseScrape, queuedLibrary, request } from './support.js';

const children = killedAfterEach();
const setup = (n: number) => queuedLibrary(n, 13, 'ap-serve-');

async function serve(db: string): Promise<{ port: number; child: ChildProcess; stderr: () => string }> {
  const child = spawnCli(['serve', '--db', db, '--listen', '127.0.0.1:0']);
  children.push(child);
  const io = collect(child);
  return { port: await boundPort(io.stderr, child), child, stderr: io.stderr };
}

/** Waits out the 1 s snapshot cache: a scrape taken after this reads the database afresh. */
async function freshScrape(port: number, after: number) {
  await waitFor(() => Date.now() - after > 1100, 'the snapshot cache to expire', 5000);
  const r = await request(port, '/metrics');
  expect(r.status).toBe(200);
  return parseScrape(r.body);
}

describe('serve /metrics', () => {
  it('reports the database a worker filled: books by state and priority, finished, workers, audit, stuck, build info', async () => {
    const { db } = setup(4);
    // One book at priority 2, so two priorities are queued and the oldest-age probe sees both.
    const first = withDb(db, (d) => (d.prepare('SELECT id FROM pipelines ORDER BY created_at LIMIT 1').get() as { id: string }).id);
    expect(runCli(['priority', first, '2', '--db', db]).code).toBe(0);
    const s = await serve(db);
    const before = parseScrape((await request(s.port, '/metrics')).body);
    expect(before.value('agentic_pipeline_books', { state: 'detected', priority: '2' })).toBe(1);
    expect(before.value('agentic_pipeline_books', { state: 'detected', priority: '5' })).toBe(3);
    expect(before.value('agentic_pipeline_oldest_queued_age_seconds', { priority: '2' })).toBeGreaterThanOrEqual(0);
    expect(before.all('agentic_pipeline_oldest_queued_age_seconds')).toHaveLength(2);

    const w = spawnCli(['worker', '--db', db, '--drain', '--poll-interval', '0.1']);
    children.push(w);
    expect((await exitOf(w)).code).toBe(0);
    const t = Date.now();
    const m = await freshScrape(s.port, t);

    const cells = withDb(db, (d) => d.prepare('SELECT state, priority, COUNT(*) AS n FROM pipelines GROUP BY state, priority').all() as { state: string; priority: number; n: number }[]);
    expect(cells.length).toBeGreaterThan(0);
    const reported = m.all('agentic_pipeline_books').map((x) => ({ state: x.labels.state, priority: Number(x.labels.priority), n: x.value }));
    const byKey = (a: { state?: string; priority: number }) => `${a.state}/${a.priority}`;
    expect(reported.sort((a, b) => byKey(a).localeCompare(byKey(b)))).toEqual(cells.sort((a, b) => byKey(a).localeCompare(byKey(b))));
    // Nothing is queued any more: the old per-priority ages are gone, not repeated.
    expect(m.all('agentic_pipeline_oldest_queued_age_seconds')).toHaveLength(0);

    const fin = withDb(db, (d) => d.prepare(`SELECT SUM(to_state = 'complete') AS c, SUM(to_state = 'failed') AS f FROM state_history WHERE to_state IN ('complete','failed')`).get() as { c: number | null; f: number | null });
    expect(m.value('agentic_pipeline_books_finished_last_hour', { outcome: 'complete' })).toBe(fin.c ?? 0);
    expect(m.value('agentic_pipeline_books_finished_last_hour', { outcome: 'failed' })).toBe(fin.f ?? 0);
    expect(m.value('agentic_pipeline_workers', { liveness: 'stopped' })).toBe(1);
    expect(m.value('agentic_pipeline_workers', { liveness: 'live' })).toBe(0);
    const audit = withDb(db, (d) => d.prepare('SELECT COUNT(*) AS n, MAX(id) AS head FROM audit').get() as { n: number; head: number });
    expect(audit.n).toBeGreaterThan(0);
    expect(m.value('agentic_pipeline_audit_entries')).toBe(audit.n);
    expect(m.value('agentic_pipeline_audit_head_id')).toBe(audit.head);
    expect(m.value('agentic_pipeline_stuck_books', { reason: 'lease_expired' })).toBe(0);
    expect(m.value('agentic_pipeline_database_up')).toBe(1);
    expect(m.value('agentic_pipeline_scrape_errors_total')).toBe(0);
    expect(m.all('agentic_pipeline_build_info')[0]!.labels).toMatchObject({ version: expect.stringMatching(/^\d+\.\d+\.\d+/), schema: expect.stringMatching(/^\d+$/) });
    expect(m.types.get('agentic_pipeline_scrape_errors_total')).toBe('counter');
    expect(m.all('process_cpu_user_seconds_total')).toHaveLength(1);
    // No per-book label anywhere.
    expect(m.samples.filter((x) => 'id' in x.labels || 'pipeline' in x.labels)).toEqual([]);

    const promtool = spawnSync('promtool', ['--version']);
    if (promtool.status === 0) {
      const body = (await request(s.port, '/metrics')).body;
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
      expect(lint.status, lint.stdout + lint.stderr).toBe(0);
    } else {
      console.warn('promtool not installed: skipping `promtool check metrics` on the scrape');
    }
  });

  it('a live worker is counted live with its heartbeat age; it is lost once killed and its lease runs out', async () => {
    const { db } = setup(1);
    const s = await serve(db);
    const w = spawnCli(['worker', '--db', db, '--lease', '3', '--poll-interval', '0.1'], { env: { AGENTIC_PIPELINE_TEST_STAGE_DELAY_MS: 'processing=120000' } });
    children.push(w);
    await waitFor(() => withDb(db, (d) => d.prepare(`SELECT 1 FROM pipelines WHERE state = 'processing'`).get()), 'the book in processing');
    let t = Date.now();
    const live = await freshScrape(s.port, t);
    expect(live.value('agentic_pipeline_workers', { liveness: 'live' })).toBe(1);
    const ages = live.all('agentic_pipeline_worker_heartbeat_age_seconds');
    expect(ages).toHaveLength(1);
    expect(ages[0]!.value).toBeLessThan(3);
    w.kill('SIGKILL');
    await exitOf(w);
    // The book's lease expires 3 s after the last heartbeat: then it is stuck, the worker lost.
    const lost = await eventually(async () => {
      t = Date.now();
      const m = await freshScrape(s.port, t);
      return m.value('agentic_pipeline_workers', { liveness: 'lost' }) === 1 && m.value('agentic_pipeline_stuck_books', { reason: 'lease_expired' }) === 1 ? m : undefined;
    }, 'the worker lost and its book stuck');
    expect(lost.all('agentic_pipeline_worker_heartbeat_age_seconds')).toHaveLength(0);
  });
});

describe('serve health endpoints', () => {
  it('/health/ready is 503 while the database file is garbage and 200 again once it is restored; /health/live stays 200', async () => {
    const { db } = setup(1);
    const s = await serve(db);
    const ready = await request(s.port, '/health/ready');
    expect(ready.status).toBe(200);
    const doc = JSON.parse(ready.body) as { status: string; checks: { name: string; ok: boolean }[] };
    expect(doc.status).toBe('ready');
    expect(doc.checks.map((c) => c.name)).toEqual(['not_shutting_down', 'database_opens', 'select_1', 'schema_current']);

    const saved = `${db}.saved`;
    fs.renameSync(db, saved);
    fs.writeFileSync(db, 'this is not a database, just garbage '.repeat(200));
    const bad = await request(s.port, '/health/ready');
    expect(bad.status).toBe(503);
    const badDoc = JSON.parse(bad.body) as { status: string; checks: { name: string; ok: boolean; detail: string }[] };
    expect(badDoc.status).toBe('not_ready');
    expect(badDoc.checks.some((c) => !c.ok)).toBe(true);
    expect((await request(s.port, '/health/live')).status).toBe(200);
    const t = Date.now();
    const m = await freshScrape(s.port, t);
    expect(m.value('agentic_pipeline_database_up')).toBe(0);
    expect(m.value('agentic_pipeline_scrape_errors_total')).toBeGreaterThanOrEqual(1);
    expect(m.all('agentic_pipeline_books')).toHaveLength(0);

    fs.renameSync(saved, db);
    expect((await request(s.port, '/health/ready')).status).toBe(200);
    const again = await freshScrape(s.port, Date.now());
    expect(again.value('agentic_pipeline_database_up')).toBe(1);
    expect(again.value('agentic_pipeline_books', { state: 'detected', priority: '5' })).toBe(1);
  });

  it('/health is the health --json document: 200 while degraded, 503 when unhealthy', async () => {
    const { db, dir } = setup(2);
    const s = await serve(db);
    const r = await request(s.port, '/health');
    const cli = JSON.parse(runCli(['health', '--json', '--db', db]).stdout) as Record<string, unknown>;
    const doc = JSON.parse(r.body) as Record<string, unknown>;
    expect(Object.keys(doc).sort()).toEqual(Object.keys(cli).sort());
    // Books queued and no worker ever: worker_idle is a warning, so degraded, still 200.
    expect(doc.status).toBe('degraded');
    expect(r.status).toBe(200);
    // A config demanding more free disk than exists makes it unhealthy (critical): 503.
    const config = path.join(dir, 'ops.json');
    fs.writeFileSync(config, JSON.stringify({ ops: { health: { disk_min_free_bytes: 1e18 } } }));
    const strict = spawnCli(['serve', '--db', db, '--listen', '127.0.0.1:0', '--config', config]);
    children.push(strict);
    const io = collect(strict);
    const port = await boundPort(io.stderr, strict);
    const u = await request(port, '/health');
    expect(JSON.parse(u.body).status).toBe('unhealthy');
    expect(u.status).toBe(503);
  });

  it('answers only GET and HEAD on its exact paths, writes nothing; SIGTERM stops it with exit 0', async () => {
    const { db } = setup(1);
    const state = () => withDb(db, (d) => JSON.stringify([d.prepare('SELECT * FROM pipelines').all(), d.prepare('SELECT COUNT(*) AS n, MAX(id) AS m FROM audit').get(), d.pragma('user_version')]));
    const before = state();
    const s = await serve(db);
    expect((await request(s.port, '/')).status).toBe(404);
    expect((await request(s.port, '/metrics/')).status).toBe(404);
    expect((await request(s.port, '/../pipeline.db')).status).toBe(404);
    const post = await request(s.port, '/metrics', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect((await request(s.port, '/health/ready', 'DELETE')).status).toBe(405);
    const head = await request(s.port, '/metrics', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    for (const p of ['/metrics', '/health', '/health/ready', '/health/live']) {
      for (const method of ['PUT', 'POST', 'PATCH', 'DELETE']) expect((await request(s.port, p, method)).status, `${method} ${p}`).toBe(405);
    }
    s.child.kill('SIGTERM');
    expect((await exitOf(s.child)).code).toBe(0);
    expect(state()).toBe(before);
    // --json: stdout is exactly one document saying where it listens.
    const j = spawnCli(['serve', '--db', db, '--listen', '127.0.0.1:0', '--json']);
    children.push(j);
    const io = collect(j);
    const port = await boundPort(io.stderr, j);
    await waitFor(() => io.stdout().endsWith('}\n'), 'the --json document');
    j.kill('SIGTERM');
    expect((await exitOf(j)).code).toBe(0);
    expect(JSON.parse(io.stdout())).toEqual({ listening: `http://127.0.0.1:${port}`, port, paths: ['/metrics', '/health/live', '/health/ready', '/health'] });
  });

  it('bad --listen, a busy port and a missing database are one line on stderr and exit 2', async () => {
    const { db, dir } = setup(1);
    for (const bad of ['nonsense', '127.0.0.1:99999', '127.0.0.1:']) {
      const r = runCli(['serve', '--db', db, '--listen', bad]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('--listen');
    }
    const s = await serve(db);
    const busy = runCli(['serve', '--db', db, '--listen', `127.0.0.1:${s.port}`]);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toContain('in use');
    const missing = runCli(['serve', '--db', path.join(dir, 'nope.db'), '--listen', '127.0.0.1:0']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(path.join(dir, 'nope.db'))).toBe(false);
  });
});
