/**
 * Several workers on one PostgreSQL database, as hosts of a fleet would run them: real
 * processes (dist/test/worker/pg-worker-child.js, each opening the services with openServices),
 * real book files through the real stages, short leases. One worker is SIGKILLed mid-run; the
 * others rescue its books once its leases expire (by the server's clock) and finish them.
 *
 * state_history proves each book was claimed exactly once per attempt: every claim opens a run
 * that one worker alone moves until the book leaves the working states (or the lease rescue
 * takes it from a dead worker), runs of one book never overlap, and a worker (concurrency 1)
 * never holds two books at once. Nothing is left leased, and the audit chain verifies.
 * Waits are on events (rows reaching states, processes exiting), never fixed sleeps.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { writeLibrary } from '../fixtures/books.js';
import { pgAvailable, pgCluster, pgUnavailableReason } from '../helpers/pg-cluster.js';
import { openEngine } from '../../src/db/open.js';
import type { Engine } from '../../src/db/engine.js';
import type { HistoryRow } from '../../src/db/ops/history.js';
import { isWorkingState, type PipelineState } from '../../src/domain/states.js';
import { collect, exitOf, parseLogLines } from './support.js';

const BOOKS = 2000;
const WORKERS = 4;
const LEASE_MS = 2000;
const CHILD = path.join(ROOT, 'dist/test/worker/pg-worker-child.js');
const END_STATES: readonly PipelineState[] = ['pending_approval', 'rejected'];
const RESCUER = 'system:lease-rescue';

/** Polls an async condition until it holds (a hang guard, not a speed assertion). */
async function until<T>(fn: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 300_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const engines: Engine[] = [];
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const e of engines) await e.close();
});

