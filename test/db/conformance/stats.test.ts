/**
 * The read-side aggregates (engine.stats) on every engine: the same rows and the same clock give
 * the same shapes, orders and numbers. Rows are set up through the interface (insert, claim,
 * register, heartbeat) and, where a book must have spent a known time in a state, by one UPDATE
 * of its state and time under the interface: the history trigger then writes the run with its
 * duration, as a worker's transition would. The services (health, stuck detection, durations)
 * run on top to check what a person would read.
 */
import os from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src/db/engine.js';
import type { PipelineState } from '../../../src/domain/states.js';
import { WORKING_STATES } from '../../../src/domain/states.js';
import type { StateCutoff } from '../../../src/db/ops/stats.js';
import { createOpsServices, type OpsBundle } from '../../../src/ops/index.js';
import { parseOpsConfig, type OpsConfigInput } from '../../../src/config/ops.js';
import { ENGINES, type Opened } from './engines.js';

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe.each(ENGINES)('$name engine: stats', (under) => {
  if (under.skipReason) {
    it.skip(under.skipReason, () => undefined);
    return;
  }
  let o: Opened;
  let e: Engine;
  let T: number;
  let n = 0;
  beforeEach(async () => {
    o = await under.open();
    e = o.engine;
    T = o.clock();
  });
  afterEach(async () => {
    await o.close();
  });

  const ops = (config: OpsConfigInput = {}): OpsBundle =>
    createOpsServices({ dbPath: ':memory:', engine: e, clock: o.clock }, parseOpsConfig(config));

  /** A book inserted in `state` at `at` (created and entered then); the clock is put back to T. */
  const book = async (state: PipelineState, at: number, extra: { priority?: number; id?: string } = {}) => {
    o.clock.set(at);
    const row = await e.pipelines.insert({ source_path: `/books/s${++n}.epub`, state, actor: 'system:test', ...extra });
    o.clock.set(T);
    return row;
  };
  /** The book moves to `to` at `at`: the history trigger records the run it ends, with its duration. */
  const move = (id: string, to: PipelineState, at: number) =>
    o.exec(`UPDATE pipelines SET state = '${to}', state_entered_at = ${at}${to === 'complete' ? `, completed_at = ${at}` : ''} WHERE id = '${id}'`);
  /** One finished run of `state` from `start` to `start + ms`, ending in `to`. */
  const run = async (state: PipelineState, start: number, ms: number, to: PipelineState = 'complete') => {
    const b = await book(state, start);
    await move(b.id, to, start + ms);
    return b;
  };
  const lease = (id: string, owner: string, expiresAt: number) =>
    o.exec(`UPDATE pipelines SET lease_owner = '${owner}', lease_token = 'tok-${owner}', lease_expires_at = ${expiresAt} WHERE id = '${id}'`);
  const registerAt = async (at: number, id: string, info: Record<string, unknown> = {}) => {
    o.clock.set(at);
    await e.queue.register(id, info);
    o.clock.set(T);
  };
  const everyState = (cutoff: number): StateCutoff[] => WORKING_STATES.map((state) => ({ state, cutoff }));

  describe('healthAggregates', () => {
    it('counts from the aggregate, completions and their minute buckets, the failure window, durations, the oldest queued book and the workers', async () => {
      await book('detected', T - 10 * MIN);
      const q2 = await book('detected', T - 5 * MIN, { priority: 2 });
      await book('needs_retry', T - 20 * MIN);
      await book('pending_approval', T - HOUR, { priority: 3 });
      await book('pending_approval', T - HOUR, { priority: 3 });
      // Completions: two in minute 15 of the last hour, one now (bucket 60: the caller clamps),
      // one 2 h ago (in the day, not the hour), one 2 days ago (in neither).
      await run('embedding', T - 50 * MIN, 5 * MIN);
      await run('embedding', T - 46 * MIN, MIN + 30 * SEC);
      await run('embedding', T - 2 * HOUR - 10 * MIN, 10 * MIN);
      await run('embedding', T - 49 * HOUR, HOUR);
      await run('embedding', T - MIN, MIN);
      // A failure (an early exit: not a sample of processing) and one processing run that went on.
      await run('processing', T - 31 * MIN, MIN, 'failed');
      await run('processing', T - 40 * MIN, 2 * MIN, 'validating');

      await registerAt(T - 25 * HOUR, 'w-old');
      await registerAt(T - 10 * MIN, 'w-stop');
      o.clock.set(T - 2 * MIN);
      await e.queue.unregister('w-stop');
      o.clock.set(T);
      await registerAt(T - 5 * MIN, 'w-lost', { leaseMs: 30_000 });
      await registerAt(T, 'w-run', { leaseMs: 60_000, concurrency: 2 });
      const claim = await e.queue.claimNext('w-run', 60_000);
      expect(claim?.pipeline.id).toBe(q2.id);
      await e.queue.setBreakerState('w-run', 'classifier', 'open');

      const agg = await e.stats.healthAggregates({
        now: T,
        completedSince: T - DAY,
        perMinuteFrom: T - HOUR,
        durationsSince: T - DAY,
        failureWindow: 4,
        workersSince: T - DAY,
        liveWorkersListed: 50,
        stoppedWorkersListed: 10,
      });
      expect(agg.counts).toEqual([
        { state: 'complete', priority: 5, n: 5 },
        { state: 'detected', priority: 5, n: 1 },
        { state: 'failed', priority: 5, n: 1 },
        { state: 'hashing', priority: 2, n: 1 },
        { state: 'needs_retry', priority: 5, n: 1 },
        { state: 'pending_approval', priority: 3, n: 2 },
        { state: 'validating', priority: 5, n: 1 },
      ]);
      expect(agg.completed).toBe(4);
      // Minutes since perMinuteFrom, not floored (the service floors them into its 60 buckets).
      expect(agg.perMinute).toEqual([
        { b: 15, n: 1 },
        { b: 15.5, n: 1 },
        { b: 60, n: 1 },
      ]);
      // The last 4 finished: now, the failure 30 min ago, and the two of minute 15.
      expect(agg.finished).toEqual({ n: 4, failed: 1 });
      expect(agg.durations).toEqual([
        { state: 'hashing', avg_ms: null, n: 0 },
        { state: 'classifying', avg_ms: null, n: 0 },
        { state: 'selecting_strategy', avg_ms: null, n: 0 },
        { state: 'processing', avg_ms: 2 * MIN, n: 1 },
        { state: 'validating', avg_ms: null, n: 0 },
        { state: 'embedding', avg_ms: (5 * MIN + 90 * SEC + 10 * MIN + MIN) / 4, n: 4 },
      ]);
      expect(agg.oldestQueuedEnteredAt).toBe(T - 20 * MIN);
      expect(agg.liveWorkers).toEqual([
        {
          id: 'w-run', pid: process.pid, host: os.hostname(), started_at: T, heartbeat_at: T, stopped_at: null,
          lease_ms: 60_000, breakers: '{"classifier":"open"}', active_books: 1,
        },
        {
          id: 'w-lost', pid: process.pid, host: os.hostname(), started_at: T - 5 * MIN, heartbeat_at: T - 5 * MIN, stopped_at: null,
          lease_ms: 30_000, breakers: null, active_books: 0,
        },
      ]);
      expect(agg.stoppedWorkers).toEqual([
        {
          id: 'w-stop', pid: process.pid, host: os.hostname(), started_at: T - 10 * MIN, heartbeat_at: T - 2 * MIN,
          stopped_at: T - 2 * MIN, lease_ms: null, breakers: null, active_books: 0,
        },
      ]);
      expect(agg.workerCounts).toEqual({ running: 1, lost: 1, stopped: 1 });

      // What `health` makes of it.
      const report = await ops().health.report();
      expect(report).toMatchObject({
        queued: 2,
        completed_24h: 4,
        // Its own window (the config's, 100) holds all six finished runs.
        failure_rate: 0.167,
        finished_window: 6,
        avg_processing_seconds: (2 * MIN + 262_500) / 1000,
        oldest_queued_seconds: 20 * 60,
        worker_counts: { running: 1, lost: 1, stopped: 1 },
      });
      expect(report.throughput_last_hour[15]).toBe(2);
      expect(report.throughput_last_hour[59]).toBe(1);
      expect(report.workers.map((w) => [w.id, w.status])).toEqual([
        ['w-lost', 'lost'],
        ['w-run', 'running'],
        ['w-stop', 'stopped'],
      ]);
      expect(report.workers[1]!.external_breakers).toEqual({ classifier: 'open' });
    });

    it('an empty library: no counts, no completions, no workers, nothing queued', async () => {
      const agg = await e.stats.healthAggregates({
        now: T, completedSince: T - DAY, perMinuteFrom: T - HOUR, durationsSince: T - DAY, failureWindow: 100,
        workersSince: T - DAY, liveWorkersListed: 50, stoppedWorkersListed: 10,
      });
      expect(agg).toEqual({
        counts: [],
        completed: 0,
        perMinute: [],
        finished: { n: 0, failed: 0 },
        durations: WORKING_STATES.map((state) => ({ state, avg_ms: null, n: 0 })),
        oldestQueuedEnteredAt: null,
        liveWorkers: [],
        stoppedWorkers: [],
        workerCounts: { running: 0, lost: 0, stopped: 0 },
      });
    });
  });

  it('lastHeartbeat: none before any worker, then the newest any worker sent (a stop counts)', async () => {
    expect(await e.stats.lastHeartbeat()).toBeNull();
    await registerAt(T - 5 * MIN, 'w1');
    await registerAt(T - 9 * MIN, 'w2');
    expect(await e.stats.lastHeartbeat()).toBe(T - 5 * MIN);
    o.clock.set(T - MIN);
    await e.queue.unregister('w2');
    o.clock.set(T);
    expect(await e.stats.lastHeartbeat()).toBe(T - MIN);
  });

  describe('stuck detection', () => {
    it('expired leases are read in lease order and stop at the limit (PostgreSQL: no sort of every expired lease)', async () => {
      if (under.name !== 'postgres') return;
      const { leaseExpiredJson } = await import('../../../src/db/postgres/stats-stuck.js');
      const { EXPIRED } = await import('../../../src/db/postgres/leases.js');
      // A fleet that died holding thousands of books: more expired leases than any list shows.
      // (At this size the planner reads the range in order on its own; the bench's 1M database,
      // 5,922 expired leases, is where it made the state list an index condition and sorted them
      // all, 10 ms. The queries now keep the state test a filter whatever the statistics; this
      // checks the shape they must keep, the bench measures the difference.)
      await o.exec(`INSERT INTO pipelines (id, source_path, state, priority, base_priority, created_at, updated_at, state_entered_at,
          lease_owner, lease_token, lease_expires_at, last_actor)
        SELECT 'gone-' || g, '/books/gone-' || g, (ARRAY['hashing', 'processing', 'embedding'])[1 + g % 3], 5, 5, g, g, g,
          'w-' || (g % 8), 'tok-' || g, ${T} - ${HOUR} - g, 'system:test'
        FROM generate_series(1, 5000) g`);
      await o.exec('ANALYZE pipelines');
      const plan = async (sql: string) => (await o.rows(`EXPLAIN ${sql}`)).map((r) => Object.values(r)[0]).join('\n');
      const list = await plan(`SELECT (${leaseExpiredJson(String(T), '100', 'true')})`);
      expect(list).toContain('pipelines_lease_stuck');
      expect(list).not.toMatch(/Sort/);
      const rescue = await plan(EXPIRED.replace('$1', String(T)).replace('$2', '100'));
      expect(rescue).toContain('pipelines_lease_stuck');
      expect(rescue).not.toMatch(/Sort/);
      // And what the list says is still earliest expiry first.
      const c = await e.stats.stuckCandidates({ now: T, cutoffs: [], limit: 3, leaseExpired: true, overThreshold: false });
      expect(c.leaseExpired.map((b) => b.id)).toEqual(['gone-5000', 'gone-4999', 'gone-4998']);
      expect(c.leaseExpired[0]!.lease_expires_at).toBe(T - HOUR - 5000);
    });

    it('a book whose worker died (lease expired) is stuck; a live worker’s book is not', async () => {
      await registerAt(T, 'w-dead', { leaseMs: 10_000 });
      await registerAt(T, 'w-live', { leaseMs: 60_000 });
      await book('detected', T - 2 * MIN);
      await book('detected', T - MIN);
      const dead = (await e.queue.claimNext('w-dead', 10_000))!.pipeline;
      const live = (await e.queue.claimNext('w-live', 60_000))!.pipeline;
      o.clock.advance(20 * SEC);
      await e.queue.heartbeat('w-live', 60_000);
      const now = o.clock();

      expect(await e.stats.leaseExpiredCount(now)).toBe(1);
      const c = await e.stats.stuckCandidates({ now, cutoffs: everyState(now - HOUR), limit: 10, leaseExpired: true, overThreshold: true });
      expect(c).toEqual({
        leaseExpired: [
          {
            id: dead.id, state: 'hashing', source_path: dead.source_path, state_entered_at: T, lease_owner: 'w-dead',
            lease_expires_at: T + 10_000, priority: 5, attempts: 1, max_attempts: 5, auto_recoveries: 0, version: dead.version,
          },
        ],
        overThreshold: [],
      });
      expect(await e.stats.stuckCount({ now, cutoffs: everyState(now - HOUR), stopAt: 100 })).toBe(1);

      const o2 = ops();
      const survey = await o2.stuck.survey();
      expect(survey.books.map((b) => [b.id, b.reason, b.lease_owner])).toEqual([[dead.id, 'lease_expired', 'w-dead']]);
      expect(survey.count).toBe(1);
      expect(survey.books.map((b) => b.id)).not.toContain(live.id);
      // Two books in a working state, one of them stuck: one active.
      expect((await o2.health.report()).active).toBe(1);
    });

    it('a book in its state longer than 2 × the learned median is stuck; the counts stop where asked', async () => {
      for (let i = 0; i < 5; i++) await run('processing', T - 3 * HOUR + i * MIN, MIN);
      const s = ops({ stuck: { min_samples: 5 } });
      expect((await s.durations.refresh()).find((r) => r.state === 'processing')).toMatchObject({ samples: 5, median_ms: MIN });
      const slow = await book('processing', T - 130 * SEC); // over 2 × 60 s
      await book('processing', T - 110 * SEC); // under it
      const gone = await book('processing', T - 200 * SEC); // over it AND its lease ran out
      await lease(gone.id, 'w-gone', T - 100 * SEC);
      const expired = await book('hashing', T - 5 * SEC); // under its threshold, lease ran out
      await lease(expired.id, 'w-gone', T - SEC);

      const survey = await s.stuck.survey();
      expect(survey.books.map((b) => [b.id, b.reason, b.expected_seconds])).toEqual([
        [gone.id, 'lease_expired', 60],
        [slow.id, 'over_threshold', 60],
        [expired.id, 'lease_expired', 60],
      ]);
      // Counted once each, however many ways they are stuck.
      expect(survey.count).toBe(3);

      const cutoffs = s.stuck.cutoffsAt(T, await s.stuck.thresholds());
      expect(cutoffs.find((c) => c.state === 'processing')).toEqual({ state: 'processing', cutoff: T - 2 * MIN });
      const over = await e.stats.stuckCandidates({ now: T, cutoffs, limit: 10, leaseExpired: false, overThreshold: true });
      expect(over.leaseExpired).toEqual([]);
      // Longest over first.
      expect(over.overThreshold.map((b) => b.id)).toEqual([gone.id, slow.id]);
      const firstOnly = await e.stats.stuckCandidates({ now: T, cutoffs, limit: 1, leaseExpired: true, overThreshold: true });
      expect(firstOnly.overThreshold.map((b) => b.id)).toEqual([gone.id]);
      expect(firstOnly.leaseExpired.map((b) => b.id)).toEqual([gone.id]);

      expect(await e.stats.stuckCount({ now: T, cutoffs, stopAt: 100 })).toBe(3);
      expect(await e.stats.stuckCount({ now: T, cutoffs, stopAt: 2 })).toBe(2);
      expect(await e.stats.stuckCount({ now: T, cutoffs, stopAt: 1 })).toBe(1);
      expect((await e.stats.stuckSurvey({ now: T, cutoffs, limit: 10, leaseExpired: true, overThreshold: true, stopAt: 100 })).count).toBe(3);
      expect(await s.stuck.count()).toBe(3);
    });
  });

  describe('learned durations', () => {
    it('median, p95 and max of each working state’s last `window` successful runs, rounded as SQLite rounds', async () => {
      await run('processing', T - 60 * MIN, 999_999); // outside a window of 2
      await run('processing', T - 40 * MIN, 1000);
      await run('processing', T - 30 * MIN, 2001);
      await run('processing', T - 20 * MIN, 1500);
      await run('processing', T - 10 * MIN, 5, 'needs_retry'); // an early exit: not a sample

      const empty = { samples: 0, median_ms: null, p95_ms: null, max_ms: null };
      const stats = await e.stats.recomputeDurations({ now: T, window: 2 });
      // [1500, 2001]: median 1750.5 → 1751 (half away from zero), p95 1500 + 501 × 0.95 = 1975.95 → 1976.
      expect(stats).toEqual(
        WORKING_STATES.map((state) =>
          state === 'processing'
            ? { state, samples: 2, median_ms: 1751, p95_ms: 1976, max_ms: 2001, computed_at: T }
            : { state, ...empty, computed_at: T },
        ),
      );
      expect(await e.stats.storedDurations()).toEqual([...stats].sort((a, b) => (a.state < b.state ? -1 : 1)));

      const later = await e.stats.recomputeDurations({ now: T + SEC, window: 3 });
      // [1000, 1500, 2001]: p95 at position 1.9 → 1500 + 501 × 0.9 = 1950.9 → 1951.
      expect(later.find((r) => r.state === 'processing')).toEqual({
        state: 'processing', samples: 3, median_ms: 1500, p95_ms: 1951, max_ms: 2001, computed_at: T + SEC,
      });
      // Read back in the order the job first wrote them, rewritten or not.
      expect(await e.stats.learnedDurations()).toEqual(later.map(({ computed_at: _, ...r }) => r));
      expect((await e.stats.storedDurations()).map((r) => r.computed_at)).toEqual(WORKING_STATES.map(() => T + SEC));
    });

    it('the samples are read by the index kept for them (PostgreSQL: its predicate is the reads’ own words)', async () => {
      if (under.name !== 'postgres') return;
      const { PG_MIGRATIONS } = await import('../../../src/db/postgres/migrations.js');
      const { EARLY_EXITS } = await import('../../../src/db/postgres/stats-sql.js');
      const learning = PG_MIGRATIONS.filter((m) => m.includes('CREATE INDEX state_history_learning')).at(-1)!;
      expect(learning).toContain(`to_state NOT IN (${EARLY_EXITS})`);
      // Enough samples that a scan of the whole table would cost more than the index range.
      const b = await run('processing', T - MIN, 1000);
      await o.exec(`INSERT INTO state_history (pipeline_id, from_state, to_state, at, duration_ms, actor)
        SELECT '${b.id}', 'processing', CASE WHEN g % 2 = 0 THEN 'validating' ELSE 'failed' END, g, 1000, 'system:test'
        FROM generate_series(1, 20000) g`);
      await o.exec('ANALYZE state_history');
      const plan = (await o.rows(`EXPLAIN SELECT duration_ms FROM state_history WHERE from_state = 'processing'
        AND from_state IN ('hashing', 'classifying', 'selecting_strategy', 'processing', 'validating', 'embedding')
        AND duration_ms IS NOT NULL AND to_state NOT IN (${EARLY_EXITS}) ORDER BY at DESC LIMIT 200`)).map((r) => Object.values(r)[0]).join('\n');
      expect(plan).toContain('state_history_learning');
    });

    it('nothing learned before the job first runs', async () => {
      expect(await e.stats.learnedDurations()).toEqual([]);
      expect(await e.stats.storedDurations()).toEqual([]);
    });
  });

  it('metricsSnapshot: counts, oldest queued per priority, stuck, the last hour’s finished runs, workers, the audit span, the schema', async () => {
    await book('detected', T - 30 * MIN);
    await book('detected', T - 10 * MIN);
    await book('needs_retry', T - 20 * MIN, { priority: 2 });
    await book('approved', T - 5 * MIN, { priority: 8 });
    await book('pending_approval', T - 50 * MIN, { priority: 1 });
    await run('embedding', T - 31 * MIN, MIN);
    await run('processing', T - 11 * MIN, MIN, 'failed');
    await run('embedding', T - 2 * HOUR, MIN);
    const gone = await book('processing', T - MIN);
    await lease(gone.id, 'w-gone', T - SEC);
    await book('validating', T - 2 * HOUR);
    await registerAt(T, 'w-live');
    await registerAt(T - 2 * MIN, 'w-lost', { leaseMs: 30_000 });
    await registerAt(T - 3 * MIN, 'w-stop');
    await e.queue.unregister('w-stop');

    const first = await e.audit.append({ action: 'QUEUED', actor: 'system:test' });
    await e.audit.append({ action: 'QUEUED', actor: 'system:test' });
    const last = await e.audit.append({ action: 'QUEUED', actor: 'system:test' });

    const seen: unknown[] = [];
    const s = await e.stats.metricsSnapshot({
      now: T,
      finishedSince: T - HOUR,
      workersSince: T - DAY,
      liveWorkersListed: 50,
      stuckCutoffs: (learned) => {
        seen.push(learned);
        return everyState(T - HOUR);
      },
      stuckStopAt: 10_001,
    });
    expect(seen).toEqual([[]]);
    expect(s.counts).toEqual((await e.stats.healthAggregates({
      now: T, completedSince: T - DAY, perMinuteFrom: T - HOUR, durationsSince: T - DAY, failureWindow: 1,
      workersSince: T - DAY, liveWorkersListed: 1, stoppedWorkersListed: 1,
    })).counts);
    expect(s.counts.reduce((a, c) => a + c.n, 0)).toBe(10);
    expect([...s.oldestQueuedCreatedAt]).toEqual([
      [2, T - 20 * MIN],
      [5, T - 30 * MIN],
      [8, T - 5 * MIN],
    ]);
    // The expired lease, and the validating book two hours in (over a one-hour cut-off).
    expect(s.stuck).toEqual({ leaseExpired: 1, total: 2 });
    expect(s.finished).toEqual({ complete: 1, failed: 1 });
    expect(s.workers).toEqual({ live: 1, lost: 1, stopped: 1 });
    expect(s.liveHeartbeats).toEqual([{ id: 'w-live', heartbeat_at: T }]);
    expect(s.audit).toEqual({ head: last, first });
    expect(last - first).toBe(2);
    expect(s.schema).toBe(await e.upkeep.schemaVersion());

    // What /metrics shows from it.
    const { DbSnapshotReader } = await import('../../../src/metrics/db-snapshot.js');
    const o2 = ops();
    const snap = await new DbSnapshotReader(e, o2.stuck, o.clock).read();
    expect(snap.stuck).toEqual({ lease_expired: 1, over_threshold: 1, capped: false });
    expect(snap.audit.entries).toBe(3);
  });

  it('pipelinePage: newest first (or newest in a state first), keyset pages that join up to the whole list', async () => {
    const id = (k: number) => `${k}`.repeat(32);
    const b1 = await book('detected', T - 5 * MIN, { id: id(1) });
    const b2 = await book('detected', T - 4 * MIN, { id: id(2) });
    const b3 = await book('detected', T - 3 * MIN, { id: id(3) });
    const b4 = await book('detected', T - 3 * MIN, { id: id(4) }); // same time as b3: the larger id first
    await move(b1.id, 'failed', T - 30 * SEC);
    await move(b4.id, 'failed', T - 30 * SEC);
    await move(b2.id, 'failed', T - 20 * SEC);
    const row = async (b: { id: string }) => (await e.pipelines.get(b.id))!;

    const pages = async (state?: string, limit = 2) => {
      const out: string[][] = [];
      let after: { at: number; id: string } | undefined;
      for (;;) {
        const page = await e.stats.pipelinePage({ limit, ...(state ? { state } : {}), ...(after ? { after } : {}) });
        out.push(page.map((p) => p.id));
        if (page.length < limit) return out;
        const lastRow = page[page.length - 1]!;
        after = { at: state ? lastRow.state_entered_at : lastRow.created_at, id: lastRow.id };
      }
    };
    expect(await pages()).toEqual([[b4.id, b3.id], [b2.id, b1.id], []]);
    expect(await pages(undefined, 3)).toEqual([[b4.id, b3.id, b2.id], [b1.id]]);
    expect(await pages('failed', 1)).toEqual([[b2.id], [b4.id], [b1.id], []]);
    expect(await pages('detected')).toEqual([[b3.id]]);
    expect(await pages('complete')).toEqual([[]]);
    // Whole rows, as pipelines.get returns them.
    expect(await e.stats.pipelinePage({ limit: 1, state: 'failed' })).toEqual([await row(b2)]);
    expect(await e.stats.pipelinePage({ limit: 4 })).toEqual([await row(b4), await row(b3), await row(b2), await row(b1)]);
  });
});
