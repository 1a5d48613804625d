/**
 * Duplicates (#17): when two queued files turn out to hold the same content, the one queued
 * first is the original, whichever a worker hashes first. Real worker runs on a real database.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../../src/services.js';
import { Worker, type WorkerOptions } from '../../src/worker/worker.js';
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

async function waitForState(services: Services, id: string, state: string): Promise<void> {
  for (let i = 0; i < 600 && services.pipelines.require(id).state !== state; i++) await new Promise((r) => setTimeout(r, 25));
  expect(services.pipelines.require(id).state).toBe(state);
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
    const slow = worker(services, { stageDelaysMs: { hashing: 1500 } });
    await slow.start();
    await waitForState(services, idB, 'hashing');
    const fast = worker(services);
    await fast.start();
    await Promise.all([slow.finished, fast.finished]);
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
    const slow = worker(services, { stageDelaysMs: { classifying: 1500 } });
    await slow.start();
    await waitForState(services, idB, 'classifying');
    const fast = worker(services);
    await fast.start();
    await Promise.all([slow.finished, fast.finished]);
    expect(services.pipelines.require(idA).state).toBe('pending_approval');
    const b = services.pipelines.require(idB);
    expect([b.state, b.duplicate_of]).toEqual(['duplicate', idA]);
    const audit = services.audit.query({ pipelineId: idB, action: 'DUPLICATE_DETECTED' });
    expect(audit).toHaveLength(1);
  });
});
