/**
 * The worker's engine operations on their own: a stage commit is one transaction (a library
 * write that fails takes the state change, history and audit with it), the auto-approve
 * follow-up lands in it, a failure clears the library, and the lease operations do what the
 * worker relies on. Any engine must pass these.
 */
import { describe, expect, it } from 'vitest';
import { openTest, seed, historyOf } from '../db/helpers.js';
import { autoApproval, AUTO_APPROVE_ACTOR } from '../../src/worker/book-runner.js';
import { leaseRescuePlan } from '../../src/worker/lease-rescue.js';
import type { LibraryBook } from '../../src/db/ops/library.js';

function claimed(s: ReturnType<typeof openTest>) {
  seed(s, 'detected');
  const c = s.queue.claimNext('w1', 60_000)!;
  return { id: c.pipeline.id, token: c.leaseToken };
}

const book = (id: string, chunkChapter = 0): LibraryBook => ({
  pipelineId: id,
  title: 'T',
  author: 'A',
  language: 'en',
  format: 'txt',
  bookType: 'fiction',
  strategy: 'fiction',
  chapters: [{ ord: 0, title: 'One', wordCount: 3 }],
  chunks: [{ ord: 0, chapterOrd: chunkChapter, text: 'a b c', wordCount: 3 }],
  createdAt: 1,
});

describe('engine.library.commitStage', () => {
  it('is one transaction: a library write that fails leaves the book, its history and the audit as they were', async () => {
    const s = openTest();
    const { id, token } = claimed(s);
    s.db.prepare(`UPDATE pipelines SET state = 'processing' WHERE id = ?`).run(id);
    const historyBefore = historyOf(s, id).length;
    const auditBefore = s.audit.head();
    const commit = s.engine.library.commitStage({
      id,
      from: 'processing',
      leaseToken: token,
      actor: 'system:worker:w1',
      outcome: {
        to: 'validating',
        library: { kind: 'replace', book: book(id, 7) }, // chunk in a chapter that does not exist
        audit: [{ action: 'REJECTED', actor: 'system:worker:w1', pipeline_id: id }],
      },
    });
    await expect(commit).rejects.toThrow(/unknown chapter 7/);
    expect(s.pipelines.require(id).state).toBe('processing');
    expect(historyOf(s, id)).toHaveLength(historyBefore);
    expect(s.audit.head()).toEqual(auditBefore);
    expect(await s.engine.library.counts(id)).toEqual({ chapters: 0, chunks: 0, embedded: 0 });

    const after = await s.engine.library.commitStage({
      id,
      from: 'processing',
      leaseToken: token,
      actor: 'system:worker:w1',
      outcome: { to: 'validating', library: { kind: 'replace', book: book(id) } },
    });
    expect(after.state).toBe('validating');
    expect((await s.engine.library.chunks(id)).map((c) => c.text)).toEqual(['a b c']);
    s.close();
  });

  it('refuses a stale lease token and writes nothing', async () => {
    const s = openTest();
    const { id } = claimed(s);
    await expect(
      s.engine.library.commitStage({
        id,
        from: 'hashing',
        leaseToken: 'someone-else',
        actor: 'system:worker:w1',
        outcome: { to: 'classifying', library: { kind: 'replace', book: book(id) } },
      }),
    ).rejects.toThrow(/lease/i);
    expect(await s.engine.library.counts(id)).toEqual({ chapters: 0, chunks: 0, embedded: 0 });
    expect(s.pipelines.require(id).state).toBe('hashing');
    s.close();
  });

  it('runs the auto-approve follow-up in the same transaction, with its APPROVED audit row', async () => {
    const s = openTest();
    const { id, token } = claimed(s);
    s.db.prepare(`UPDATE pipelines SET state = 'validating', confidence = 0.95 WHERE id = ?`).run(id);
    const rule = { enabled: true, min_confidence: 0.9 };
    const after = await s.engine.library.commitStage({
      id,
      from: 'validating',
      leaseToken: token,
      actor: 'system:worker:w1',
      outcome: { to: 'pending_approval', releaseLease: true },
      followUp: (row) => autoApproval(rule, row),
    });
    expect(after).toMatchObject({ state: 'approved', approved_by: AUTO_APPROVE_ACTOR, lease_owner: null });
    const audit = s.audit.query({ pipelineId: id, action: 'APPROVED' });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: AUTO_APPROVE_ACTOR, reason: 'auto-approve rule: confidence 0.95 >= 0.9' });
    expect(historyOf(s, id).slice(-2).map((h) => h.to_state)).toEqual(['pending_approval', 'approved']);
    // Below the threshold: no follow-up.
    expect(autoApproval(rule, { ...after, state: 'pending_approval', confidence: 0.5 })).toBeUndefined();
    s.close();
  });
});

