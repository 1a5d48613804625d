/**
 * The PostgreSQL bench database (bench/generate-pg.ts) must be the generated SQLite file's data,
 * usable as a live database: same counts, queue, history and audit head through the Engine
 * interface, a chain that verifies, and triggers, sequences and the chain head that keep working
 * for the next write (the load bypasses them). Otherwise the bench would compare the engines on
 * different data, or measure a database no real server could be in.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../bench/generate.js';
import { loadIntoPostgres } from '../../bench/generate-pg.js';
import { openEngine } from '../../src/db/open.js';
import type { Engine } from '../../src/db/engine.js';
import { pgAvailable, pgCluster, pgUnavailableReason } from '../helpers/pg-cluster.js';
import { tempDir } from '../helpers/tmp.js';

describe.skipIf(!pgAvailable())(`bench data loaded into PostgreSQL${pgAvailable() ? '' : ` (skipped: ${pgUnavailableReason()})`}`, () => {
  let sqlite: Engine;
  let postgres: Engine;

  beforeAll(async () => {
    const file = path.join(tempDir(), 'bench.db');
    generate({ dbPath: file, pipelines: 400, seed: 7, auditPerPipeline: 3 });
    const url = await pgCluster().createDatabase();
    await loadIntoPostgres(file, url);
    sqlite = await openEngine(file);
    postgres = await openEngine(url);
  }, 60_000);

  afterAll(async () => {
    await sqlite?.close();
    await postgres?.close();
  });

  it('holds the same books, queue, history and audit head as the generated file', async () => {
    expect(await postgres.pipelines.countsByState()).toEqual(await sqlite.pipelines.countsByState());
    expect(await postgres.queue.queuedByPriority()).toEqual(await sqlite.queue.queuedByPriority());
    expect(await postgres.queue.window({ limit: 20 })).toEqual(await sqlite.queue.window({ limit: 20 }));
    const book = (await sqlite.queue.window({ limit: 1 }))[0]!;
    const steps = (rows: { from_state: string | null; to_state: string; at: number }[]) => rows.map((r) => [r.from_state, r.to_state, r.at]);
    const done = (await sqlite.pipelines.list({ state: 'complete', limit: 1 }))[0]!;
    expect(steps(await postgres.history.forPipeline(done.id))).toEqual(steps(await sqlite.history.forPipeline(done.id)));
    expect(steps(await postgres.history.forPipeline(book.id))).toEqual(steps(await sqlite.history.forPipeline(book.id)));
    const head = await postgres.audit.head();
    expect({ id: head.id, hash: head.hash }).toEqual({ id: (await sqlite.audit.head()).id, hash: (await sqlite.audit.head()).hash });
    expect(head.id).toBe(1200);
  });

  it('verifies its audit chain, and keeps counts, history and the chain going for the next writes', async () => {
    expect((await postgres.audit.verify()).intact).toBe(true);
    const first = (await postgres.queue.window({ limit: 1 }))[0]!;
    const claim = (await postgres.queue.claimNext('w-test', 60_000))!;
    expect(claim.pipeline.id).toBe(first.id);
    expect((await postgres.history.forPipeline(first.id)).at(-1)?.to_state).toBe(claim.pipeline.state);
    const added = await postgres.pipelines.insert({ source_path: '/books/new.epub', actor: 'human:test' });
    expect((await postgres.history.forPipeline(added.id)).map((h) => h.to_state)).toEqual(['detected']);
    const before = await sqlite.pipelines.countsByState();
    const after = await postgres.pipelines.countsByState();
    expect(after.detected).toBe((before.detected ?? 0) + (first.state === 'detected' ? 0 : 1));
    await postgres.audit.append({ action: 'PRIORITY_CHANGED', actor: 'human:test', pipeline_id: added.id, before: 5, after: 3 });
    const report = await postgres.audit.verify();
    expect(report.intact).toBe(true);
    expect(report.checked).toBe(1201);
  });
});
