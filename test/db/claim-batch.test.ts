/**
 * Batched claims (WorkQueue.claimBatch) and the lease holder's group transition
 * (PipelineStore.advanceMany): the same order, guards, history and counts as one claim and one
 * transition at a time, with one statement for the lot.
 */
import { describe, expect, it } from 'vitest';
import { IllegalTransitionError, InputError, LeaseLostError, NotFoundError } from '../../src/domain/errors.js';
import { tempDbPath } from '../helpers/tmp.js';
import { PIPELINE_COLUMNS, pipelineFromRaw } from '../../src/db/pipeline-row.js';
import { claimOrder, countsFromTable, countsOf, dumpAll, historyOf, openTest, runChildren, seed } from './helpers.js';

describe('claimBatch', () => {
  it('claims in claim order (priority, then oldest, then id), no more than asked, each book once', () => {
    const s = openTest();
    const made = [5, 1, 10, 5, 3, 1, 5, 10, 3, 2, 2, 7, 4, 4].map((p) => {
      s.clockCtl.advance(1000);
      return seed(s, 'detected', { priority: p });
    });
    const expected = claimOrder(made);
    const first = s.queue.claimBatch('w1', 60_000, 5);
    const second = s.queue.claimBatch('w1', 60_000, 100);
    expect(first.map((c) => c.pipeline.id)).toEqual(expected.slice(0, 5));
    expect(second.map((c) => c.pipeline.id)).toEqual(expected.slice(5));
    expect(s.queue.claimBatch('w1', 60_000, 10)).toEqual([]);
    for (const c of [...first, ...second]) {
      expect(c.pipeline).toMatchObject({ state: 'hashing', lease_owner: 'w1', attempts: 1, lease_token: c.leaseToken });
      expect(c.pipeline.lease_expires_at).toBe(s.clock() + 60_000);
      expect(historyOf(s, c.pipeline.id).map((h) => `${h.from_state}>${h.to_state}:${h.details ?? ''}`)).toEqual([
        'null>detected:',
        'detected>hashing:claimed',
      ]);
    }
    // Two batches, two leases: a token from one batch cannot write for a book of the other.
    expect(first[0]!.leaseToken).not.toBe(second[0]!.leaseToken);
    expect(countsOf(s)).toEqual(countsFromTable(s));
    s.close();
  });

  it('honours next_attempt_at and sends approved books to embedding, as claimNext does', () => {
    const s = openTest();
    const waiting = seed(s, 'needs_retry', { priority: 1 });
    s.pipelines.updateColumns(waiting.id, 'needs_retry', { next_attempt_at: s.clock() + 60_000 }, { actor: 'system:test' });
    const approved = seed(s, 'approved', { priority: 2 });
    const fresh = seed(s, 'detected', { priority: 3 });
    const got = s.queue.claimBatch('w', 1000, 10);
    expect(got.map((c) => [c.pipeline.id, c.pipeline.state])).toEqual([
      [approved.id, 'embedding'],
      [fresh.id, 'hashing'],
    ]);
    s.clockCtl.advance(60_000);
    expect(s.queue.claimBatch('w', 1000, 10).map((c) => c.pipeline.id)).toEqual([waiting.id]);
    s.close();
  });

  it('refuses a batch size outside 1..1000 and claims nothing', () => {
    const dbPath = tempDbPath();
    const s = openTest(dbPath);
    seed(s, 'detected');
    const before = dumpAll(dbPath);
    for (const bad of [0, -1, 1.5, 1001, Number.NaN]) {
      expect(() => s.queue.claimBatch('w', 1000, bad)).toThrow(InputError);
    }
    expect(dumpAll(dbPath)).toEqual(before);
    expect(s.queue.claimBatch('w', 1000, 1)).toHaveLength(1);
    s.close();
  });

  it('4 processes claiming 2,000 books in batches of 25: every book claimed exactly once', async () => {
    const dbPath = tempDbPath();
    const s = openTest(dbPath);
    s.db.transaction(() => {
      for (let i = 0; i < 2000; i++) seed(s, 'detected', { priority: 1 + (i % 10) });
    })();
    s.close();
    const results = await runChildren(['a', 'b', 'c', 'd'].map((w) => ['claim-batches', dbPath, w, '25']));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const reports = results.map((r) => JSON.parse(r.stdout) as { claimed: string[]; busy: number; refused: number });
    const all = reports.flatMap((r) => r.claimed);
    expect(all).toHaveLength(2000);
    expect(new Set(all).size).toBe(2000);
    expect(reports.reduce((a, r) => a + r.busy + r.refused, 0)).toBe(0);
    const v = openTest(dbPath);
    const perBook = v.db
      .prepare(`SELECT COUNT(DISTINCT pipeline_id) AS books, COUNT(*) AS rows FROM state_history WHERE from_state = 'detected' AND to_state = 'hashing'`)
      .get() as { books: number; rows: number };
    expect(perBook).toEqual({ books: 2000, rows: 2000 });
    expect(v.pipelines.countsByState()).toEqual({ classifying: 2000 });
    expect(countsOf(v)).toEqual(countsFromTable(v));
    v.close();
  });
});