describe('engine.library.failStage', () => {
  it('records the failure, releases the lease and clears the library when asked', async () => {
    const s = openTest();
    const { id, token } = claimed(s);
    s.db.prepare(`UPDATE pipelines SET state = 'processing' WHERE id = ?`).run(id);
    await s.engine.library.commitStage({ id, from: 'processing', leaseToken: token, actor: 'a', outcome: { to: 'validating', library: { kind: 'replace', book: book(id) } } });
    const after = await s.engine.library.failStage({
      id,
      from: 'validating',
      leaseToken: token,
      actor: 'a',
      to: 'failed',
      note: 'validating: broken',
      patch: { error_json: '{"code":"x"}', next_attempt_at: null },
      clearLibrary: true,
    });
    expect(after).toMatchObject({ state: 'failed', lease_owner: null, error_json: '{"code":"x"}' });
    expect(await s.engine.library.counts(id)).toEqual({ chapters: 0, chunks: 0, embedded: 0 });
    s.close();
  });
});

describe('engine.queue lease operations', () => {
  it('heldBy, giveUpLease, rescueExpired (guarded, idempotent), waitingForRetry', async () => {
    const s = openTest();
    const { id, token } = claimed(s);
    expect(await s.engine.queue.heldBy('w1')).toEqual([{ id, leaseToken: token }]);
    expect(await s.engine.queue.giveUpLease({ id, leaseToken: 'stale', owner: 'w1:gave-up' })).toBe(false);
    expect(await s.engine.queue.giveUpLease({ id, leaseToken: token, owner: 'w1:gave-up' })).toBe(true);
    // No longer w1's (its heartbeat will not extend it); expired now, so the rescue takes it.
    expect(await s.engine.queue.heldBy('w1')).toEqual([]);
    s.clockCtl.advance(1);
    const rescued = await s.engine.queue.rescueExpired(leaseRescuePlan());
    expect(rescued.map((r) => [r.before.id, r.after.state, r.after.auto_recoveries])).toEqual([[id, 'needs_retry', 1]]);
    expect(s.audit.query({ pipelineId: id, action: 'STUCK_RECOVERED' })).toHaveLength(1);
    expect(await s.engine.queue.rescueExpired(leaseRescuePlan())).toEqual([]);
    s.db.prepare('UPDATE pipelines SET next_attempt_at = ? WHERE id = ?').run(s.clock() + 60_000, id);
    expect(await s.engine.queue.waitingForRetry()).toBe(1);
    s.close();
  });

  it('setBreakerState notes the state on the worker row', async () => {
    const s = openTest();
    await s.engine.queue.register('w1', { concurrency: 1 });
    await s.engine.queue.setBreakerState('w1', 'classifier', 'open');
    const row = s.db.prepare('SELECT info_json FROM workers WHERE id = ?').get('w1') as { info_json: string };
    expect(JSON.parse(row.info_json)).toMatchObject({ concurrency: 1, breakers: { classifier: 'open' } });
    s.close();
  });
});
