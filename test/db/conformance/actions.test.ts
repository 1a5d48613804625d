/**
 * The actions group (approve, reject, rollback, setPriority, enqueue) and batch-queue's
 * `batches.queueMany` on every engine, driven through the services that use them (BookActions,
 * Enqueuer, queueHashedFiles), so the rules and audit rows under test are the shipped ones. What
 * is asserted is what a person sees afterwards: the book, its history, the audit trail, the
 * counts, and that a refusal or a failure leaves all of them as they were.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src/db/engine.js';
import type { EnqueueRecorded } from '../../../src/db/ops/actions.js';
import type { AuditRow } from '../../../src/db/audit.js';
import type { PipelineRow } from '../../../src/db/pipeline-row.js';
import type { PipelineState } from '../../../src/domain/states.js';
import { IllegalTransitionError, InputError, NotFoundError } from '../../../src/domain/errors.js';
import { BookActions } from '../../../src/ops/actions.js';
import { Enqueuer, enqueueRequest } from '../../../src/ops/enqueue.js';
import { queueHashedFiles } from '../../../src/ops/batch-queue.js';
import { autoApproval, AUTO_APPROVE_ACTOR } from '../../../src/worker/book-runner.js';
import { ENGINES, type Opened } from './engines.js';

const ANA = 'human:ana';

describe.each(ENGINES)('$name engine: actions and batch-queue', (under) => {
  if (under.skipReason) {
    it.skip(under.skipReason, () => undefined);
    return;
  }
  let o: Opened;
  let e: Engine;
  let actions: BookActions;
  let enqueuer: Enqueuer;
  let n = 0;
  beforeEach(async () => {
    o = await under.open();
    e = o.engine;
    actions = new BookActions(e);
    enqueuer = new Enqueuer(e);
  });
  afterEach(async () => {
    await o.close();
  });

  const seed = async (state: PipelineState, extra: { priority?: number; content_hash?: string; source_path?: string } = {}) => {
    const row = await e.pipelines.insert({ source_path: `/books/a${++n}.epub`, state, actor: 'system:test', ...extra });
    if (state !== 'pending_approval') return row;
    await o.exec(`UPDATE pipelines SET confidence = 0.75 WHERE id = '${row.id}'`);
    return (await e.pipelines.get(row.id))!;
  };
  /** Everything a person could look at for one book, to show a refusal changed none of it. */
  const snapshot = async (id: string) => ({
    book: await e.pipelines.get(id),
    history: (await e.history.forPipeline(id)).length,
    audit: await e.audit.head(),
    counts: await e.pipelines.countsByState(),
  });
  const auditOf = async (id: number): Promise<AuditRow> => (await e.audit.get(id))!;
  const record = (path: string, hash: string, extra: { priority?: number; engine?: Engine } = {}) =>
    new Enqueuer(extra.engine ?? e).record({ path, hash, size: 10, priority: extra.priority ?? 5, actor: ANA });

  describe('approve', () => {
    it('moves a pending book to approved with its history and one APPROVED row, in one operation', async () => {
      const book = await seed('pending_approval');
      const headBefore = await e.audit.head();
      o.clock.advance(1000);
      const out = await actions.approve(book.id, ANA, { reason: 'looks right' });
      expect(out.pipeline).toMatchObject({ id: book.id, state: 'approved', approved_by: ANA, version: book.version + 1, last_actor: ANA, transition_note: 'looks right' });
      expect(await e.pipelines.get(book.id)).toEqual(out.pipeline);
      const head = await e.audit.head();
      expect(head.count).toBe(headBefore.count + 1);
      expect(out.auditId).toBe(head.id);
      expect(await auditOf(out.auditId)).toMatchObject({
        action: 'APPROVED', actor: ANA, pipeline_id: book.id, reason: 'looks right',
        before_value: '"pending_approval"', after_value: '"approved"', confidence: 0.75, at: o.clock(),
      });
      const history = await e.history.forPipeline(book.id);
      expect(history.at(-1)).toMatchObject({ from_state: 'pending_approval', to_state: 'approved', actor: ANA, duration_ms: 1000 });
      expect(await e.pipelines.countsByState()).toEqual({ approved: 1 });
    });

    it('refuses a book that is not pending approval, and a book that does not exist, writing nothing', async () => {
      const book = await seed('detected');
      const before = await snapshot(book.id);
      await expect(actions.approve(book.id, ANA)).rejects.toThrow(IllegalTransitionError);
      await expect(actions.approve(book.id, ANA)).rejects.toThrow(/cannot approve pipeline .*: it is detected, and only pending_approval can be approved/);
      await expect(actions.approve('f'.repeat(32), ANA)).rejects.toBeInstanceOf(NotFoundError);
      expect(await snapshot(book.id)).toEqual(before);
    });

    it('writes the audit row in the same transaction: when the row cannot be written, the book does not move', async () => {
      const book = await seed('pending_approval');
      const before = await snapshot(book.id);
      const approval = actions.approval(book.id, ANA);
      await expect(
        e.actions.approve({
          ...approval,
          audit: () => {
            throw new Error('no audit row today');
          },
        }),
      ).rejects.toThrow(/no audit row today/);
      // The database itself refuses this row (an actor with no kind): the move is undone too.
      await expect(e.actions.approve({ ...approval, audit: (b, a) => ({ ...approval.audit(b, a), actor: 'nobody' }) })).rejects.toThrow();
      expect(await snapshot(book.id)).toEqual(before);
      expect((await actions.approve(book.id, ANA)).pipeline.state).toBe('approved');
    });

    it('two hosts approving the same book at once: one approves it, the other is refused', async () => {
      const other = new BookActions(await o.another());
      for (let round = 0; round < 5; round++) {
        const book = await seed('pending_approval');
        const results = await Promise.allSettled([actions.approve(book.id, ANA), other.approve(book.id, 'human:bo')]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect(lost.reason).toBeInstanceOf(IllegalTransitionError);
        expect(String(lost.reason.message)).toMatch(/it is approved/);
        const rows = await e.audit.query({ pipelineId: book.id });
        expect(rows.map((r) => r.action)).toEqual(['APPROVED']);
        expect((await e.history.forPipeline(book.id)).map((h) => h.to_state)).toEqual(['pending_approval', 'approved']);
      }
      expect((await e.audit.verify()).intact).toBe(true);
    });
  });

  describe('reject', () => {
    it('rejects a waiting book with its reason and releases a lease it still carries', async () => {
      await seed('detected');
      const claimed = (await e.queue.claimNext('w1', 60_000))!;
      // A book sent back to wait while its lease columns were left behind.
      await o.exec(`UPDATE pipelines SET state = 'needs_retry' WHERE id = '${claimed.pipeline.id}'`);
      const out = await actions.reject(claimed.pipeline.id, ANA, 'not a book');
      expect(out.pipeline).toMatchObject({ state: 'rejected', lease_owner: null, lease_token: null, lease_expires_at: null, transition_note: 'not a book' });
      expect(await auditOf(out.auditId)).toMatchObject({ action: 'REJECTED', reason: 'not a book', before_value: '"needs_retry"', after_value: '"rejected"' });
    });

    it('refuses without a reason, or a book being processed, writing nothing', async () => {
      const book = await seed('processing');
      const before = await snapshot(book.id);
      await expect(actions.reject(book.id, ANA, '  ')).rejects.toBeInstanceOf(InputError);
      await expect(actions.reject(book.id, ANA, 'no')).rejects.toThrow(/cannot reject pipeline .*: it is processing/);
      expect(await snapshot(book.id)).toEqual(before);
    });
  });

  describe('rollback', () => {
    /** A complete book with two chapters and three chunks in the library. */
    const completeBook = async () => {
      await seed('detected');
      const c = (await e.queue.claimNext('w1', 60_000))!;
      const id = c.pipeline.id;
      await o.exec(`UPDATE pipelines SET state = 'processing' WHERE id = '${id}'`);
      await e.library.commitStage({
        id, from: 'processing', leaseToken: c.leaseToken, actor: 'system:worker:w1',
        outcome: {
          to: 'validating',
          library: {
            kind: 'replace',
            book: {
              pipelineId: id, title: 'T', author: 'A', language: 'en', format: 'txt', bookType: 'fiction', strategy: 'fiction', createdAt: 1,
              chapters: [{ ord: 0, title: 'One', wordCount: 3 }, { ord: 1, title: 'Two', wordCount: 3 }],
              chunks: [
                { ord: 0, chapterOrd: 0, text: 'a b', wordCount: 2 },
                { ord: 1, chapterOrd: 0, text: 'c', wordCount: 1 },
                { ord: 2, chapterOrd: 1, text: 'd e f', wordCount: 3 },
              ],
            },
          },
        },
      });
      await o.exec(`UPDATE pipelines SET state = 'complete', lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL WHERE id = '${id}'`);
      return (await e.pipelines.get(id))!;
    };

    it('archives a complete book and removes its library rows, reporting how many', async () => {
      const book = await completeBook();
      const keep = await completeBook();
      const out = await actions.rollback(book.id, ANA, 'wrong edition');
      expect(out.removed).toEqual({ chapters: 2, chunks: 3 });
      expect(out.pipeline).toMatchObject({ state: 'archived', transition_note: 'wrong edition' });
      expect(await e.library.counts(book.id)).toEqual({ chapters: 0, chunks: 0, embedded: 0 });
      expect(await e.library.chunks(book.id)).toEqual([]);
      expect(await e.library.counts(keep.id)).toEqual({ chapters: 2, chunks: 3, embedded: 0 });
      const row = await auditOf(out.auditId);
      expect(row).toMatchObject({ action: 'ROLLED_BACK', reason: 'wrong edition', before_value: '"complete"', after_value: '"archived"' });
      expect(JSON.parse(row.details_json!)).toEqual({ removed: { chapters: 2, chunks: 3 } });
    });

    it('refuses a book that is not complete and keeps its library; a failed audit row keeps it too', async () => {
      const book = await completeBook();
      await o.exec(`UPDATE pipelines SET state = 'validating' WHERE id = '${book.id}'`);
      const before = await snapshot(book.id);
      await expect(actions.rollback(book.id, ANA, 'r')).rejects.toThrow(/cannot roll back pipeline .*: it is validating, and only complete can be rolled back/);
      expect(await snapshot(book.id)).toEqual(before);
      expect(await e.library.counts(book.id)).toEqual({ chapters: 2, chunks: 3, embedded: 0 });
      await o.exec(`UPDATE pipelines SET state = 'complete' WHERE id = '${book.id}'`);
      await expect(
        e.actions.rollback({ id: book.id, actor: ANA, reason: 'r', check: () => undefined, audit: () => ({ action: 'ROLLED_BACK', actor: 'nobody' }) }),
      ).rejects.toThrow();
      expect(await e.library.counts(book.id)).toEqual({ chapters: 2, chunks: 3, embedded: 0 });
      expect((await e.pipelines.get(book.id))!.state).toBe('complete');
    });
  });

  describe('setPriority', () => {
    it('sets base and effective priority, moves the queue counts, and audits the change', async () => {
      const book = await seed('detected');
      await o.exec(`UPDATE pipelines SET priority = 3 WHERE id = '${book.id}'`); // aged
      const out = await actions.setPriority(book.id, 1, ANA, { reason: 'urgent' });
      expect(out).toMatchObject({ changed: true, pipeline: { priority: 1, base_priority: 1, state: 'detected', version: book.version + 1 } });
      expect(await e.queue.queuedByPriority()).toMatchObject({ 1: 1, 3: 0, 5: 0 });
      expect(await auditOf(out.auditId!)).toMatchObject({ action: 'PRIORITY_CHANGED', reason: 'urgent', before_value: '3', after_value: '1' });
      expect(JSON.parse((await auditOf(out.auditId!)).details_json!)).toEqual({ state: 'detected' });
      // No state change, no history row.
      expect(await e.history.forPipeline(book.id)).toHaveLength(1);
    });

    it('asking for the priority a book has writes nothing', async () => {
      const book = await seed('detected', { priority: 4 });
      const before = await snapshot(book.id);
      const out = await actions.setPriority(book.id, 4, ANA);
      expect(out).toEqual({ pipeline: before.book, auditId: null, changed: false });
      expect(await snapshot(book.id)).toEqual(before);
    });

    it('refuses a book that will not be claimed again, writing nothing', async () => {
      const book = await seed('complete');
      const before = await snapshot(book.id);
      await expect(actions.setPriority(book.id, 2, ANA)).rejects.toThrow(/cannot set the priority of pipeline .*: it is complete/);
      expect(await snapshot(book.id)).toEqual(before);
    });
  });

  describe('enqueue', () => {
    it('queued, already queued, duplicate, the duplicate again, and requeued after a rejection', async () => {
      const first = await record('/in/a.epub', 'h-a', { priority: 3 });
      expect(first).toMatchObject({ outcome: 'queued', duplicateOf: null, pipeline: { source_path: '/in/a.epub', content_hash: 'h-a', format: 'epub', state: 'detected', priority: 3, size: 10 } });
      expect(await auditOf(first.auditId!)).toMatchObject({ action: 'QUEUED', pipeline_id: first.pipeline.id, after_value: '"detected"', batch_id: null });

      const again = await record('/in/a.epub', 'h-a');
      expect(again).toEqual({ outcome: 'already_queued', pipeline: first.pipeline, duplicateOf: first.pipeline.id, auditId: null });

      const copy = await record('/in/copy.epub', 'h-a');
      expect(copy).toMatchObject({ outcome: 'duplicate', duplicateOf: first.pipeline.id, pipeline: { state: 'duplicate', duplicate_of: first.pipeline.id } });
      expect(copy.pipeline.transition_note).toBe(`same content as ${first.pipeline.id.slice(0, 8)}`);
      expect(await auditOf(copy.auditId!)).toMatchObject({ action: 'DUPLICATE_DETECTED', pipeline_id: copy.pipeline.id, after_value: '"duplicate"' });

      const copyAgain = await record('/in/copy.epub', 'h-a');
      expect(copyAgain).toEqual({ outcome: 'already_queued', pipeline: copy.pipeline, duplicateOf: first.pipeline.id, auditId: null });

      await actions.reject(first.pipeline.id, ANA, 'later');
      await o.exec(`UPDATE pipelines SET attempts = 2, error_json = '{"x":1}' WHERE id = '${first.pipeline.id}'`);
      const back = await record('/in/moved/a.epub', 'h-a', { priority: 7 });
      expect(back).toMatchObject({
        outcome: 'requeued', duplicateOf: null,
        pipeline: { id: first.pipeline.id, state: 'detected', source_path: '/in/moved/a.epub', priority: 7, base_priority: 7, attempts: 0, error_json: null, transition_note: 'requeued' },
      });
      expect(await auditOf(back.auditId!)).toMatchObject({ action: 'REQUEUED', before_value: '"rejected"', after_value: '"detected"' });
      expect(await e.pipelines.countsByState()).toEqual({ detected: 1, duplicate: 1 });
      expect((await e.audit.query({ pipelineId: first.pipeline.id })).map((r) => r.action)).toEqual(['REQUEUED', 'REJECTED', 'QUEUED']);
    });

    it('two hosts recording the same content at once: one live book, the other a duplicate or already queued, never an error', async () => {
      const other = await o.another();
      for (let i = 0; i < 8; i++) {
        // Different paths: one queued, one duplicate of it.
        const [a, b] = await Promise.all([record(`/x/${i}.epub`, `race-${i}`), record(`/y/${i}.epub`, `race-${i}`, { engine: other })]);
        expect([a.outcome, b.outcome].sort()).toEqual(['duplicate', 'queued']);
        const live = [a, b].find((r) => r.outcome === 'queued')!;
        expect([a, b].find((r) => r.outcome === 'duplicate')!.duplicateOf).toBe(live.pipeline.id);
        // The same path from both: one queued, one already queued.
        const [c, d] = await Promise.all([record(`/z/${i}.epub`, `same-${i}`), record(`/z/${i}.epub`, `same-${i}`, { engine: other })]);
        expect([c.outcome, d.outcome].sort()).toEqual(['already_queued', 'queued']);
      }
      expect(await e.pipelines.countsByState()).toEqual({ detected: 16, duplicate: 8 });
      expect((await e.audit.head()).count).toBe(24);
      expect((await e.audit.verify()).intact).toBe(true);
    });

    it('two hosts requeueing the same rejected book at once: it is requeued once', async () => {
      const other = await o.another();
      for (let i = 0; i < 5; i++) {
        const first = await record(`/r/${i}.epub`, `again-${i}`);
        await actions.reject(first.pipeline.id, ANA, 'no');
        const [a, b] = await Promise.all([record(`/r/${i}.epub`, `again-${i}`), record(`/r/${i}.epub`, `again-${i}`, { engine: other })]);
        expect([a.outcome, b.outcome].sort()).toEqual(['already_queued', 'requeued']);
        expect(a.pipeline.id).toBe(first.pipeline.id);
        expect(b.pipeline.id).toBe(first.pipeline.id);
      }
      expect(await e.pipelines.countsByState()).toEqual({ detected: 5 });
    });
  });

  describe('batches.queueMany (batch-queue)', () => {
    const options = { priority: 4, actor: ANA, dir: '/in', pattern: '*.epub' } as const;
    const file = (path: string, hash: string) => ({ path, hash, size: 10 });

    it('records every kind of outcome under one BATCH_QUEUED header that lists exactly what was recorded', async () => {
      const live = await record('/in/live.epub', 'h-live');
      const gone = await record('/in/gone.epub', 'h-gone');
      await actions.reject(gone.pipeline.id, ANA, 'no');
      const headBefore = await e.audit.head();

      const { results, batchId } = await queueHashedFiles(
        e,
        [
          file('/in/new.epub', 'h-new'),
          file('/in/live.epub', 'h-live'), // already queued
          file('/in/live-copy.epub', 'h-live'), // duplicate of an existing book
          file('/in/gone.epub', 'h-gone'), // requeued
          file('/in/new-copy.epub', 'h-new'), // duplicate of a book this batch queues
          file('/in/other.epub', 'h-other'),
        ],
        options,
      );
      expect(results.map((r) => r.outcome)).toEqual(['queued', 'already_queued', 'duplicate', 'requeued', 'duplicate', 'queued']);
      expect(results[1]!.pipeline.id).toBe(live.pipeline.id);
      expect(results[2]!.duplicateOf).toBe(live.pipeline.id);
      expect(results[3]!.pipeline.id).toBe(gone.pipeline.id);
      expect(results[4]!.duplicateOf).toBe(results[0]!.pipeline.id);

      // The header comes first, and names the books as they were recorded (the plan is what was written).
      expect(batchId).toBe(headBefore.id + 1);
      const header = await auditOf(batchId!);
      expect(header).toMatchObject({ action: 'BATCH_QUEUED', actor: ANA, pipeline_id: null, batch_id: null });
      const recorded = results.filter((r) => r.outcome !== 'already_queued');
      expect(JSON.parse(header.ids_json!)).toEqual(recorded.map((r) => r.pipeline.id));
      expect(JSON.parse(header.details_json!)).toEqual({ priority: 4, queued: 2, requeued: 1, duplicates: 2 });
      expect(JSON.parse(header.filter_json!)).toEqual({ dir: '/in', pattern: '*.epub' });

      // Then each recorded book's own row, in file order, pointing at the header.
      expect(recorded.map((r) => r.auditId)).toEqual([batchId! + 1, batchId! + 2, batchId! + 3, batchId! + 4, batchId! + 5]);
      expect(results[1]!.auditId).toBeNull();
      const members = await e.audit.batchMembers(batchId!);
      expect(members.map((m) => [m.id, m.pipeline_id, m.action, m.batch_id])).toEqual(
        recorded.map((r) => [r.auditId, r.pipeline.id, { queued: 'QUEUED', requeued: 'REQUEUED', duplicate: 'DUPLICATE_DETECTED' }[r.outcome as string], batchId]),
      );
      for (const r of recorded) expect(await e.pipelines.get(r.pipeline.id)).toEqual(r.pipeline);
      expect(await e.pipelines.countsByState()).toEqual({ detected: 4, duplicate: 2 });
      expect((await e.audit.head()).count).toBe(headBefore.count + 6);
      expect((await e.audit.verify()).intact).toBe(true);
    });

    it('nothing to record (every file already queued): no header, no rows', async () => {
      await record('/in/a.epub', 'h-a');
      const head = await e.audit.head();
      const out = await queueHashedFiles(e, [file('/in/a.epub', 'h-a')], options);
      expect(out.batchId).toBeNull();
      expect(out.results.map((r) => r.outcome)).toEqual(['already_queued']);
      expect(await e.audit.head()).toEqual(head);
    });

    it('is all or nothing: a file that cannot be recorded leaves no book, no history and no audit row', async () => {
      await record('/in/before.epub', 'h-before');
      const head = await e.audit.head();
      const counts = await e.pipelines.countsByState();
      const good = enqueueRequest({ path: '/in/ok.epub', hash: 'h-ok', size: 1, priority: 5, actor: ANA });
      const bad = {
        ...enqueueRequest({ path: '/in/bad.epub', hash: 'h-bad', size: 1, priority: 5, actor: ANA }),
        audit: () => {
          throw new Error('cannot describe this file');
        },
      };
      const header = (plan: readonly EnqueueRecorded[]) => ({ action: 'BATCH_QUEUED', actor: ANA, ids: plan.map((r) => r.pipeline.id) });
      await expect(e.batches.queueMany({ files: [good, bad], header })).rejects.toThrow(/cannot describe this file/);
      // A header the database refuses undoes the books too.
      await expect(e.batches.queueMany({ files: [good], header: () => ({ action: 'not an action', actor: ANA }) })).rejects.toThrow();
      await expect(
        e.batches.queueMany({
          files: [good],
          header: () => {
            throw new Error('no header');
          },
        }),
      ).rejects.toThrow(/no header/);
      expect(await e.audit.head()).toEqual(head);
      expect(await e.pipelines.countsByState()).toEqual(counts);
      expect(await e.pipelines.findByHash('h-ok')).toEqual([]);
      expect(await e.pipelines.list()).toHaveLength(1);
    });

    it('keeps the ids a caller fixed for the rows it creates', async () => {
      const id = 'abcdef00000000000000000000000001';
      const req = { ...enqueueRequest({ path: '/in/fixed.epub', hash: 'h-fixed', size: 1, priority: 5, actor: ANA, id }) };
      const out = await e.batches.queueMany({ files: [req], header: () => null });
      expect(out).toMatchObject({ batchId: null, results: [{ outcome: 'queued', pipeline: { id } }] });
      expect((await auditOf(out.results[0]!.auditId!)).batch_id).toBeNull();
    });

    it('two hosts queueing overlapping folders at once: each content has one live book, and both batches are whole', async () => {
      const other = await o.another();
      const files = Array.from({ length: 30 }, (_, i) => file(`/in/${i}.epub`, `h-${i}`));
      const mirrored = files.map((f) => file(f.path.replace('/in/', '/mirror/'), f.hash)).reverse();
      const [a, b] = await Promise.all([queueHashedFiles(e, files, options), queueHashedFiles(other, mirrored, options)]);
      const outcomes = [...a.results, ...b.results].map((r) => r.outcome);
      expect(outcomes.filter((x) => x === 'queued')).toHaveLength(30);
      expect(outcomes.filter((x) => x === 'duplicate')).toHaveLength(30);
      expect(await e.pipelines.countsByState()).toEqual({ detected: 30, duplicate: 30 });
      for (const batch of [a, b]) expect(await e.audit.batchMembers(batch.batchId!)).toHaveLength(30);
      expect((await e.audit.verify()).intact).toBe(true);
    });
  });
});

describe('one APPROVED row, however a book is approved', () => {
  it('the worker’s auto-approve rule writes the row BookActions writes for the same approval', () => {
    const book = { id: 'a'.repeat(32), state: 'pending_approval', confidence: 0.95 } as PipelineRow;
    const auto = autoApproval({ enabled: true, min_confidence: 0.9 }, book)!;
    const byHand = new BookActions({} as Engine).approval(book.id, AUTO_APPROVE_ACTOR, { reason: auto.note! });
    expect(auto.audit).toEqual(byHand.audit(book, { ...book, state: 'approved' }));
    expect(auto.audit).toMatchObject({ action: 'APPROVED', before: 'pending_approval', after: 'approved', confidence: 0.95 });
  });
});