if (!pgAvailable()) describe.skip(`multi-host workers on PostgreSQL: ${pgUnavailableReason()}`, () => undefined);
else
  describe('workers on several hosts, one PostgreSQL database', () => {
    it(`${WORKERS} worker processes drain ${BOOKS} books; one is killed mid-run and the others rescue its books`, { timeout: 900_000 }, async () => {
      const dir = tempDir('ap-pg-multi-');
      const files = writeLibrary(path.join(dir, 'lib'), BOOKS, { seed: 7, chapters: 2, wordsPerChapter: 120 });
      const url = await pgCluster().createDatabase();
      const e = await openEngine(url);
      engines.push(e);
      for (const f of files) await e.pipelines.insert({ source_path: f.path, state: 'detected', actor: 'system:test' });
      expect(await e.pipelines.countsByState()).toEqual({ detected: BOOKS });

      const ids = Array.from({ length: WORKERS }, (_, i) => `host${i + 1}-w`);
      const workers = ids.map((id) => {
        const child = spawn(process.execPath, [CHILD, url, id, String(LEASE_MS)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        children.push(child);
        return { id, child, io: collect(child) };
      });
      const [victim, ...survivors] = workers as [(typeof workers)[number], ...(typeof workers)[number][]];

      // Mid-run: a good part of the queue is done, and the victim holds a book right now.
      await until(async () => {
        const c = await e.pipelines.countsByState();
        return END_STATES.reduce((s, st) => s + (c[st] ?? 0), 0) >= BOOKS / 4;
      }, 'a quarter of the books to be done');
      await until(async () => (await e.queue.heldBy(victim.id)).length > 0, 'the victim to hold a book');
      victim.child.kill('SIGKILL');
      expect((await exitOf(victim.child)).signal).toBe('SIGKILL');
      const orphans = (await e.queue.heldBy(victim.id)).map((h) => h.id);
      expect(orphans.length).toBeGreaterThan(0);

      // The others finish everything, the dead worker's books included (after its lease expired).
      await until(async () => {
        const c = await e.pipelines.countsByState();
        return END_STATES.reduce((s, st) => s + (c[st] ?? 0), 0) === BOOKS;
      }, 'every book to reach the end of the pipeline');
      for (const w of survivors) w.child.kill('SIGTERM');
      const summaries: { workerId: string; claimed: number; rescued: number }[] = [];
      for (const w of survivors) {
        const exit = await exitOf(w.child);
        expect(exit.code, w.io.stderr().slice(-2000)).toBe(0);
        parseLogLines(w.io.stderr());
        summaries.push(JSON.parse(w.io.stdout()) as (typeof summaries)[number]);
      }
      expect(summaries.every((s) => s.claimed > 0)).toBe(true);
      expect(summaries.reduce((s, w) => s + w.rescued, 0)).toBe(orphans.length);

      const rows = await e.pipelines.list({ limit: 10_000 });
      expect(rows).toHaveLength(BOOKS);
      for (const p of rows) {
        expect(END_STATES, `${p.id}: ${p.state}`).toContain(p.state);
        // Nothing left leased.
        expect(p.lease_owner).toBeNull();
        expect(p.lease_token).toBeNull();
        expect(p.attempts).toBe(orphans.includes(p.id) ? 2 : 1);
        expect(p.auto_recoveries).toBe(orphans.includes(p.id) ? 1 : 0);
      }

      // The rescue: one STUCK_RECOVERED entry per orphan, by the rescuer, naming the dead worker.
      const recovered = await e.audit.query({ action: 'STUCK_RECOVERED', limit: 1000 });
      expect(recovered.map((r) => r.pipeline_id).sort()).toEqual([...orphans].sort());
      for (const r of recovered) {
        expect(r.actor).toBe(RESCUER);
        expect(JSON.parse(r.details_json!)).toMatchObject({ lease_owner: victim.id });
      }

      // state_history: every claim opens a run one worker alone moves, until the book leaves
      // the working states or the rescuer takes it from the dead worker.
      const workerActors = new Set(ids.map((id) => `system:worker:${id}`));
      const runs: { actor: string; start: number; end: number; book: string }[] = [];
      let claims = 0;
      for (const p of rows) {
        const h: HistoryRow[] = await e.history.forPipeline(p.id);
        expect(h[0]).toMatchObject({ from_state: null, to_state: 'detected' });
        let open: { actor: string; start: number; end: number } | undefined;
        let lastEnd = -Infinity;
        for (let i = 1; i < h.length; i++) {
          const row = h[i]!;
          expect(row.from_state, `${p.id}: unbroken chain`).toBe(h[i - 1]!.to_state);
          if (!isWorkingState(row.from_state as PipelineState)) {
            // A claim: the book was claimable, nobody held it.
            expect(open, `${p.id}: claimed while held`).toBeUndefined();
            expect(isWorkingState(row.to_state as PipelineState)).toBe(true);
            expect(workerActors.has(row.actor), row.actor).toBe(true);
            expect(row.at).toBeGreaterThanOrEqual(lastEnd);
            claims++;
            open = { actor: row.actor, start: row.at, end: row.at };
            continue;
          }
          expect(open, `${p.id}: a move outside any claim`).toBeDefined();
          if (row.actor === RESCUER) {
            expect(orphans).toContain(p.id);
            expect(open!.actor).toBe(`system:worker:${victim.id}`);
            expect(row.to_state).toBe('needs_retry');
          } else {
            expect(row.actor, `${p.id}: moved by a worker that did not claim it`).toBe(open!.actor);
            open!.end = row.at;
          }
          if (!isWorkingState(row.to_state as PipelineState)) {
            runs.push({ ...open!, book: p.id });
            lastEnd = row.at;
            open = undefined;
          }
        }
        expect(open, `${p.id}: still held`).toBeUndefined();
      }
      // Each book claimed exactly once per attempt.
      expect(claims).toBe(rows.reduce((s, p) => s + p.attempts, 0));
      // A worker (concurrency 1) never held two books at once.
      const byWorker = new Map<string, typeof runs>();
      for (const r of runs) byWorker.set(r.actor, [...(byWorker.get(r.actor) ?? []), r]);
      expect(byWorker.size).toBe(WORKERS);
      for (const [, list] of byWorker) {
        list.sort((a, b) => a.start - b.start || a.end - b.end);
        for (let i = 1; i < list.length; i++) expect(list[i]!.start, `${list[i]!.book} after ${list[i - 1]!.book}`).toBeGreaterThanOrEqual(list[i - 1]!.end);
      }

      const report = await e.audit.verify();
      expect(report.problems).toEqual([]);
      expect(report).toMatchObject({ intact: true, modified: [], gaps: [], tail_removed: null });
    });
  });
