/**
 * The worker's engine operations on every engine: the stage commit (library.commitStage /
 * failStage, with the live-copy decision and the follow-up called inside the transaction) and
 * the queue's lease operations (heldBy, giveUpLease, rescueExpired, setBreakerState,
 * waitingForRetry). The policies are the worker's own (hashing's duplicate rule, the
 * auto-approve rule, the lease-rescue plan), so what is tested is what a worker does.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src/db/engine.js';
import type { LibraryBook, StageCommit } from '../../../src/db/ops/library.js';
import type { PipelineRow } from '../../../src/db/pipeline-row.js';
import { LeaseLostError } from '../../../src/domain/errors.js';
import { autoApproval, AUTO_APPROVE_ACTOR } from '../../../src/worker/book-runner.js';
import { leaseRescuePlan } from '../../../src/worker/lease-rescue.js';
import { decideLiveCopy } from '../../../src/worker/stages/hashing.js';
import { ENGINES, type Opened } from './engines.js';

const ACTOR = 'system:worker:w1';

const book = (id: string, chunkChapter = 0): LibraryBook => ({
  pipelineId: id,
  title: 'T',
  author: 'A',
  language: 'en',
  format: 'txt',
  bookType: 'fiction',
  strategy: 'fiction',
  chapters: [
    { ord: 0, title: 'One', wordCount: 3 },
    { ord: 1, title: 'Two', wordCount: 2 },
  ],
  chunks: [
    { ord: 0, chapterOrd: 0, text: 'a b c', wordCount: 3 },
    { ord: 1, chapterOrd: chunkChapter, text: 'd e', wordCount: 2 },
  ],
  createdAt: 1,
});

describe.each(ENGINES)('$name engine: the worker’s operations', (under) => {
  if (under.skipReason) {
    it.skip(under.skipReason, () => undefined);
    return;
  }
  let o: Opened;
  let e: Engine;
  let n = 0;
  beforeEach(async () => {
    o = await under.open();
    e = o.engine;
  });
  afterEach(async () => {
    await o.close();
  });

  const seed = (extra: { priority?: number } = {}) =>
    e.pipelines.insert({ source_path: `/books/w${++n}.txt`, state: 'detected', actor: 'system:test', ...extra });
  /** A claimed book moved on to `state` under its lease (as the stages before it would have). */
  const claimedIn = async (state: string, engine: Engine = e, worker = 'w1') => {
    const c = (await engine.queue.claimNext(worker, 60_000))!;
    if (state !== 'hashing') await o.exec(`UPDATE pipelines SET state = '${state}' WHERE id = '${c.pipeline.id}'`);
    return { id: c.pipeline.id, token: c.leaseToken, row: (await e.pipelines.get(c.pipeline.id))! };
  };
  const hashCommit = (self: PipelineRow, token: string, hash: string): StageCommit => ({
    id: self.id,
    from: 'hashing',
    leaseToken: token,
    actor: ACTOR,
    outcome: { to: 'classifying', patch: { content_hash: hash, size: 10, format: 'txt' } },
    liveCopy: { hash, decide: (copy) => decideLiveCopy(self, ACTOR, { hash, size: 10, format: 'txt' }, copy) },
  });

  describe('library.commitStage', () => {
    it('is one transaction: a library write that fails leaves the book, its history and the audit as they were', async () => {
      await seed();
      const { id, token } = await claimedIn('processing');
      const historyBefore = (await e.history.forPipeline(id)).length;
      const auditBefore = await e.audit.head();
      await expect(
        e.library.commitStage({
          id, from: 'processing', leaseToken: token, actor: ACTOR,
          outcome: {
            to: 'validating',
            library: { kind: 'replace', book: book(id, 7) }, // a chunk in a chapter that does not exist
            audit: [{ action: 'REJECTED', actor: ACTOR, pipeline_id: id }],
          },
        }),
      ).rejects.toThrow(/unknown chapter 7/);
      expect((await e.pipelines.get(id))!.state).toBe('processing');
      expect(await e.history.forPipeline(id)).toHaveLength(historyBefore);
      expect(await e.audit.head()).toEqual(auditBefore);
      expect(await e.library.counts(id)).toEqual({ chapters: 0, chunks: 0, embedded: 0 });
    });

    it('writes the library with the move, replaces it on a re-run, and stores embeddings', async () => {
      await seed();
      const { id, token } = await claimedIn('processing');
      const after = await e.library.commitStage({
        id, from: 'processing', leaseToken: token, actor: ACTOR,
        outcome: { to: 'validating', library: { kind: 'replace', book: book(id) }, audit: [{ action: 'REJECTED', actor: ACTOR, pipeline_id: id, reason: 'r' }] },
      });
      expect(after).toMatchObject({ state: 'validating', lease_owner: 'w1', version: 2 });
      expect(await e.library.counts(id)).toEqual({ chapters: 2, chunks: 2, embedded: 0 });
      expect((await e.library.chunks(id)).map((c) => [c.ord, c.text])).toEqual([[0, 'a b c'], [1, 'd e']]);
      expect((await e.audit.query({ pipelineId: id })).map((r) => [r.action, r.reason])).toEqual([['REJECTED', 'r']]);
      // validating → processing (the fallback re-run) replaces the rows, no leftovers.
      await e.library.commitStage({ id, from: 'validating', leaseToken: token, actor: ACTOR, outcome: { to: 'processing' } });
      await e.library.commitStage({
        id, from: 'processing', leaseToken: token, actor: ACTOR,
        outcome: { to: 'validating', library: { kind: 'replace', book: { ...book(id), chunks: book(id).chunks.slice(0, 1) } } },
      });
      // (validating → pending_approval → approved → claimed again: straight to embedding here.)
      await o.exec(`UPDATE pipelines SET state = 'embedding' WHERE id = '${id}'`);
      const chunks = await e.library.chunks(id);
      expect(chunks.map((c) => c.text)).toEqual(['a b c']);
      await e.library.commitStage({
        id, from: 'embedding', leaseToken: token, actor: ACTOR,
        outcome: { to: 'complete', releaseLease: true, library: { kind: 'embeddings', vectors: chunks.map((c) => ({ id: c.id, vector: new Float32Array([1, 2, 3]) })) } },
      });
      expect(await e.library.counts(id)).toEqual({ chapters: 2, chunks: 1, embedded: 1 });
      expect(await o.rows('SELECT length(embedding) AS n FROM chunks')).toEqual([{ n: 12 }]);
      expect((await e.pipelines.get(id))!).toMatchObject({ state: 'complete', lease_owner: null, completed_at: o.clock() });
    });

    it('refuses a stale lease token and writes nothing', async () => {
      await seed();
      const { id } = await claimedIn('hashing');
      await expect(
        e.library.commitStage({ id, from: 'hashing', leaseToken: 'someone-else', actor: ACTOR, outcome: { to: 'classifying', library: { kind: 'replace', book: book(id) } } }),
      ).rejects.toBeInstanceOf(LeaseLostError);
      expect(await e.library.counts(id)).toEqual({ chapters: 0, chunks: 0, embedded: 0 });
      expect((await e.pipelines.get(id))!.state).toBe('hashing');
    });

    it('runs the auto-approve follow-up in the same transaction, with its APPROVED audit row after the stage’s own', async () => {
      await seed();
      const { id, token } = await claimedIn('validating');
      await o.exec(`UPDATE pipelines SET confidence = 0.95 WHERE id = '${id}'`);
      const rule = { enabled: true, min_confidence: 0.9 };
      const after = await e.library.commitStage({
        id, from: 'validating', leaseToken: token, actor: ACTOR,
        outcome: { to: 'pending_approval', releaseLease: true, audit: [{ action: 'VALIDATED', actor: ACTOR, pipeline_id: id }] },
        followUp: (row) => autoApproval(rule, row),
      });
      expect(after).toMatchObject({ state: 'approved', approved_by: AUTO_APPROVE_ACTOR, lease_owner: null });
      const audit = await e.audit.query({ pipelineId: id });
      expect(audit.map((r) => r.action)).toEqual(['APPROVED', 'VALIDATED']);
      expect(audit[0]).toMatchObject({ actor: AUTO_APPROVE_ACTOR, reason: 'auto-approve rule: confidence 0.95 >= 0.9' });
      expect((await e.history.forPipeline(id)).slice(-2).map((h) => [h.to_state, h.actor])).toEqual([
        ['pending_approval', ACTOR],
        ['approved', AUTO_APPROVE_ACTOR],
      ]);
      expect((await e.audit.verify()).intact).toBe(true);
    });

    it('live copy queued later and not yet past hashing: the copy is demoted, this book goes on', async () => {
      // Same millisecond: insertion order decides which was queued first.
      const first = await seed({ priority: 9 });
      const second = await seed({ priority: 1 });
      const b = await claimedIn('hashing'); // the urgent one, queued second
      expect(b.id).toBe(second.id);
      await e.library.commitStage(hashCommit(b.row, b.token, 'h1'));
      const a = await claimedIn('hashing', e, 'w2');
      expect(a.id).toBe(first.id);
      const after = await e.library.commitStage(hashCommit(a.row, a.token, 'h1'));
      expect(after).toMatchObject({ id: first.id, state: 'classifying', content_hash: 'h1' });
      expect(await e.pipelines.get(second.id)).toMatchObject({ state: 'duplicate', duplicate_of: first.id, lease_owner: null, lease_token: null });
      expect((await e.pipelines.findLiveByHash('h1'))!.id).toBe(first.id);
      const audit = await e.audit.query({ action: 'DUPLICATE_DETECTED' });
      expect(audit.map((r) => [r.pipeline_id, r.before_value, r.after_value])).toEqual([[second.id, '"classifying"', '"duplicate"']]);
      // b's worker loses its next swap.
      await expect(e.library.commitStage({ id: b.id, from: 'classifying', leaseToken: b.token, actor: ACTOR, outcome: { to: 'selecting_strategy' } })).rejects.toThrow();
    });

    it('live copy queued first: this book becomes the duplicate instead', async () => {
      const first = await seed({ priority: 1 });
      o.clock.advance(5);
      const second = await seed({ priority: 9 });
      const a = await claimedIn('hashing');
      await e.library.commitStage(hashCommit(a.row, a.token, 'h2'));
      const b = await claimedIn('hashing', e, 'w2');
      const after = await e.library.commitStage({ ...hashCommit(b.row, b.token, 'h2'), outcome: { to: 'classifying', releaseLease: false } });
      expect(after).toMatchObject({ id: second.id, state: 'duplicate', duplicate_of: first.id, content_hash: 'h2' });
      expect((await e.pipelines.get(first.id))!.state).toBe('classifying');
      expect((await e.audit.query({ pipelineId: second.id })).map((r) => r.action)).toEqual(['DUPLICATE_DETECTED']);
    });

    it('two connections hashing copies of one content at once: the one queued first is the original, every time', async () => {
      const other = await o.another();
      for (let i = 0; i < 8; i++) {
        const first = await seed();
        const second = await seed();
        const hash = `race${i}`;
        const c1 = (await e.queue.claimNext('w1', 60_000))!;
        const c2 = (await other.queue.claimNext('w2', 60_000))!;
        const held = new Map([[c1.pipeline.id, c1], [c2.pipeline.id, c2]]);
        const a = held.get(first.id)!;
        const b = held.get(second.id)!;
        const [ra, rb] = await Promise.allSettled([
          e.library.commitStage(hashCommit(a.pipeline, a.leaseToken, hash)),
          other.library.commitStage(hashCommit(b.pipeline, b.leaseToken, hash)),
        ]);
        expect(ra.status, String((ra as PromiseRejectedResult).reason)).toBe('fulfilled');
        // The second either became the duplicate itself, or was demoted (then its own commit
        // lost the swap, as a worker's does).
        if (rb.status === 'rejected') expect(String(rb.reason)).toMatch(/duplicate|lease|changed/i);
        expect((await e.pipelines.get(first.id))!.state).toBe('classifying');
        expect(await e.pipelines.get(second.id)).toMatchObject({ state: 'duplicate', duplicate_of: first.id });
      }
      expect((await e.audit.verify()).intact).toBe(true);
    });
  });

  describe('library.failStage', () => {
    it('records the failure, releases the lease and clears the library when asked', async () => {
      await seed();
      const { id, token } = await claimedIn('processing');
      await e.library.commitStage({ id, from: 'processing', leaseToken: token, actor: ACTOR, outcome: { to: 'validating', library: { kind: 'replace', book: book(id) } } });
      await expect(
        e.library.failStage({ id, from: 'validating', leaseToken: 'stale', actor: ACTOR, to: 'failed', note: 'x', patch: {}, clearLibrary: true }),
      ).rejects.toBeInstanceOf(LeaseLostError);
      expect((await e.library.counts(id)).chunks).toBe(2);
      const after = await e.library.failStage({
        id, from: 'validating', leaseToken: token, actor: ACTOR, to: 'failed', note: 'validating: broken',
        patch: { error_json: '{"code":"x"}', next_attempt_at: null }, clearLibrary: true,
      });
      expect(after).toMatchObject({ state: 'failed', lease_owner: null, lease_token: null, error_json: '{"code":"x"}' });
      expect(await e.library.counts(id)).toEqual({ chapters: 0, chunks: 0, embedded: 0 });
      expect((await e.history.forPipeline(id)).at(-1)).toMatchObject({ from_state: 'validating', to_state: 'failed', details: 'validating: broken' });
    });

    it('a retry keeps the library (rewritten on the next run)', async () => {
      await seed();
      const { id, token } = await claimedIn('processing');
      await e.library.commitStage({ id, from: 'processing', leaseToken: token, actor: ACTOR, outcome: { to: 'validating', library: { kind: 'replace', book: book(id) } } });
      const retryAt = o.clock() + 30_000;
      const after = await e.library.failStage({
        id, from: 'validating', leaseToken: token, actor: ACTOR, to: 'needs_retry', note: 'later',
        patch: { error_json: '{"code":"t"}', next_attempt_at: retryAt }, clearLibrary: false,
      });
      expect(after).toMatchObject({ state: 'needs_retry', next_attempt_at: retryAt, lease_owner: null });
      expect((await e.library.counts(id)).chunks).toBe(2);
      expect(await e.queue.waitingForRetry()).toBe(1);
      o.clock.advance(30_001);
      expect(await e.queue.waitingForRetry()).toBe(0);
    });
  });

  describe('queue lease operations', () => {
    it('heldBy, giveUpLease, rescueExpired (guarded, idempotent), waitingForRetry', async () => {
      await seed();
      const { id, token } = await claimedIn('hashing');
      expect(await e.queue.heldBy('w1')).toEqual([{ id, leaseToken: token }]);
      expect(await e.queue.giveUpLease({ id, leaseToken: 'stale', owner: 'w1:gave-up' })).toBe(false);
      expect(await e.queue.giveUpLease({ id, leaseToken: token, owner: 'w1:gave-up' })).toBe(true);
      // No longer w1's (its heartbeat will not extend it); expired now, so the rescue takes it.
      expect(await e.queue.heldBy('w1')).toEqual([]);
      expect(await e.queue.heartbeat('w1', 60_000)).toBe(0);
      o.clock.advance(1);
      const rescued = await e.queue.rescueExpired(leaseRescuePlan());
      expect(rescued.map((r) => [r.before.id, r.before.lease_owner, r.after.state, r.after.auto_recoveries, r.decision.to])).toEqual([
        [id, 'w1:gave-up', 'needs_retry', 1, 'needs_retry'],
      ]);
      expect(rescued[0]!.after).toMatchObject({ lease_owner: null, lease_token: null, lease_expires_at: null, next_attempt_at: null, attempts: 1, state_entered_at: o.clock() });
      const audit = await e.audit.query({ pipelineId: id, action: 'STUCK_RECOVERED' });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actor: 'system:lease-rescue', before_value: '"hashing"', after_value: '"needs_retry"' });
      expect((await e.history.forPipeline(id)).at(-1)).toMatchObject({ from_state: 'hashing', to_state: 'needs_retry', actor: 'system:lease-rescue' });
      expect(await e.queue.rescueExpired(leaseRescuePlan())).toEqual([]);
      await o.exec(`UPDATE pipelines SET next_attempt_at = ${o.clock() + 60_000} WHERE id = '${id}'`);
      expect(await e.queue.waitingForRetry()).toBe(1);
    });

    it('rescue leaves live leases alone, follows the plan (caps → failed), and respects the limit', async () => {
      for (let i = 0; i < 5; i++) await seed();
      const short = await e.queue.claimBatch('w1', 1000, 4);
      const live = (await e.queue.claimNext('w2', 60_000))!;
      await o.exec(`UPDATE pipelines SET auto_recoveries = 3 WHERE id = '${short[0]!.pipeline.id}'`);
      o.clock.advance(999);
      expect(await e.queue.rescueExpired(leaseRescuePlan())).toEqual([]);
      o.clock.advance(2);
      const firstPass = await e.queue.rescueExpired(leaseRescuePlan({ limit: 3 }));
      expect(firstPass).toHaveLength(3);
      const secondPass = await e.queue.rescueExpired(leaseRescuePlan());
      expect(secondPass).toHaveLength(1);
      const all = [...firstPass, ...secondPass];
      expect(new Set(all.map((r) => r.before.id))).toEqual(new Set(short.map((c) => c.pipeline.id)));
      const capped = all.find((r) => r.before.id === short[0]!.pipeline.id)!;
      expect(capped.after).toMatchObject({ state: 'failed', auto_recoveries: 4 });
      expect(JSON.parse(capped.after.error_json!)).toMatchObject({ code: 'too_many_recoveries', stage: 'hashing' });
      expect((await e.pipelines.get(live.pipeline.id))!).toMatchObject({ state: 'hashing', lease_owner: 'w2' });
    });

    it('several connections rescuing at once rescue each book once', async () => {
      for (let i = 0; i < 30; i++) await seed();
      await e.queue.claimBatch('w1', 1000, 30);
      o.clock.advance(1001);
      const engines = [e, await o.another(), await o.another()];
      const passes = await Promise.all(engines.flatMap((eng) => [0, 1].map(() => eng.queue.rescueExpired(leaseRescuePlan({ limit: 7 })))));
      let rescued = passes.flat();
      // Passes limited to 7 each may leave a few for the next pass; run until none is left.
      for (;;) {
        const more = await e.queue.rescueExpired(leaseRescuePlan());
        if (more.length === 0) break;
        rescued = rescued.concat(more);
      }
      expect(rescued).toHaveLength(30);
      expect(new Set(rescued.map((r) => r.before.id)).size).toBe(30);
      expect(await e.pipelines.countsByState()).toEqual({ needs_retry: 30 });
      expect(await e.audit.query({ action: 'STUCK_RECOVERED', limit: 100 })).toHaveLength(30);
      expect((await e.audit.verify()).intact).toBe(true);
    });

    it('a holder that committed in between keeps its write (the guard inside the rescue)', async () => {
      await seed();
      const { id, token } = await claimedIn('hashing');
      o.clock.advance(60_001);
      // Its worker came back and moved on before any rescue ran.
      await e.library.commitStage({ id, from: 'hashing', leaseToken: token, actor: ACTOR, outcome: { to: 'classifying' } });
      await e.queue.heartbeat('w1', 60_000);
      expect(await e.queue.rescueExpired(leaseRescuePlan())).toEqual([]);
      expect((await e.pipelines.get(id))!).toMatchObject({ state: 'classifying', lease_owner: 'w1' });
    });

    it('setBreakerState notes the state on the worker row, keeping what register wrote', async () => {
      await e.queue.register('w1', { concurrency: 1 });
      await e.queue.setBreakerState('w1', 'classifier', 'open');
      await e.queue.setBreakerState('w1', 'embedder', 'half_open');
      await e.queue.setBreakerState('w1', 'classifier', 'closed');
      await e.queue.setBreakerState('nobody', 'classifier', 'open');
      const rows = await o.rows('SELECT id, info_json FROM workers');
      expect(rows).toHaveLength(1);
      expect(JSON.parse(rows[0]!.info_json as string)).toEqual({ concurrency: 1, breakers: { classifier: 'closed', embedder: 'half_open' } });
    });
  });
});
