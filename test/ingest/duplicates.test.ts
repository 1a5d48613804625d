/**
 * Duplicates (#17): when two queued files turn out to hold the same content, the one queued
 * first is the original, whichever a worker hashes first. Real worker runs on a real database.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServices, type SqliteServices as Services } from '../../src/services.js';
import { Worker, type WorkerOptions } from '../../src/worker/worker.js';
import { WorkerTestSignals } from '../../src/worker/test-signals.js';
import { WorkerConfigSchema } from '../../src/config/worker.js';
import { writeLibrary } from '../fixtures/books.js';
import { useTempDir } from './helpers.js';

const dir = useTempDir('duplicates-');
const open: Services[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

let n = 0;
async function twoBooks(priorities: { a: number; b: number }) {
  const k = n++;
  const services = createServices(join(dir, `pipeline-${k}.db`));
  open.push(services);
  const [a, b] = writeLibrary(join(dir, `lib-${k}`), 2, { seed: 21 + k });
  const idA = (await services.enqueuer.enqueueFile(a!.path, { actor: 'human:tester', priority: priorities.a })).pipeline.id;
  const idB = (await services.enqueuer.enqueueFile(b!.path, { actor: 'human:tester', priority: priorities.b })).pipeline.id;
  // A's file now holds B's content: two live books, one content. A was queued first.
  fs.copyFileSync(b!.path, a!.path);
  return { services, idA, idB };
}

function worker(services: Services, options: Partial<WorkerOptions> = {}): Worker {
  return new Worker(services, { drain: true, pollIntervalMs: 20, config: WorkerConfigSchema.parse({}), concurrency: 1, ...options });
}

/**
 * A worker that holds its book in `stage` until the book is taken from it: the stage waits far
 * longer than any test, and a short lease makes the heartbeat notice the loss within a second.
 */
function holding(services: Services, stage: 'hashing' | 'classifying'): { w: Worker; signals: WorkerTestSignals } {
  const signals = new WorkerTestSignals();
  return { w: worker(services, { stageDelaysMs: { [stage]: 120_000 }, leaseMs: 1500, testSignals: signals }), signals };
}

describe('the book queued first is the original', () => {
  it('when it is hashed first: the later copy becomes its duplicate', async () => {
    const { services, idA, idB } = await twoBooks({ a: 5, b: 5 });
    const w = worker(services);
    await w.start();
    await w.finished;
    expect(services.pipelines.require(idA).state).toBe('pending_approval');
    const b = services.pipelines.require(idB);
    expect([b.state, b.duplicate_of]).toEqual(['duplicate', idA]);
    const audit = services.audit.query({ pipelineId: idB, action: 'DUPLICATE_DETECTED' });
    expect(audit).toHaveLength(1);
  });

  it('when the later copy is being hashed by another worker at the same time', async () => {
    // B is claimed first (higher priority) by a worker whose hashing is slow; A is hashed by a
    // second worker while B is still in hashing.
    const { services, idA, idB } = await twoBooks({ a: 5, b: 1 });
    const { w: slow, signals: slowSignals } = holding(services, 'hashing');
    await slow.start();
    await slowSignals.stageStarted.waitUntil((e) => e.pipelineId === idB && e.stage === 'hashing');
    const fastSignals = new WorkerTestSignals();
    const fast = worker(services, { testSignals: fastSignals });
    await fast.start();
    // A is hashed while B is still hashing on the other worker...
    expect(await fastSignals.stageCommitted.waitUntil((e) => e.from === 'hashing')).toMatchObject({ pipelineId: idA, to: 'classifying' });
    // ...which then finds B taken from it and lets it go, writing nothing.
    expect(await slowSignals.abandoned.waitOnce()).toMatchObject({ pipelineId: idB });
    await Promise.all([slow.finished, fast.finished]);
    expect(slowSignals.stageCommitted.count).toBe(0);
    expect(services.pipelines.require(idA).state).toBe('pending_approval');
    const b = services.pipelines.require(idB);
    expect([b.state, b.duplicate_of]).toEqual(['duplicate', idA]);
  });
});

describe('the book queued first is the original, also when the copy got ahead', () => {
  it('when the later copy is already classifying (hashed first): it gives way and becomes the duplicate', async () => {
    // B (queued second, higher priority) is hashed first and held in classifying by a slow
    // worker; A is hashed meanwhile by a second worker and must still be the original.
    const { services, idA, idB } = await twoBooks({ a: 5, b: 1 });
    const { w: slow, signals: slowSignals } = holding(services, 'classifying');
    await slow.start();
    expect(await slowSignals.stageCommitted.waitOnce()).toMatchObject({ pipelineId: idB, from: 'hashing', to: 'classifying' });
    await slowSignals.stageStarted.waitUntil((e) => e.pipelineId === idB && e.stage === 'classifying');
    const fastSignals = new WorkerTestSignals();
    const fast = worker(services, { testSignals: fastSignals });
    await fast.start();
    expect(await fastSignals.stageCommitted.waitUntil((e) => e.from === 'hashing')).toMatchObject({ pipelineId: idA, to: 'classifying' });
    expect(await slowSignals.abandoned.waitOnce()).toMatchObject({ pipelineId: idB });
    await Promise.all([slow.finished, fast.finished]);
    expect(services.pipelines.require(idA).state).toBe('pending_approval');
    const b = services.pipelines.require(idB);
    expect([b.state, b.duplicate_of]).toEqual(['duplicate', idA]);
    const audit = services.audit.query({ pipelineId: idB, action: 'DUPLICATE_DETECTED' });
    expect(audit).toHaveLength(1);
  });
});
