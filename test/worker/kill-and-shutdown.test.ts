/**
 * Crash and shutdown, through real processes.
 * - SIGKILL in the middle of a stage: nothing is lost; once the lease expires another worker
 *   rescues the book (STUCK_RECOVERED by system:lease-rescue) and finishes it; attempts kept.
 * - SIGTERM: the worker exits 0 and nothing is left leased.
 * A stage is made slow deterministically with the test hook AGENTIC_PIPELINE_TEST_STAGE_DELAY_MS.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli, initDb } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { writeLibrary } from '../fixtures/books.js';
import { collect, exitOf, history, libraryCounts, parseLogLines, pipelines, waitFor, withDb } from './support.js';

function setup(n: number): { dir: string; db: string } {
  const dir = tempDir('ap-worker-kill-');
  writeLibrary(path.join(dir, 'lib'), n, { seed: 11 });
  const db = initDb(path.join(dir, 'pipeline.db'));
  const q = runCli(['batch-queue', path.join(dir, 'lib'), '--db', db]);
  expect(q.code, q.stderr).toBe(0);
  return { dir, db };
}

const inState = (db: string, state: string) =>
  withDb(db, (d) => d.prepare('SELECT * FROM pipelines WHERE state = ? LIMIT 1').get(state) as { id: string; lease_owner: string | null } | undefined);

describe('worker crash and shutdown', () => {
  it('SIGKILL mid-stage loses nothing: after the lease expires a second worker rescues and finishes the book, attempts kept', async () => {
    const { db } = setup(3);
    const first = spawnCli(['worker', '--db', db, '--lease', '3', '--poll-interval', '0.1'], {
      env: { AGENTIC_PIPELINE_TEST_STAGE_DELAY_MS: 'processing=120000' },
    });
    const out1 = collect(first);
    const stuck = await waitFor(() => inState(db, 'processing'), 'a book to reach processing');
    // It is being held, and heartbeats keep extending the lease while the stage waits.
    const leaseBefore = withDb(db, (d) => d.prepare('SELECT lease_expires_at FROM pipelines WHERE id = ?').get(stuck.id) as { lease_expires_at: number });
    await waitFor(
      () => withDb(db, (d) => (d.prepare('SELECT lease_expires_at FROM pipelines WHERE id = ?').get(stuck.id) as { lease_expires_at: number }).lease_expires_at > leaseBefore.lease_expires_at),
      'a heartbeat to extend the lease',
    );
    first.kill('SIGKILL');
    const exit1 = await exitOf(first);
    expect(exit1.signal).toBe('SIGKILL');

    // Nothing lost: the book is still there, still in processing, still leased to the dead worker, no library rows.
    const dead = pipelines(db).find((p) => p.id === stuck.id)!;
    expect(dead.state).toBe('processing');
    expect(dead.lease_owner).not.toBeNull();
    expect(dead.attempts).toBe(1);
    expect(libraryCounts(db, stuck.id).books).toBe(0);

    // Wait out the lease, then a second worker drains: it must rescue the book itself.
    await waitFor(() => Date.now() > dead.lease_expires_at! + 50, 'the lease to expire', 10_000);
    const second = runCli(['worker', '--drain', '--db', db, '--json']);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ rescued: 1 });
    expect(parseLogLines(second.stderr).some((l) => l.msg === 'lease expired: book rescued' && l.pipeline === stuck.id)).toBe(true);

    const rows = pipelines(db);
    for (const p of rows) {
      expect(p.state, p.source_path).toBe('pending_approval');
      expect(p.lease_owner).toBeNull();
      const lib = libraryCounts(db, p.id);
      expect(lib.books).toBe(1);
      expect(lib.chunks).toBeGreaterThan(0);
    }
    const rescued = rows.find((p) => p.id === stuck.id)!;
    expect(rescued.attempts).toBe(2); // the killed attempt is kept, plus the one that finished
    expect(rescued.auto_recoveries).toBe(1);
    const h = history(db, stuck.id);
    const rescueRow = h.find((x) => x.from_state === 'processing' && x.to_state === 'needs_retry');
    expect(rescueRow?.actor).toBe('system:lease-rescue');
    expect(h.filter((x) => x.to_state === 'hashing')).toHaveLength(2);
    const audit = withDb(db, (d) =>
      d.prepare(`SELECT action, actor, before_value, after_value FROM audit WHERE pipeline_id = ? AND action = 'STUCK_RECOVERED'`).all(stuck.id),
    );
    expect(audit).toEqual([{ action: 'STUCK_RECOVERED', actor: 'system:lease-rescue', before_value: '"processing"', after_value: '"needs_retry"' }]);
    // Exactly one set of library rows, no leftovers of the killed attempt.
    const chunkOrds = withDb(db, (d) => d.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT ord) AS d FROM chunks WHERE pipeline_id = ?').get(stuck.id) as { n: number; d: number });
    expect(chunkOrds.n).toBe(chunkOrds.d);
    expect(out1.stderr()).not.toMatch(/SQLITE_BUSY/);
  });

  it('SIGTERM: the current stage is released after the grace period, nothing is left leased, exit 0', async () => {
    const { dir, db } = setup(4);
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(config, JSON.stringify({ worker: { shutdown_grace_ms: 300 } }));
    const w = spawnCli(['worker', '--db', db, '--config', config, '--concurrency', '2', '--poll-interval', '0.1'], {
      env: { AGENTIC_PIPELINE_TEST_STAGE_DELAY_MS: 'processing=120000' },
    });
    const io = collect(w);
    await waitFor(
      () => withDb(db, (d) => (d.prepare(`SELECT COUNT(*) AS n FROM pipelines WHERE state = 'processing'`).get() as { n: number }).n === 2),
      'two books to reach processing',
    );
    w.kill('SIGTERM');
    const exit = await exitOf(w);
    expect(exit.code, io.stderr()).toBe(0);
    const rows = pipelines(db);
    expect(rows.filter((p) => p.lease_owner !== null || p.lease_token !== null)).toEqual([]);
    for (const p of rows) {
      expect(p.state).toBe('detected');
      expect(p.attempts).toBe(0); // the interrupted attempt is refunded: the book did not fail
      expect(libraryCounts(db, p.id).books).toBe(0);
    }
    const released = withDb(db, (d) =>
      d.prepare(`SELECT COUNT(*) AS n FROM state_history WHERE from_state = 'processing' AND to_state = 'detected' AND details LIKE 'released:%'`).get() as { n: number },
    );
    expect(released.n).toBe(2);
    const worker = withDb(db, (d) => d.prepare('SELECT stopped_at FROM workers').all() as { stopped_at: number | null }[]);
    expect(worker).toHaveLength(1);
    expect(worker[0]!.stopped_at).not.toBeNull();
    const logs = parseLogLines(io.stderr());
    expect(logs.filter((l) => l.msg === 'released → detected')).toHaveLength(2);

    // And the released books go through on the next run.
    const again = runCli(['worker', '--drain', '--db', db]);
    expect(again.code, again.stderr).toBe(0);
    expect(pipelines(db).map((p) => p.state)).toEqual(Array(4).fill('pending_approval'));
  });

  it('SIGTERM between stages: the current stage finishes, then the book is released', async () => {
    const { db } = setup(1);
    const w = spawnCli(['worker', '--db', db, '--poll-interval', '0.1'], {
      env: { AGENTIC_PIPELINE_TEST_STAGE_DELAY_MS: 'classifying=1500' },
    });
    const io = collect(w);
    const book = await waitFor(() => inState(db, 'classifying'), 'the book to reach classifying');
    w.kill('SIGTERM');
    const exit = await exitOf(w);
    expect(exit.code, io.stderr()).toBe(0);
    const h = history(db, book.id).map((x) => `${x.from_state}->${x.to_state}`);
    // classifying completed within the (default 10 s) grace period, then the book was handed back.
    expect(h).toContain('classifying->selecting_strategy');
    expect(h.at(-1)).toBe('selecting_strategy->detected');
    const p = pipelines(db)[0]!;
    expect(p.lease_owner).toBeNull();
    expect(p.book_type).not.toBeNull();
  });
});