describe('advanceMany', () => {
  it('moves every held book in one go, each with its own history row, and releases leases when asked', () => {
    const s = openTest();
    for (let i = 0; i < 6; i++) seed(s, 'detected');
    const claims = s.queue.claimBatch('w', 60_000, 6);
    s.clockCtl.advance(250);
    const out = s.pipelines.advanceMany(
      claims.map((c) => ({ id: c.pipeline.id, from: 'hashing' as const, to: 'classifying' as const, leaseToken: c.leaseToken, note: 'hashed' })),
      { actor: 'system:worker:w' },
    );
    expect(out.refused).toEqual([]);
    expect(out.moved.map((m) => m.id).sort()).toEqual(claims.map((c) => c.pipeline.id).sort());
    for (const c of claims) {
      const row = s.pipelines.require(c.pipeline.id);
      expect(row).toMatchObject({ state: 'classifying', lease_owner: 'w', version: c.pipeline.version + 1 });
      expect(historyOf(s, c.pipeline.id).at(-1)).toMatchObject({
        from_state: 'hashing',
        to_state: 'classifying',
        duration_ms: 250,
        actor: 'system:worker:w',
        details: 'hashed',
      });
    }
    expect(countsOf(s)).toEqual(countsFromTable(s));
    const done = s.pipelines.advanceMany(
      claims.map((c) => ({ id: c.pipeline.id, from: 'classifying' as const, to: 'failed' as const, leaseToken: c.leaseToken })),
      { actor: 'system:worker:w', releaseLease: true },
    );
    expect(done.moved).toHaveLength(6);
    for (const c of claims) {
      expect(s.pipelines.require(c.pipeline.id)).toMatchObject({ state: 'failed', lease_owner: null, lease_token: null, lease_expires_at: null });
    }
    s.close();
  });

  it('refuses, with the error transition would throw, a book whose lease was lost, one in another state, an illegal move and an unknown id, and moves the rest', () => {
    const dbPath = tempDbPath();
    const s = openTest(dbPath);
    for (let i = 0; i < 4; i++) seed(s, 'detected');
    const [lost, moved, elsewhere, illegal] = s.queue.claimBatch('w1', 60_000, 4);
    // Recovery takes one book away and another worker claims it; another is moved on by hand.
    s.pipelines.transition({ id: lost!.pipeline.id, from: 'hashing', to: 'detected', actor: 'system:recovery', releaseLease: true });
    s.queue.claimNext('w2', 60_000);
    s.pipelines.transition({ id: elsewhere!.pipeline.id, from: 'hashing', to: 'classifying', actor: 'system:test', leaseToken: elsewhere!.leaseToken });
    const untouched = [lost!, elsewhere!, illegal!].map((c) => s.pipelines.require(c.pipeline.id));
    const historyRows = (s.db.prepare('SELECT COUNT(*) FROM state_history').pluck().get() as number);
    const out = s.pipelines.advanceMany(
      [
        { id: lost!.pipeline.id, from: 'hashing', to: 'classifying', leaseToken: lost!.leaseToken },
        { id: moved!.pipeline.id, from: 'hashing', to: 'classifying', leaseToken: moved!.leaseToken },
        { id: elsewhere!.pipeline.id, from: 'hashing', to: 'classifying', leaseToken: elsewhere!.leaseToken },
        { id: illegal!.pipeline.id, from: 'hashing', to: 'complete', leaseToken: illegal!.leaseToken },
        { id: 'f'.repeat(32), from: 'hashing', to: 'classifying', leaseToken: moved!.leaseToken },
      ],
      { actor: 'system:worker:w1' },
    );
    expect(out.moved.map((m) => m.id)).toEqual([moved!.pipeline.id]);
    const why = Object.fromEntries(out.refused.map((r) => [r.id, r.error]));
    expect(why[lost!.pipeline.id]).toBeInstanceOf(LeaseLostError);
    expect(why[elsewhere!.pipeline.id]).toBeInstanceOf(IllegalTransitionError);
    expect(why[elsewhere!.pipeline.id]!.message).toContain('is classifying, not hashing');
    expect(why[illegal!.pipeline.id]).toBeInstanceOf(IllegalTransitionError);
    expect(why['f'.repeat(32)]).toBeInstanceOf(NotFoundError);
    expect([lost!, elsewhere!, illegal!].map((c) => s.pipelines.require(c.pipeline.id))).toEqual(untouched);
    expect(s.db.prepare('SELECT COUNT(*) FROM state_history').pluck().get()).toBe(historyRows + 1);
    s.close();
  });

  it('refuses a book listed twice and writes nothing', () => {
    const dbPath = tempDbPath();
    const s = openTest(dbPath);
    seed(s, 'detected');
    const [c] = s.queue.claimBatch('w', 60_000, 2);
    const before = dumpAll(dbPath);
    const item = { id: c!.pipeline.id, from: 'hashing' as const, to: 'classifying' as const, leaseToken: c!.leaseToken };
    expect(() => s.pipelines.advanceMany([item, item], { actor: 'system:worker:w' })).toThrow(InputError);
    expect(dumpAll(dbPath)).toEqual(before);
    s.close();
  });
});

describe('pipelineFromRaw', () => {
  it('builds the same row the driver builds by column name (claims and transitions read rows raw)', () => {
    const s = openTest();
    const row = seed(s, 'detected', { priority: 3 });
    s.pipelines.updateColumns(row.id, 'detected', { book_type: 'fiction', confidence: 0.75, profile_json: '{"a":1}', size: 12 }, { actor: 'system:test' });
    const byName = s.db.prepare(`SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE id = ?`).get(row.id);
    const raw = s.db.prepare(`SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE id = ?`).raw(true).get(row.id) as unknown[];
    expect(pipelineFromRaw(raw)).toEqual(byName);
    expect(Object.keys(pipelineFromRaw(raw))).toEqual(PIPELINE_COLUMNS.split(', '));
    s.close();
  });
});
