/**
 * Claiming: priority order with FIFO inside a priority, next_attempt_at honoured, the lease
 * token guard, and four real processes claiming from one database at once.
 */
import { describe, expect, it } from 'vitest';
import { LeaseLostError } from '../../src/domain/errors.js';
import { tempDbPath } from '../helpers/tmp.js';
import { claimOrder, dumpAll, historyOf, openTest, runChildren, seed } from './helpers.js';

describe('claim order', () => {
  it('claims by priority (1 first), oldest first within a priority, ties by id', () => {
    const s = openTest();
    const made = [5, 1, 10, 5, 3, 1, 5, 10, 3, 2, 2, 7].map((p) => {
      s.clockCtl.advance(1000);
      return seed(s, 'detected', { priority: p });
    });
    // Two books created in the same millisecond: the id breaks the tie.
    made.push(seed(s, 'detected', { priority: 4 }), seed(s, 'detected', { priority: 4 }));
    const expected = claimOrder(made);
    expect(s.queue.window({ limit: 100 }).map((r) => r.id)).toEqual(expected);
    const claimed: string[] = [];
    for (;;) {
      const c = s.queue.claimNext('w1', 60_000);
      if (!c) break;
      claimed.push(c.pipeline.id);
      expect(c.pipeline.state).toBe('hashing');
      expect(c.pipeline.lease_owner).toBe('w1');
      expect(c.pipeline.attempts).toBe(1);
    }
    expect(claimed).toEqual(expected);
    s.close();
  });

  it('honours next_attempt_at: a retry waiting for its backoff is passed over until then', () => {
    const s = openTest();
    const waiting = seed(s, 'needs_retry', { priority: 1 });
    s.pipelines.updateColumns(waiting.id, 'needs_retry', { next_attempt_at: s.clock() + 60_000 }, { actor: 'system:test' });
    const ready = seed(s, 'detected', { priority: 9 });
    expect(s.queue.claimNext('w', 60_000)?.pipeline.id).toBe(ready.id);
    expect(s.queue.claimNext('w', 60_000)).toBeUndefined();
    s.clockCtl.advance(59_999);
    expect(s.queue.claimNext('w', 60_000)).toBeUndefined();
    s.clockCtl.advance(1);
    const c = s.queue.claimNext('w', 60_000);
    expect(c?.pipeline.id).toBe(waiting.id);
    expect(c?.pipeline.next_attempt_at).toBeNull();
    s.close();
  });

  it('sends an approved book (and an approved one back from a retry) to embedding', () => {
    const s = openTest();
    const a = seed(s, 'approved', { priority: 1 });
    const r = seed(s, 'needs_retry', { priority: 2 });
    s.pipelines.updateColumns(r.id, 'needs_retry', { approved_by: 'human:x' }, { actor: 'system:test' });
    const d = seed(s, 'needs_retry', { priority: 3 });
    expect(s.queue.claimNext('w', 1000)?.pipeline).toMatchObject({ id: a.id, state: 'embedding' });
    expect(s.queue.claimNext('w', 1000)?.pipeline).toMatchObject({ id: r.id, state: 'embedding' });
    expect(s.queue.claimNext('w', 1000)?.pipeline).toMatchObject({ id: d.id, state: 'hashing' });
    expect(historyOf(s, r.id).map((h) => `${h.from_state}>${h.to_state}`)).toEqual(['null>needs_retry', 'needs_retry>embedding']);
    s.close();
  });

  it('queuedByPriority counts claimable books per priority from the maintained counts', () => {
    const s = openTest();
    seed(s, 'detected', { priority: 1 });
    seed(s, 'detected', { priority: 1 });
    seed(s, 'needs_retry', { priority: 4 });
    seed(s, 'approved', { priority: 10 });
    seed(s, 'complete', { priority: 1 });
    seed(s, 'pending_approval', { priority: 4 });
    const c = s.queue.queuedByPriority();
    expect(c).toEqual({ 1: 2, 2: 0, 3: 0, 4: 1, 5: 0, 6: 0, 7: 0, 8: 0, 9: 0, 10: 1 });
    s.queue.claimNext('w', 1000);
    expect(s.queue.queuedByPriority()[1]).toBe(1);
    s.close();
  });
});

describe('lease token guard', () => {
  it('a write with a lost lease throws LeaseLostError and writes nothing', () => {
    const dbPath = tempDbPath();
    const s = openTest(dbPath);
    seed(s, 'detected');
    const c = s.queue.claimNext('w1', 10_000)!;
    // The lease is taken away (recovery) and the book claimed again by another worker.
    s.pipelines.transition({ id: c.pipeline.id, from: 'hashing', to: 'detected', actor: 'system:recovery', releaseLease: true });
    const c2 = s.queue.claimNext('w2', 10_000)!;
    expect(c2.pipeline.id).toBe(c.pipeline.id);
    const before = dumpAll(dbPath);
    expect(() =>
      s.pipelines.transition({ id: c.pipeline.id, from: 'hashing', to: 'classifying', actor: 'system:worker:w1', leaseToken: c.leaseToken }),
    ).toThrow(LeaseLostError);
    expect(
      s.pipelines.updateColumns(c.pipeline.id, 'hashing', { book_type: 'fiction' }, { leaseToken: c.leaseToken, actor: 'system:worker:w1' }),
    ).toBeUndefined();
    expect(dumpAll(dbPath)).toEqual(before);
    // The holder of the live lease can write.
    expect(
      s.pipelines.transition({ id: c.pipeline.id, from: 'hashing', to: 'classifying', actor: 'system:worker:w2', leaseToken: c2.leaseToken })
        .state,
    ).toBe('classifying');
    s.close();
  });
});

describe('claims from several processes at once', () => {
  it('4 processes claiming 2,000 books: every book claimed exactly once', async () => {
    const dbPath = tempDbPath();
    const s = openTest(dbPath);
    s.db.transaction(() => {
      for (let i = 0; i < 2000; i++) seed(s, 'detected', { priority: 1 + (i % 10) });
    })();
    s.close();
    const results = await runChildren(['a', 'b', 'c', 'd'].map((w) => ['claim-all', dbPath, w]));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const reports = results.map((r) => JSON.parse(r.stdout) as { claimed: string[]; busy: number });
    const all = reports.flatMap((r) => r.claimed);
    expect(all).toHaveLength(2000);
    expect(new Set(all).size).toBe(2000);
    expect(reports.reduce((a, r) => a + r.busy, 0)).toBe(0);
    const v = openTest(dbPath);
    const perBook = v.db
      .prepare(
        `SELECT pipeline_id, COUNT(*) AS n FROM state_history WHERE from_state = 'detected' AND to_state = 'hashing'
         GROUP BY pipeline_id`,
      )
      .all() as { pipeline_id: string; n: number }[];
    expect(perBook).toHaveLength(2000);
    expect(perBook.every((r) => r.n === 1)).toBe(true);
    expect(v.pipelines.countsByState()).toEqual({ classifying: 2000 });
    v.close();
  });
});
