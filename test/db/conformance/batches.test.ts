/**
 * Filter-based batches on every engine, through the real BatchService (src/ops/batch.ts) as
 * `agentic-pipeline batch …` runs them: the same filter selects the same books (GLOB included,
 * to the letter of SQLite's rules), apply goes in chunks with one header, BATCH_CHUNK rows and a
 * row per applied book, a book changed since the preview is skipped with the reason, and a batch
 * racing another process over the same books loses no update and audits exactly what it applied.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src/db/engine.js';
import type { PipelineState } from '../../../src/domain/states.js';
import type { BatchFilter } from '../../../src/ops/types.js';
import { createOpsServices, type OpsBundle } from '../../../src/ops/index.js';
import { parseOpsConfig } from '../../../src/config/ops.js';
import { IllegalTransitionError } from '../../../src/domain/errors.js';
import type { PgEngine } from '../../../src/db/postgres/engine.js';
import { ENGINES, type Opened } from './engines.js';

const HUMAN = 'human:ops';

interface Spec {
  state?: PipelineState;
  path?: string;
  book_type?: string | null;
  confidence?: number | null;
  priority?: number;
  attempts?: number;
  content_hash?: string;
  id?: string;
}

describe.each(ENGINES)('$name engine: batches', (under) => {
  if (under.skipReason) {
    it.skip(under.skipReason, () => undefined);
    return;
  }
  let o: Opened;
  let e: Engine;
  let ops: OpsBundle;
  let n = 0;
  beforeEach(async () => {
    o = await under.open();
    e = o.engine;
    ops = createOpsServices(
      { dbPath: e.location, engine: e, clock: o.clock },
      parseOpsConfig({ batch: { chunk_size: 2, default_max: 1000 } }),
    );
  });
  afterEach(async () => {
    await o.close();
  });

  /** A book in `state` with the given columns (set under the interface, as earlier stages would). */
  const book = async (spec: Spec = {}) => {
    const row = await e.pipelines.insert({
      source_path: spec.path ?? `/books/b${++n}.epub`,
      state: spec.state ?? 'pending_approval',
      actor: 'system:test',
      ...(spec.priority !== undefined ? { priority: spec.priority } : {}),
      ...(spec.content_hash !== undefined ? { content_hash: spec.content_hash } : {}),
      ...(spec.id !== undefined ? { id: spec.id } : {}),
    });
    const type = spec.book_type === undefined ? "'fiction'" : spec.book_type === null ? 'NULL' : `'${spec.book_type}'`;
    const conf = spec.confidence === undefined ? '0.9' : spec.confidence === null ? 'NULL' : String(spec.confidence);
    await o.exec(`UPDATE pipelines SET book_type = ${type}, confidence = ${conf}, attempts = ${spec.attempts ?? 0} WHERE id = '${row.id}'`);
    o.clock.advance(1000); // created_at orders the books
    return (await e.pipelines.get(row.id))!;
  };
  const selected = async (filter: BatchFilter, states: PipelineState[] = ['pending_approval']) => {
    const rows = await e.batches.selectByFilter(filter, states, 100);
    expect(await e.batches.countByFilter(filter, states)).toBe(rows.length);
    return rows;
  };

  describe('selectByFilter / countByFilter', () => {
    it('applies every filter field as SQLite does, oldest first, and returns the previewed columns', async () => {
      const a = await book({ id: 'aa000000000000000000000000000001', book_type: 'fiction', confidence: 0.95, priority: 2 });
      const t1 = o.clock();
      const b = await book({ id: 'aa000000000000000000000000000002', book_type: 'technical', confidence: 0.5, attempts: 3 });
      const c = await book({ id: 'bb000000000000000000000000000003', book_type: null, confidence: null, priority: 9 });
      const t3 = o.clock();
      const d = await book({ id: 'cc000000000000000000000000000004', book_type: 'technical', confidence: 0.8 });
      await book({ id: 'dd000000000000000000000000000005', state: 'detected' });
      const ids = async (f: BatchFilter, states?: PipelineState[]) => (await selected(f, states)).map((r) => r.id);

      expect(await selected({})).toEqual(
        [a, b, c, d].map((r) => ({
          id: r.id, source_path: r.source_path, book_type: r.book_type, confidence: r.confidence,
          state: r.state, priority: r.priority, created_at: r.created_at, version: r.version,
        })),
      );
      expect((await selected({}))[1]).toMatchObject({ book_type: 'technical', confidence: 0.5, state: 'pending_approval' });
      expect(await ids({ book_types: ['technical'] })).toEqual([b.id, d.id]);
      // NULL confidence matches no bound, as in SQL everywhere.
      expect(await ids({ min_confidence: 0.8 })).toEqual([a.id, d.id]);
      expect(await ids({ max_confidence: 0.8 })).toEqual([b.id, d.id]);
      expect(await ids({ book_types: ['technical', 'fiction'], min_confidence: 0.6, max_confidence: 0.9 })).toEqual([d.id]);
      expect(await ids({ created_before: t1 })).toEqual([a.id]);
      expect(await ids({ created_after: t3 })).toEqual([d.id]);
      expect(await ids({ created_after: t1, created_before: t3 })).toEqual([b.id, c.id]);
      expect(await ids({ priorities: [2, 9] })).toEqual([a.id, c.id]);
      expect(await ids({ attempts_below: 3 })).toEqual([a.id, c.id, d.id]);
      // A full id, prefixes (one of them matching two books) and a prefix matching none.
      expect(await ids({ ids: ['aa'] })).toEqual([a.id, b.id]);
      expect(await ids({ ids: [d.id, 'bb0', 'ee'] })).toEqual([c.id, d.id]);
      expect(await ids({}, ['pending_approval', 'detected'])).toHaveLength(5);
      expect(await ids({ ids: ['dd'] })).toEqual([]);
      // The limit keeps the oldest.
      expect((await e.batches.selectByFilter({}, ['pending_approval'], 2)).map((r) => r.id)).toEqual([a.id, b.id]);
    });

    it("path globs follow SQLite's GLOB: case-sensitive, * ? and […] sets, every other character literal", async () => {
      const names = [
        'a.epub', 'A.EPUB', 'sub/b.pdf', '[x].txt', 'c*d.txt', 'back\\slash.txt', '%_.txt', 'a.b+c(d)$.txt', 'axb+c(d)$.txt',
        '-.txt', '].txt', '^.txt', 'é.txt', 'z.txt', 'm.txt', 'new\nline.txt', '日本.txt',
      ];
      const byName = new Map<string, string>();
      for (const name of names) byName.set(name, (await book({ path: `/lib/${name}` })).id);
      const cases: [string, string[]][] = [
        ['/lib/*.epub', ['a.epub']],
        ['/lib/*.EPUB', ['A.EPUB']],
        ['/lib/?.epub', ['a.epub']],
        ['/lib/[aA].*', ['a.epub', 'A.EPUB', 'a.b+c(d)$.txt']],
        ['/lib/*/*', ['sub/b.pdf']],
        ['/lib/[[]x].txt', ['[x].txt']],
        ['/lib/[]].txt', ['].txt']],
        ['/lib/[^a-z].txt', ['-.txt', '].txt', '^.txt', 'é.txt']],
        ['/lib/[a-]*', ['a.epub', 'a.b+c(d)$.txt', 'axb+c(d)$.txt', '-.txt']],
        ['/lib/[z-a].txt', ['z.txt']],
        ['/lib/[a-cx-z].txt', ['z.txt']],
        ['/lib/c*d.txt', ['c*d.txt']],
        ['/lib/c[*]d.txt', ['c*d.txt']],
        ['/lib/back\\slash.txt', ['back\\slash.txt']],
        ['/lib/%_.txt', ['%_.txt']],
        ['/lib/a.b+c(d)$.txt', ['a.b+c(d)$.txt']],
        ['/lib/new?line.txt', ['new\nline.txt']],
        ['/lib/??.txt', ['%_.txt', '日本.txt']],
        ['/lib/[日]*', ['日本.txt']],
        ['/lib/[a', []],
        ['/lib/*[', []],
        ['/LIB/*', []],
      ];
      const nameOf = new Map([...byName].map(([k, v]) => [v, k]));
      const got: [string, string[]][] = [];
      for (const [pattern] of cases) got.push([pattern, (await selected({ path_glob: pattern })).map((r) => nameOf.get(r.id)!)]);
      expect(got).toEqual(cases);
      expect(await selected({ path_glob: '/lib/*' })).toHaveLength(names.length);
    });
  });

  describe('applyChunk through the BatchService', () => {
    it('approves in chunks: the header, a BATCH_CHUNK row per later chunk, an APPROVED row per book, in history too', async () => {
      const books = [];
      for (let i = 0; i < 5; i++) books.push(await book({ confidence: 0.5 + i / 10 }));
      const preview = await ops.batch.preview({}, { kind: 'approve' });
      expect(preview.matched).toBe(5);
      const r = await ops.batch.apply(preview, HUMAN);
      expect(r).toMatchObject({ affected: 5, skipped: [] });
      expect(r.affected_ids).toEqual(books.map((b) => b.id));
      const batchId = r.audit_id!;

      const header = (await e.audit.get(batchId))!;
      expect(header).toMatchObject({ action: 'BATCH_APPROVED', actor: HUMAN, count: 2, batch_id: null });
      expect(JSON.parse(header.ids_json!)).toEqual(books.slice(0, 2).map((b) => b.id));
      expect(JSON.parse(header.details_json!)).toMatchObject({ planned: 5, skipped_at_start: 0, chunks: 3 });
      const rows = (await e.audit.query({ limit: 100 })).reverse();
      expect(rows.map((x) => [x.action, x.batch_id])).toEqual([
        ['BATCH_APPROVED', null], ['APPROVED', batchId], ['APPROVED', batchId],
        ['APPROVED', batchId], ['APPROVED', batchId], ['BATCH_CHUNK', batchId],
        ['APPROVED', batchId], ['BATCH_CHUNK', batchId],
      ]);
      expect((await e.audit.batchMembers(batchId)).map((x) => x.pipeline_id)).toEqual(books.map((b) => b.id));
      expect(await e.audit.batchApplied(batchId)).toBe(5);
      const member = (await e.audit.batchMembers(batchId))[4]!;
      expect(member).toMatchObject({ confidence: 0.9, before_value: '"pending_approval"', after_value: '"approved"' });

      for (const b of books) {
        const now = (await e.pipelines.get(b.id))!;
        expect(now).toMatchObject({ state: 'approved', approved_by: HUMAN, version: b.version + 1 });
        expect((await e.history.forPipeline(b.id)).at(-1)).toMatchObject({ from_state: 'pending_approval', to_state: 'approved', actor: HUMAN, details: `batch ${batchId}` });
      }
      expect(await e.pipelines.countsByState()).toEqual({ approved: 5 });
      expect((await e.audit.verify()).intact).toBe(true);
    });

    it('skips a book changed since the preview with the reason, and writes no row for it', async () => {
      const books = [];
      for (let i = 0; i < 4; i++) books.push(await book());
      const preview = await ops.batch.preview({}, { kind: 'approve' });
      // Another process (a person rejecting one by hand) changes a previewed book.
      const other = await o.another();
      await other.pipelines.transition({ id: books[2]!.id, from: 'pending_approval', to: 'rejected', actor: 'human:someone', note: 'no' });
      const r = await ops.batch.apply(preview, HUMAN);
      expect(r.affected_ids).toEqual([books[0]!.id, books[1]!.id, books[3]!.id]);
      expect(r.skipped).toEqual([{ id: books[2]!.id, why: 'changed since the preview (now rejected)' }]);
      expect((await e.audit.batchMembers(r.audit_id!)).map((x) => x.pipeline_id)).toEqual(r.affected_ids);
      expect(JSON.parse((await e.audit.get(r.audit_id!))!.details_json!)).toMatchObject({ planned: 3, skipped_at_start: 1 });
      expect((await e.pipelines.get(books[2]!.id))!.state).toBe('rejected');
      expect(await e.audit.batchApplied(r.audit_id!)).toBe(3);
    });

    it('rejects with the reason and the lease released; a book the move cannot make is skipped', async () => {
      const pending = await book();
      const queued = await book({ state: 'detected' });
      const preview = await ops.batch.preview({ states: ['pending_approval', 'detected'] }, { kind: 'reject', reason: 'not ours' });
      expect(preview.matched).toBe(2);
      const r = await ops.batch.apply(preview, HUMAN);
      expect(r.affected_ids.sort()).toEqual([pending.id, queued.id].sort());
      for (const id of [pending.id, queued.id]) {
        expect(await e.pipelines.get(id)).toMatchObject({ state: 'rejected', lease_owner: null, next_attempt_at: null });
      }
      const rows = await e.audit.batchMembers(r.audit_id!);
      expect(rows.map((x) => [x.action, x.reason])).toEqual([['REJECTED', 'not ours'], ['REJECTED', 'not ours']]);
      expect((await e.history.forPipeline(pending.id)).at(-1)!.details).toBe('not ours');
    });

    it('retries and re-prioritises per book from its current row; a rejected copy whose content is live again is skipped', async () => {
      const failed = await book({ state: 'failed', attempts: 5 });
      const waiting = await book({ state: 'needs_retry', attempts: 2 });
      const rejected = await book({ state: 'rejected', content_hash: 'h-shared' });
      const holder = await book({ state: 'detected', content_hash: 'h-shared' });
      const retry = await ops.batch.apply(await ops.batch.preview({ states: ['failed', 'needs_retry', 'rejected'] }, { kind: 'retry' }), HUMAN);
      expect(retry.affected_ids).toEqual([failed.id, waiting.id]);
      expect(retry.skipped).toEqual([{ id: rejected.id, why: `pipeline ${holder.id.slice(0, 8)} (detected) already holds the same content` }]);
      expect(await e.pipelines.get(failed.id)).toMatchObject({ state: 'needs_retry', attempts: 0 });
      expect(await e.pipelines.get(waiting.id)).toMatchObject({ state: 'needs_retry', attempts: 0, version: waiting.version + 1 });
      expect((await e.audit.batchMembers(retry.audit_id!)).map((x) => [x.action, x.before_value, x.after_value])).toEqual([
        ['BATCH_RETRIED', '"failed"', '"needs_retry"'],
        ['BATCH_RETRIED', '"needs_retry"', '"needs_retry"'],
      ]);

      const prio = await ops.batch.apply(await ops.batch.preview({ states: ['detected', 'needs_retry'] }, { kind: 'priority', priority: 1 }), HUMAN);
      expect(prio.affected_ids).toEqual([failed.id, waiting.id, holder.id]);
      expect(await e.pipelines.get(holder.id)).toMatchObject({ priority: 1, base_priority: 1 });
      expect((await e.queue.claimNext('w1', 60_000))!.pipeline.id).toBe(failed.id);
      expect((await e.audit.verify()).intact).toBe(true);
    });
  });

  describe('racing another process over the same books', () => {
    it('approve against a person rejecting the same books: each book moved once, audit rows exactly for the applied', async () => {
      const books = [];
      for (let i = 0; i < 40; i++) books.push(await book());
      const preview = await ops.batch.preview({}, { kind: 'approve' });
      const other = await o.another();
      // Every other book, from the newest down: the two meet in the middle of the batch.
      const rejecting = (async () => {
        const won: string[] = [];
        for (let i = books.length - 1; i >= 0; i -= 2) {
          try {
            await other.pipelines.transition({ id: books[i]!.id, from: 'pending_approval', to: 'rejected', actor: 'human:someone' });
            won.push(books[i]!.id);
          } catch (err) {
            if (!(err instanceof IllegalTransitionError)) throw err;
          }
        }
        return won;
      })();
      const [r, rejected] = await Promise.all([ops.batch.apply(preview, HUMAN), rejecting]);
      expect(r.skipped.every((x) => x.why === 'changed since the preview (now rejected)')).toBe(true);
      const applied = new Set(r.affected_ids);
      for (const id of rejected) expect(applied.has(id)).toBe(false);
      expect(r.affected + r.skipped.length).toBe(books.length);
      for (const b of books) {
        const now = (await e.pipelines.get(b.id))!;
        // Exactly one of the two changed it: no lost update, no double move.
        expect(now.version).toBe(b.version + 1);
        expect(now.state).toBe(applied.has(b.id) ? 'approved' : 'rejected');
      }
      expect((await e.audit.batchMembers(r.audit_id!)).map((x) => x.pipeline_id).sort()).toEqual([...applied].sort());
      expect(await e.audit.batchApplied(r.audit_id!)).toBe(applied.size);
      expect((await e.audit.verify()).intact).toBe(true);
    });

    // Only a server has writers that interleave inside a chunk: SQLite's chunk shuts them out.
    it.runIf(under.name === 'postgres')(
      'a book changed while the chunk waits for its lock (after the re-check) is skipped, and the change is kept',
      async () => {
        const books = [];
        for (let i = 0; i < 4; i++) books.push(await book());
        const preview = await ops.batch.preview({}, { kind: 'approve' });
        // Another session changes books[1] and holds its row lock, uncommitted.
        const pool = (e as PgEngine).pool;
        const holder = await pool.connect();
        try {
          await holder.query('BEGIN');
          await holder.query('UPDATE pipelines SET priority = 2, version = version + 1 WHERE id = $1', [books[1]!.id]);
          const applying = ops.batch.apply(preview, HUMAN);
          // The first chunk has re-checked the batch (old version, not blocked) and now waits
          // for books[1]'s lock: the event to wait for, read from the server.
          for (;;) {
            const waiting = await pool.query(
              `SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            );
            if (Number(waiting.rows[0].n) > 0) break;
            await new Promise((resolve) => setImmediate(resolve));
          }
          await holder.query('COMMIT');
          const r = await applying;
          expect(r.affected_ids).toEqual([books[0]!.id, books[2]!.id, books[3]!.id]);
          expect(r.skipped).toEqual([{ id: books[1]!.id, why: 'changed since the preview (now pending_approval)' }]);
          // Planned 4 (the re-check saw nothing changed), applied 3: the trail says what happened.
          expect(JSON.parse((await e.audit.get(r.audit_id!))!.details_json!)).toMatchObject({ planned: 4, skipped_at_start: 0 });
          expect(await e.audit.batchApplied(r.audit_id!)).toBe(3);
          expect((await e.audit.batchMembers(r.audit_id!)).map((x) => x.pipeline_id)).toEqual(r.affected_ids);
          expect(await e.pipelines.get(books[1]!.id)).toMatchObject({ state: 'pending_approval', priority: 2, version: books[1]!.version + 1 });
          expect((await e.audit.verify()).intact).toBe(true);
        } finally {
          holder.release();
        }
      },
    );

    it('retry against a worker claiming the same books: a claimed book is skipped, a reset one is claimed after', async () => {
      const books = [];
      for (let i = 0; i < 30; i++) books.push(await book({ state: 'needs_retry', attempts: 2 }));
      const preview = await ops.batch.preview({ states: ['needs_retry'] }, { kind: 'retry' });
      const worker = await o.another();
      const claiming = (async () => {
        const claimed: string[] = [];
        for (let i = 0; i < 10; i++) for (const c of await worker.queue.claimBatch('w-race', 60_000, 2)) claimed.push(c.pipeline.id);
        return claimed;
      })();
      const [r, claimed] = await Promise.all([ops.batch.apply(preview, HUMAN), claiming]);
      const applied = new Set(r.affected_ids);
      const took = new Set(claimed);
      expect(r.affected + r.skipped.length).toBe(books.length);
      for (const b of books) {
        const now = (await e.pipelines.get(b.id))!;
        const changes = (applied.has(b.id) ? 1 : 0) + (took.has(b.id) ? 1 : 0);
        expect({ id: b.id, version: now.version }).toEqual({ id: b.id, version: b.version + changes });
        // Reset to 0 by the batch then claimed: 1. Claimed first (batch skipped it): 3.
        if (took.has(b.id)) expect(now.attempts).toBe(applied.has(b.id) ? 1 : 3);
        else expect(now.attempts).toBe(applied.has(b.id) ? 0 : 2);
        if (!applied.has(b.id)) expect(took.has(b.id)).toBe(true);
      }
      expect((await e.audit.batchMembers(r.audit_id!)).map((x) => x.pipeline_id).sort()).toEqual([...applied].sort());
      expect((await e.audit.verify()).intact).toBe(true);
    });
  });
});
