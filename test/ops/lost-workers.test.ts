/**
 * A dead worker is not "running". Real worker processes take books under a 3 s lease and are
 * killed with SIGKILL; once their last heartbeat is older than that lease (read from the
 * database, not slept for) `health` calls them lost, counts their books as stuck rather than
 * active, is degraded at once, and says the queue has no worker. A cleanly stopped worker is
 * listed apart from the lost ones; a stopped row older than a day is not listed at all.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { initDb, runCli, runCliJson, spawnCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { writeLibrary } from '../fixtures/books.js';
import { collect, exitOf, waitFor, withDb } from '../worker/support.js';
import type { FullHealthReport } from '../../src/ops/health.js';
import { addWorking, DAY, MIN, setup } from './helpers.js';

interface WorkerRow {
  id: string;
  heartbeat_at: number;
  stopped_at: number | null;
}

describe('lost workers (real processes, SIGKILL)', () => {
  it('two killed workers holding books are lost: their books stuck, not active; degraded at once; "no worker" for the queue', async () => {
    const dir = tempDir('ap-lost-');
    const db = initDb(path.join(dir, 'pipeline.db'));
    // A worker that stops cleanly (nothing to do yet): it must be listed apart from the lost ones.
    const clean = runCli(['worker', '--drain', '--db', db]);
    expect(clean.code, clean.stderr).toBe(0);
    writeLibrary(path.join(dir, 'lib'), 5, { seed: 7 });
    expect(runCli(['batch-queue', path.join(dir, 'lib'), '--db', db]).code).toBe(0);

    const spawnWorker = () =>
      spawnCli(['worker', '--db', db, '--lease', '3', '--poll-interval', '0.1'], { env: { AGENTIC_PIPELINE_TEST_STAGE_DELAY_MS: 'processing=120000' } });
    const a = spawnWorker();
    const b = spawnWorker();
    const io = [collect(a), collect(b)];
    // The event: each worker holds a book in processing (leased to two different owners).
    await waitFor(
      () =>
        withDb(db, (d) => (d.prepare(`SELECT COUNT(DISTINCT lease_owner) AS n FROM pipelines WHERE state = 'processing' AND lease_owner IS NOT NULL`).get() as { n: number }).n === 2),
      'both workers to hold a book in processing',
    );
    a.kill('SIGKILL');
    b.kill('SIGKILL');
    expect((await exitOf(a)).signal).toBe('SIGKILL');
    expect((await exitOf(b)).signal).toBe('SIGKILL');

    // "Heartbeat older than its lease" is decided from the database: wait until it is so.
    const dead = withDb(db, (d) => d.prepare('SELECT id, heartbeat_at, stopped_at FROM workers WHERE stopped_at IS NULL').all() as WorkerRow[]);
    expect(dead).toHaveLength(2);
    const lastBeat = Math.max(...dead.map((w) => w.heartbeat_at));
    await waitFor(() => Date.now() > lastBeat + 3_000 + 100, 'the dead workers’ heartbeats to be older than their 3 s lease', 15_000);

    const { code, doc } = runCliJson<FullHealthReport>(['health', '--db', db]);
    expect(code).toBe(0);
    const byStatus = (s: string) => doc.workers.filter((w) => w.status === s).map((w) => w.id).sort();
    expect(byStatus('lost')).toEqual(dead.map((w) => w.id).sort());
    expect(byStatus('running')).toEqual([]);
    expect(byStatus('stopped')).toHaveLength(1);
    expect(doc.worker_counts).toEqual({ running: 0, lost: 2, stopped: 1 });
    for (const w of doc.workers.filter((x) => x.status === 'lost')) {
      expect(w.stopped).toBe(false);
      expect(w.lease_seconds).toBe(3);
      expect(w.active_books).toBe(1);
    }
    expect(doc.active).toBe(0);
    expect(doc.stuck_count).toBe(2);
    expect(doc.queued).toBe(3);
    expect(doc.status).not.toBe('healthy');
    expect(doc.alerts.find((x) => x.code === 'worker_lost')).toMatchObject({ severity: 'warning' });
    expect(doc.alerts.find((x) => x.code === 'worker_lost')!.message).toMatch(/^2 workers lost/);
    // Queued work and no live worker: not after --worker-idle, now.
    expect(doc.alerts.find((x) => x.code === 'worker_idle')?.message).toMatch(/3 queued and no worker running/);
    expect(doc.estimated_queue_minutes).toBeNull();

    const human = runCli(['health', '--db', db]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('  Active:     0 (processing now)');
    expect(human.stdout).toMatch(/  Stuck: +2 /);
    expect(human.stdout).toContain('  Queue wait: no worker running');
    expect(human.stdout).toContain('  Workers:    0 running, 2 LOST, 1 stopped (24h)');
    for (const w of dead) expect(human.stdout).toMatch(new RegExp(`${w.id.slice(0, 20)} +LOST \\(heartbeat \\d+s ago, lease 3s\\), 1 book stuck`));
    expect(human.stdout).toMatch(/ stopped \d+s ago/);
    expect(human.stdout).not.toMatch(/Status: +healthy/);
    expect(human.stdout).toMatch(/\[warning\] 2 workers lost/);
    for (const x of io) expect(x.stdout()).toBe('');
  });
});

describe('worker liveness in the report (a movable clock)', () => {
  it('running until the heartbeat is older than the lease the worker registered with, then lost; a heartbeat brings it back', async () => {
    const { s, clock } = setup();
    s.queue.register('w1', { concurrency: 1, leaseMs: 10_000 });
    addWorking(s, 'processing', 1000, 10_000);
    let r = await s.ops.health.report();
    expect(r.workers.map((w) => [w.id, w.status])).toEqual([['w1', 'running']]);
    expect(r.active).toBe(1);
    clock.advance(10_000);
    expect((await s.ops.health.report()).workers[0]!.status).toBe('running'); // exactly the lease: not yet
    clock.advance(1);
    r = await s.ops.health.report();
    expect(r.workers[0]!.status).toBe('lost');
    expect(r.active).toBe(0);
    expect(r.stuck_count).toBe(1);
    expect(r.status).toBe('degraded');
    s.queue.heartbeat('w1', 10_000);
    r = await s.ops.health.report();
    expect(r.workers[0]!.status).toBe('running');
    expect(r.active).toBe(1);
    expect(r.alerts.map((a) => a.code)).not.toContain('worker_lost');
    s.close();
  });

  it('a lost worker whose books were rescued stays listed as lost, but is alerted on only for worker_idle_seconds', async () => {
    const { s, clock } = setup();
    s.queue.register('crashed', { leaseMs: 10_000 });
    s.queue.register('alive', { leaseMs: 3_600_000 });
    clock.advance(11_000);
    expect((await s.ops.health.report()).alerts.map((a) => a.message)).toEqual([
      '1 worker lost: crashed (no heartbeat for up to 11s, longer than the lease; 0 books stuck)',
    ]);
    clock.advance(5 * MIN);
    const r = await s.ops.health.report();
    expect(r.workers.find((w) => w.id === 'crashed')?.status).toBe('lost');
    expect(r.worker_counts.lost).toBe(1);
    expect(r.alerts).toEqual([]);
    expect(r.status).toBe('healthy');
    s.close();
  });

  it('a worker row without a recorded lease is measured against the default 30 s lease', async () => {
    const { s, clock } = setup();
    s.queue.register('old-worker');
    clock.advance(30_000);
    expect((await s.ops.health.report()).workers[0]!.status).toBe('running');
    clock.advance(1);
    expect((await s.ops.health.report()).workers[0]!.status).toBe('lost');
    s.close();
  });

  it('stopped rows older than a day are not listed; lost workers are listed first, then running, then stopped', async () => {
    const { s, clock } = setup();
    s.queue.register('gone-yesterday', { leaseMs: 10_000 });
    s.queue.unregister('gone-yesterday');
    clock.advance(DAY + MIN);
    for (let i = 0; i < 12; i++) {
      s.queue.register(`stopped-${i}`, { leaseMs: 10_000 });
      s.queue.unregister(`stopped-${i}`);
    }
    s.queue.register('dead', { leaseMs: 10_000 });
    clock.advance(MIN);
    s.queue.register('alive', { leaseMs: 10_000 });
    const r = await s.ops.health.report();
    expect(r.workers.map((w) => w.id)).not.toContain('gone-yesterday');
    expect(r.workers.slice(0, 2).map((w) => [w.id, w.status])).toEqual([
      ['dead', 'lost'],
      ['alive', 'running'],
    ]);
    expect(r.workers.slice(2).every((w) => w.status === 'stopped')).toBe(true);
    expect(r.worker_counts).toEqual({ running: 1, lost: 1, stopped: 12 });
    s.close();
  });
});
