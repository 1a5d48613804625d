/**
 * LISTEN/NOTIFY wakes idle workers (#15): a worker whose poll interval is ten minutes, idle on
 * an empty PostgreSQL queue, claims a book queued by another connection (another host) at once.
 * Without the notice it would wait out its poll, and the wait for the claim would time out.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { pgAvailable, pgCluster, pgUnavailableReason } from '../helpers/pg-cluster.js';
import { openServices, type EngineServices } from '../../src/services.js';
import { openEngine } from '../../src/db/open.js';
import type { Engine } from '../../src/db/engine.js';
import { Worker } from '../../src/worker/worker.js';
import { WorkerTestSignals } from '../../src/worker/test-signals.js';

const TEN_MINUTES = 600_000;

describe.skipIf(!pgAvailable())('PostgreSQL: change notices wake idle workers', () => {
  if (!pgAvailable()) it.skip(`PostgreSQL engine skipped: ${pgUnavailableReason()}`, () => undefined);
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
  });

  it('a book queued on another host is claimed without waiting for the poll', async () => {
    const url = await pgCluster().createDatabase();
    const services: EngineServices = await openServices(url);
    open.push({ close: async () => services.close() });
    const signals = new WorkerTestSignals();
    const worker = new Worker(services, { id: 'host-a', runner: 'inline', pollIntervalMs: TEN_MINUTES, leaseRescue: false, testSignals: signals });
    open.push({ close: async () => void (await worker.stop({ graceMs: 0 })) });
    await worker.start();
    // Idle: it looked, found nothing, and now sleeps for its poll interval.
    await signals.idle.waitOnce();

    const other: Engine = await openEngine(url);
    open.push(other);
    const book = await other.pipelines.insert({ source_path: '/books/queued-elsewhere.txt', state: 'detected', actor: 'system:test' });

    const claimed = await signals.claimed.waitOnce(30_000);
    expect(claimed.pipelineId).toBe(book.id);
  });
});
