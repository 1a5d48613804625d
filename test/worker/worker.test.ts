/**
 * The Worker class in-process (as the console's demo uses it): retries with backoff and the
 * attempts limit, stage timeouts that really cancel, the single validation fallback and
 * rejection, duplicates found at hashing, and a lost lease abandoning the book.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServices, type SqliteServices as Services } from '../../src/services.js';
import { Worker, type WorkerOptions } from '../../src/worker/worker.js';
import { WorkerTestSignals } from '../../src/worker/test-signals.js';
import { WorkerConfigSchema, type WorkerConfigInput } from '../../src/config/worker.js';
import { TransientError } from '../../src/domain/errors.js';
import type { Classification, Classifier } from '../../src/ingest/types.js';
import { tempDir } from '../helpers/tmp.js';
import { sampleBook, writeTxt, writeLibrary } from '../fixtures/books.js';
import { history, libraryCounts } from './support.js';

const open: Services[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

function setup(): { dir: string; db: string; services: Services } {
  const dir = tempDir('ap-worker-unit-');
  const db = path.join(dir, 'pipeline.db');
  const services = createServices(db);
  open.push(services);
  return { dir, db, services };
}

async function enqueue(services: Services, file: string): Promise<string> {
  const r = await services.enqueuer.enqueueFile(file, { actor: 'human:tester' });
  return r.pipeline.id;
}

async function drain(services: Services, config: WorkerConfigInput = {}, options: Partial<WorkerOptions> = {}) {
  const w = new Worker(services, { drain: true, pollIntervalMs: 20, config: WorkerConfigSchema.parse(config), ...options });
  await w.start();
  return w.finished;
}

const fixed = (c: Classification): Classifier => ({ name: 'fixed', classify: async () => c });

describe('Worker', () => {
  it('retries a transient failure with backoff, counts attempts, and fails at max_attempts', async () => {
    const { dir, db, services } = setup();
    const id = await enqueue(services, writeTxt(dir, sampleBook(3, 'fiction', 3)));
    const flaky: Classifier = {
      name: 'flaky',
      classify: async () => {
        throw new TransientError('model server overloaded', 'overloaded');
      },
    };
    const config = { max_attempts: 2, backoff: { base_ms: 60_000, max_ms: 120_000 } };
    const before = Date.now();
    const s1 = await drain(services, config, { classifier: flaky });
    expect(s1.outcomes).toEqual({ needs_retry: 1 });
    let p = services.pipelines.require(id);
    expect(p.state).toBe('needs_retry');
    expect(p.attempts).toBe(1);
    expect(p.lease_owner).toBeNull();
    // base 60 s with jitter in [0.5, 1]
    expect(p.next_attempt_at!).toBeGreaterThanOrEqual(before + 30_000);
    expect(p.next_attempt_at!).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(JSON.parse(p.error_json!)).toMatchObject({ code: 'overloaded', stage: 'classifying', permanent: false, attempt: 1 });

    // Not claimable while it waits: a drain leaves it alone.
    const s2 = await drain(services, config, { classifier: flaky });
    expect(s2.claimed).toBe(0);
    expect(s2.waitingForRetry).toBe(1);

    // Time passes (the backoff is over); the second attempt fails too, which is the last one.
    services.db.prepare('UPDATE pipelines SET next_attempt_at = ? WHERE id = ?').run(Date.now() - 1, id);
    const s3 = await drain(services, config, { classifier: flaky });
    expect(s3.outcomes).toEqual({ failed: 1 });
    p = services.pipelines.require(id);
    expect(p.state).toBe('failed');
    expect(p.attempts).toBe(2);
    const err = JSON.parse(p.error_json!) as { code: string; message: string };
    expect(err.code).toBe('max_attempts');
    expect(err.message).toMatch(/model server overloaded.*gave up after 2 of 2 attempts/);
    expect(history(db, id).map((h) => h.to_state).filter((s) => s === 'hashing')).toHaveLength(2);
  });

  it('a stage timeout really cancels the stage and retries the book', async () => {
    const { dir, services } = setup();
    const id = await enqueue(services, writeTxt(dir, sampleBook(4, 'fiction', 3)));
    let sawAbort = false;
    const hanging: Classifier = {
      name: 'hanging',
      classify: (_input, options) =>
        new Promise((_resolve, reject) => {
          options?.signal?.addEventListener('abort', () => {
            sawAbort = true;
            reject(options.signal!.reason);
          });
        }),
    };
    const stats = await drain(services, { stage_timeouts_ms: { classifying: 100 } }, { classifier: hanging });
    expect(stats.outcomes).toEqual({ needs_retry: 1 });
    expect(sawAbort).toBe(true);
    const p = services.pipelines.require(id);
    expect(JSON.parse(p.error_json!)).toMatchObject({ code: 'stage_timeout', stage: 'classifying' });
    expect(JSON.parse(p.error_json!).message).toMatch(/timed out after 100 ms/);
  });

  it('re-runs processing once with the fallback strategy when validation fails', async () => {
    const { dir, db, services } = setup();
    // One chapter: the fiction strategy wants >= 2; its fallback (conservative) accepts 1.
    const id = await enqueue(services, writeTxt(dir, sampleBook(5, 'fiction', 1)));
    await drain(services, {}, { classifier: fixed({ bookType: 'fiction', confidence: 0.9, reasons: ['test'] }) });
    const p = services.pipelines.require(id);
    expect(p.state, p.error_json ?? '').toBe('pending_approval');
    const strategy = JSON.parse(p.strategy_json!) as { name: string; fallback_from: string; previous_failures: string[] };
    expect(strategy).toMatchObject({ name: 'conservative', fallback_from: 'fiction' });
    expect(strategy.previous_failures.join(' ')).toMatch(/chapter/);
    const states = history(db, id).map((h) => h.to_state);
    expect(states.slice(-5)).toEqual(['processing', 'validating', 'processing', 'validating', 'pending_approval']);
    const books = services.db.prepare('SELECT strategy FROM books WHERE pipeline_id = ?').get(id) as { strategy: string };
    expect(books.strategy).toBe('conservative');
    expect(libraryCounts(db, id).chunks).toBeGreaterThan(0);
  });

  it('rejects with the reasons when the fallback fails validation too, leaving no library rows', async () => {
    const { dir, db, services } = setup();
    const file = path.join(dir, 'tiny.txt');
    fs.writeFileSync(file, 'A very short note about the harbour and the keeper who lived there for years. '.repeat(3));
    const id = await enqueue(services, file);
    await drain(services, {}, { classifier: fixed({ bookType: 'fiction', confidence: 0.9, reasons: ['test'] }) });
    const p = services.pipelines.require(id);
    expect(p.state).toBe('rejected');
    const err = JSON.parse(p.error_json!) as { code: string; message: string; failures: string[]; previous_failures: string[] };
    expect(err.code).toBe('validation_failed');
    expect(err.message).toMatch(/strategy 'conservative' \(fallback after 'fiction'\)/);
    expect(err.failures.join(' ')).toMatch(/words/);
    expect(err.previous_failures.length).toBeGreaterThan(0);
    expect(libraryCounts(db, id)).toEqual({ books: 0, chapters: 0, chunks: 0, embedded: 0 });
    const audit = services.audit.query({ pipelineId: id, action: 'REJECTED' });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor).toMatch(/^system:worker:/);
  });

  it('marks a book duplicate at hashing when its content now matches another live book', async () => {
    const { dir, services } = setup();
    const [a, b] = writeLibrary(path.join(dir, 'lib'), 2, { seed: 9 });
    const idA = await enqueue(services, a!.path);
    const idB = await enqueue(services, b!.path);
    fs.copyFileSync(a!.path, b!.path); // B's file was replaced by a copy of A after it was queued
    await drain(services);
    expect(services.pipelines.require(idA).state).toBe('pending_approval');
    const pb = services.pipelines.require(idB);
    expect(pb.state).toBe('duplicate');
    expect(pb.duplicate_of).toBe(idA);
    expect(services.audit.query({ pipelineId: idB, action: 'DUPLICATE_DETECTED' })).toHaveLength(1);
  });

  it('abandons a book whose lease was taken away, writing nothing more', async () => {
    const { dir, db, services } = setup();
    const id = await enqueue(services, writeTxt(dir, sampleBook(6, 'fiction', 3)));
    const w = new Worker(services, { leaseMs: 1500, pollIntervalMs: 20, stageDelaysMs: { processing: 30_000 } });
    const abandoned = new Promise<string>((resolve) => w.on('book:abandoned', (e) => resolve(e.pipelineId)));
    const reachedProcessing = new Promise<void>((resolve) => w.on('stage:start', (e) => e.stage === 'processing' && resolve()));
    await w.start();
    await reachedProcessing;
    // An operator's recovery revoked the lease and moved the book on.
    services.db
      .prepare(`UPDATE pipelines SET state = 'needs_retry', lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, last_actor = 'human:op' WHERE id = ?`)
      .run(id);
    expect(await abandoned).toBe(id);
    await w.stop({ graceMs: 0 });
    const p = services.pipelines.require(id);
    expect(p.state).toBe('needs_retry');
    expect(p.lease_owner).toBeNull();
    expect(libraryCounts(db, id).books).toBe(0);
    expect(history(db, id).at(-1)!.actor).toBe('human:op');
  });
});

describe('Worker, proven by its test signals', () => {
  it('keeps heartbeating its lease while a stage works off the main thread', async () => {
    const { dir, services } = setup();
    const id = await enqueue(services, writeTxt(dir, sampleBook(7, 'fiction', 3)));
    const signals = new WorkerTestSignals();
    const w = new Worker(services, { leaseMs: 1500, pollIntervalMs: 20, stageDelaysMs: { processing: 120_000 }, testSignals: signals });
    await w.start();
    await signals.stageStarted.waitUntil((e) => e.stage === 'processing');
    const leaseBefore = services.pipelines.require(id).lease_expires_at!;
    // Two heartbeats during the stage, each extending the one lease the worker holds.
    signals.heartbeat.clear();
    expect(await signals.heartbeat.waitFor(2)).toEqual([
      { extended: 1, held: 1 },
      { extended: 1, held: 1 },
    ]);
    expect(services.pipelines.require(id).lease_expires_at!).toBeGreaterThan(leaseBefore);
    await w.stop({ graceMs: 0 });
    expect(await signals.released.waitOnce()).toEqual({ pipelineId: id, to: 'detected' });
    expect(signals.stageCommitted.count).toBe(3); // hashing, classifying, selecting_strategy
  });

  it('leaves a book waiting out its backoff alone, though it looks for work again and again', async () => {
    const { dir, services } = setup();
    const id = await enqueue(services, writeTxt(dir, sampleBook(8, 'fiction', 3)));
    services.db.prepare(`UPDATE pipelines SET state = 'needs_retry', next_attempt_at = ? WHERE id = ?`).run(Date.now() + 3_600_000, id);
    const before = services.pipelines.require(id);
    const signals = new WorkerTestSignals();
    const w = new Worker(services, { pollIntervalMs: 20, concurrency: 2, testSignals: signals });
    await w.start();
    // The worker went idle, and its two slots looked at the queue six times between them, each
    // time finding nothing claimable: the book had its chances.
    await signals.idle.waitOnce();
    const looks = await signals.foundNothing.waitFor(6);
    expect(signals.claimed.count).toBe(0);
    expect(new Set(looks.map((l) => l.slot))).toEqual(new Set([0, 1]));
    expect(signals.rescuePass.count).toBeGreaterThanOrEqual(1);
    expect(services.pipelines.require(id)).toEqual(before);
    await w.stop();
    expect(await signals.stopped.waitOnce()).toEqual({ workerId: w.id });
  });

  it('rescues a dead worker\'s expired lease on start, and then runs the book', async () => {
    const { dir, services } = setup();
    const id = await enqueue(services, writeTxt(dir, sampleBook(9, 'fiction', 3)));
    services.queue.claimNext('dead-worker', 60_000);
    services.db.prepare('UPDATE pipelines SET lease_expires_at = ? WHERE id = ?').run(Date.now() - 1000, id);
    const signals = new WorkerTestSignals();
    const w = new Worker(services, { drain: true, pollIntervalMs: 20, testSignals: signals });
    await w.start();
    expect(await signals.leaseRescued.waitOnce()).toMatchObject({ id, from: 'hashing', to: 'needs_retry', lease_owner: 'dead-worker' });
    expect(await signals.claimed.waitOnce()).toMatchObject({ pipelineId: id, state: 'hashing', attempts: 2 });
    await signals.drained.waitOnce();
    expect((await w.finished).rescued).toBe(1);
    expect(services.pipelines.require(id).state).toBe('pending_approval');
  });
});

describe('lease rescue', () => {
  it('moves expired working books to needs_retry with an audit row, keeps attempts, and fails them past the caps', async () => {
    const { dir, services } = setup();
    const { rescueExpiredLeases } = await import('../../src/worker/lease-rescue.js');
    const lib = writeLibrary(path.join(dir, 'lib'), 3, { seed: 13 });
    const ids: string[] = [];
    for (const b of lib) ids.push(await enqueue(services, b.path));
    for (let i = 0; i < 3; i++) services.queue.claimNext('dead-worker', 60_000);
    const live = services.queue.claimNext('live-worker', 60_000); // nothing left: all three held by the dead one
    expect(live).toBeUndefined();
    // Not expired yet: nothing to rescue.
    expect(await rescueExpiredLeases(services)).toEqual([]);
    const [a, b, c] = ids as [string, string, string];
    const expire = services.db.prepare('UPDATE pipelines SET lease_expires_at = ?, attempts = ?, auto_recoveries = ? WHERE id = ?');
    expire.run(Date.now() - 1000, 1, 0, a);
    expire.run(Date.now() - 1000, 5, 0, b); // out of attempts
    expire.run(Date.now() - 1000, 2, 3, c); // rescued three times already
    const rescued = await rescueExpiredLeases(services, { maxAutoRecoveries: 3 });
    expect(rescued.map((r) => [r.id, r.to]).sort()).toEqual([[a, 'needs_retry'], [b, 'failed'], [c, 'failed']].sort());
    const pa = services.pipelines.require(a);
    expect(pa).toMatchObject({ state: 'needs_retry', attempts: 1, auto_recoveries: 1, lease_owner: null, next_attempt_at: null });
    expect(JSON.parse(services.pipelines.require(b).error_json!).code).toBe('max_attempts');
    expect(JSON.parse(services.pipelines.require(c).error_json!).code).toBe('too_many_recoveries');
    for (const id of ids) {
      const audit = services.audit.query({ pipelineId: id, action: 'STUCK_RECOVERED' });
      expect(audit).toHaveLength(1);
      expect(audit[0]!.actor).toBe('system:lease-rescue');
    }
    // Idempotent: a second pass finds nothing.
    expect(await rescueExpiredLeases(services)).toEqual([]);
    // The rescued book is claimable again, and the claim counts one more attempt.
    const again = services.queue.claimNext('live-worker', 60_000)!;
    expect(again.pipeline.id).toBe(a);
    expect(again.pipeline.attempts).toBe(2);
  });
});
