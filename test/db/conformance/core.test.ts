/**
 * One set of tests over the Engine interface's core groups (pipelines, queue, history, audit),
 * run on every engine: what a caller can observe through the interface must not depend on which
 * engine is behind it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src/db/engine.js';
import type { PipelineRow } from '../../../src/db/pipeline-row.js';
import type { PipelineState } from '../../../src/domain/states.js';
import { AmbiguousIdError, IllegalTransitionError, InputError, LeaseLostError, NotFoundError } from '../../../src/domain/errors.js';
import { ENGINES, type Opened } from './engines.js';
import { claimOrder } from '../helpers.js';

describe.each(ENGINES)('$name engine: core groups', (under) => {
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

  const seed = (state: PipelineState = 'detected', extra: { priority?: number; id?: string; content_hash?: string } = {}) =>
    e.pipelines.insert({ source_path: `/books/b${++n}.epub`, state, actor: 'system:test', ...extra });

  describe('pipelines', () => {
    it('inserts, gets, requires and resolves ids by prefix', async () => {
      const a = await seed('detected', { id: 'abc00000000000000000000000000001' });
      const b = await seed('detected', { id: 'abc00000000000000000000000000002' });
      expect(a).toMatchObject({ state: 'detected', priority: 5, base_priority: 5, attempts: 0, version: 0, created_at: o.clock() });
      expect(await e.pipelines.get(a.id)).toEqual(a);
      expect(await e.pipelines.get('f'.repeat(32))).toBeUndefined();
      await expect(e.pipelines.require('f'.repeat(32))).rejects.toBeInstanceOf(NotFoundError);
      expect(await e.pipelines.resolveId('ABC00000000000000000000000000001')).toBe(a.id);
      expect(await e.pipelines.resolveId(b.id.slice(0, 31) + '2')).toBe(b.id);
      await expect(e.pipelines.resolveId('abc')).rejects.toBeInstanceOf(AmbiguousIdError);
      await expect(e.pipelines.resolveId('abd')).rejects.toBeInstanceOf(NotFoundError);
      await expect(e.pipelines.resolveId('xyz')).rejects.toBeInstanceOf(InputError);
    });

    it('writes a history row per state change, oldest first, with durations', async () => {
      const a = await seed();
      o.clock.advance(1000);
      await e.pipelines.transition({ id: a.id, from: 'detected', to: 'hashing', actor: 'system:test', note: 'go' });
      o.clock.advance(250);
      await e.pipelines.transition({ id: a.id, from: 'hashing', to: 'classifying', actor: 'system:test' });
      const h = await e.history.forPipeline(a.id);
      expect(h.map((r) => [r.from_state, r.to_state, r.duration_ms, r.actor, r.details])).toEqual([
        [null, 'detected', null, 'system:test', null],
        ['detected', 'hashing', 1000, 'system:test', 'go'],
        ['hashing', 'classifying', 250, 'system:test', null],
      ]);
      expect((await e.history.forPipeline(a.id, 2)).map((r) => r.to_state)).toEqual(['detected', 'hashing']);
    });

    it('refuses illegal transitions and lost swaps, writing nothing', async () => {
      const a = await seed();
      await expect(e.pipelines.transition({ id: a.id, from: 'detected', to: 'complete', actor: 'system:test' })).rejects.toBeInstanceOf(IllegalTransitionError);
      await expect(e.pipelines.transition({ id: a.id, from: 'hashing', to: 'classifying', actor: 'system:test' })).rejects.toThrow(/is detected, not hashing/);
      await expect(e.pipelines.transition({ id: a.id, from: 'detected', to: 'hashing', actor: 'system:test', expectedVersion: 7 })).rejects.toThrow(/changed since it was read/);
      await expect(e.pipelines.transition({ id: 'f'.repeat(32), from: 'detected', to: 'hashing', actor: 'system:test' })).rejects.toBeInstanceOf(NotFoundError);
      await expect(e.pipelines.transition({ id: a.id, from: 'detected', to: 'nonsense' as PipelineState, actor: 'system:test' })).rejects.toThrow(/unknown state/);
      expect(await e.pipelines.get(a.id)).toEqual(a);
      expect(await e.history.forPipeline(a.id)).toHaveLength(1);
    });

    it('accepts any of several from-states, patches columns, stamps completion and releases leases', async () => {
      const a = await seed('embedding');
      const moved = await e.pipelines.transition({
        id: a.id, from: ['processing', 'embedding'], to: 'complete', actor: 'system:test',
        patch: { result_json: '{"chunks": 3}', confidence: 0.75 }, releaseLease: true,
      });
      expect(moved).toMatchObject({ state: 'complete', result_json: '{"chunks": 3}', confidence: 0.75, completed_at: o.clock(), lease_owner: null, version: 1 });
    });

    it('a lease holder loses its swap once the lease is gone (LeaseLostError)', async () => {
      await seed();
      const c = (await e.queue.claimNext('w1', 60_000))!;
      await expect(
        e.pipelines.transition({ id: c.pipeline.id, from: 'hashing', to: 'classifying', actor: 'system:test', leaseToken: 'not-mine' }),
      ).rejects.toBeInstanceOf(LeaseLostError);
      const ok = await e.pipelines.transition({ id: c.pipeline.id, from: 'hashing', to: 'classifying', actor: 'system:test', leaseToken: c.leaseToken });
      expect(ok.state).toBe('classifying');
    });

    it('two callers racing the same swap: exactly one wins', async () => {
      const a = await seed();
      const other = await o.another();
      const results = await Promise.allSettled([
        e.pipelines.transition({ id: a.id, from: 'detected', to: 'hashing', actor: 'system:one', expectedVersion: a.version }),
        other.pipelines.transition({ id: a.id, from: 'detected', to: 'rejected', actor: 'system:two', expectedVersion: a.version }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(lost.reason).toBeInstanceOf(IllegalTransitionError);
      expect((await e.history.forPipeline(a.id)).length).toBe(2);
    });

    it('advanceMany moves the held books and refuses the rest with typed errors', async () => {
      for (let i = 0; i < 4; i++) await seed();
      const claims = await e.queue.claimBatch('w1', 60_000, 4);
      const [c1, c2, c3, c4] = claims;
      const out = await e.pipelines.advanceMany(
        [
          { id: c1!.pipeline.id, from: 'hashing', to: 'classifying', leaseToken: c1!.leaseToken },
          { id: c2!.pipeline.id, from: 'hashing', to: 'classifying', leaseToken: 'stolen' },
          { id: c3!.pipeline.id, from: 'hashing', to: 'complete', leaseToken: c3!.leaseToken },
          { id: c4!.pipeline.id, from: 'hashing', to: 'needs_retry', leaseToken: c4!.leaseToken, note: 'later' },
        ],
        { actor: 'system:worker:w1', releaseLease: true },
      );
      expect(out.moved.map((m) => [m.id, m.state, m.version]).sort()).toEqual(
        [[c1!.pipeline.id, 'classifying', 2], [c4!.pipeline.id, 'needs_retry', 2]].sort(),
      );
      const refused = new Map(out.refused.map((r) => [r.id, r.error]));
      expect(refused.get(c2!.pipeline.id)).toBeInstanceOf(LeaseLostError);
      expect(refused.get(c3!.pipeline.id)).toBeInstanceOf(IllegalTransitionError);
      expect((await e.pipelines.get(c1!.pipeline.id))!.lease_owner).toBeNull();
      expect((await e.pipelines.get(c2!.pipeline.id))!.state).toBe('hashing');
    });

    it('lists newest first with a keyset cursor, by state in entry order', async () => {
      const rows: PipelineRow[] = [];
      for (let i = 0; i < 5; i++) {
        rows.push(await seed(i % 2 ? 'failed' : 'detected'));
        o.clock.advance(10);
      }
      const page1 = await e.pipelines.list({ limit: 2 });
      expect(page1.map((r) => r.id)).toEqual([rows[4]!.id, rows[3]!.id]);
      const page2 = await e.pipelines.list({ limit: 2, before: page1[1]! });
      expect(page2.map((r) => r.id)).toEqual([rows[2]!.id, rows[1]!.id]);
      expect((await e.pipelines.list({ state: 'failed' })).map((r) => r.id)).toEqual([rows[3]!.id, rows[1]!.id]);
    });

    it('keeps one live book per content and finds books by hash', async () => {
      const a = await seed('detected', { content_hash: 'h1' });
      expect((await e.pipelines.findLiveByHash('h1'))!.id).toBe(a.id);
      await expect(seed('detected', { content_hash: 'h1' })).rejects.toThrow();
      await e.pipelines.transition({ id: a.id, from: 'detected', to: 'rejected', actor: 'human:test' });
      expect(await e.pipelines.findLiveByHash('h1')).toBeUndefined();
      o.clock.advance(5);
      const b = await seed('detected', { content_hash: 'h1' });
      expect((await e.pipelines.findLiveByHash('h1'))!.id).toBe(b.id);
      expect((await e.pipelines.findByHash('h1')).map((r) => r.id)).toEqual([b.id, a.id]);
    });

    it('counts by state follow every insert and change', async () => {
      const a = await seed();
      await seed();
      await seed('failed');
      expect(await e.pipelines.countsByState()).toEqual({ detected: 2, failed: 1 });
      await e.pipelines.transition({ id: a.id, from: 'detected', to: 'hashing', actor: 'system:test' });
      expect(await e.pipelines.countsByState()).toEqual({ detected: 1, hashing: 1, failed: 1 });
    });
  });

  describe('queue', () => {
    it('claims in priority order, then oldest first, then id', async () => {
      const rows: PipelineRow[] = [];
      for (const p of [5, 3, 5, 1, 3, 10]) {
        rows.push(await seed('detected', { priority: p }));
        o.clock.advance(1);
      }
      const got: string[] = [];
      for (;;) {
        const c = await e.queue.claimNext('w1', 60_000);
        if (!c) break;
        expect(c.pipeline).toMatchObject({ state: 'hashing', lease_owner: 'w1', attempts: 1, transition_note: 'claimed' });
        got.push(c.pipeline.id);
      }
      expect(got).toEqual(claimOrder(rows));
    });

    it('claimBatch takes up to n books in claim order under one lease token', async () => {
      const rows: PipelineRow[] = [];
      for (const p of [4, 2, 9, 2, 7]) {
        rows.push(await seed('detected', { priority: p }));
        o.clock.advance(1);
      }
      const first = await e.queue.claimBatch('w1', 60_000, 3);
      expect(first.map((c) => c.pipeline.id)).toEqual(claimOrder(rows).slice(0, 3));
      expect(new Set(first.map((c) => c.leaseToken)).size).toBe(1);
      const rest = await e.queue.claimBatch('w2', 60_000, 10);
      expect(rest.map((c) => c.pipeline.id)).toEqual(claimOrder(rows).slice(3));
      expect(await e.queue.claimBatch('w3', 60_000, 10)).toEqual([]);
      await expect(e.queue.claimBatch('w3', 60_000, 0)).rejects.toBeInstanceOf(InputError);
    });

    it('claims what is due: retries after their backoff, approved books resume at embedding', async () => {
      const a = await seed('approved');
      const r = await seed('needs_retry');
      await e.pipelines.transition({ id: r.id, from: 'needs_retry', to: 'failed', actor: 'system:test' });
      await e.pipelines.transition({ id: r.id, from: 'failed', to: 'needs_retry', actor: 'system:test', patch: { next_attempt_at: o.clock() + 5000 } });
      const c = (await e.queue.claimNext('w1', 1000))!;
      expect(c.pipeline).toMatchObject({ id: a.id, state: 'embedding' });
      expect(await e.queue.claimNext('w1', 1000)).toBeUndefined();
      o.clock.advance(5000);
      expect((await e.queue.claimNext('w1', 1000))!.pipeline).toMatchObject({ id: r.id, state: 'hashing', next_attempt_at: null });
    });

    it('leases: a heartbeat extends every lease the worker holds', async () => {
      await seed();
      await seed();
      await e.queue.register('w1', { concurrency: 2 });
      const claims = await e.queue.claimBatch('w1', 1000, 2);
      expect(claims[0]!.pipeline.lease_expires_at).toBe(o.clock() + 1000);
      o.clock.advance(800);
      expect(await e.queue.heartbeat('w1', 1000)).toBe(2);
      expect(await e.queue.heartbeat('nobody', 1000)).toBe(0);
      for (const c of claims) {
        expect(await e.pipelines.get(c.pipeline.id)).toMatchObject({ lease_expires_at: o.clock() + 1000, heartbeat_at: o.clock() });
      }
    });

    it('unregister expires the leases the worker still holds', async () => {
      await seed();
      await seed();
      await seed();
      await e.queue.register('w1');
      await e.queue.register('w2');
      await e.queue.claimBatch('w1', 60_000, 2);
      const theirs = (await e.queue.claimNext('w2', 60_000))!;
      o.clock.advance(10);
      expect(await e.queue.unregister('w1')).toBe(2);
      const mine = (await e.pipelines.list({ state: 'hashing' })).filter((r) => r.lease_owner === 'w1');
      expect(mine.map((r) => r.lease_expires_at)).toEqual([o.clock(), o.clock()]);
      expect((await e.pipelines.get(theirs.pipeline.id))!.lease_expires_at).toBe(o.clock() - 10 + 60_000);
    });

    it('queue counts, window (keyset, claim order) and positions', async () => {
      const rows: PipelineRow[] = [];
      for (const p of [5, 1, 5, 3, 1]) {
        rows.push(await seed('detected', { priority: p }));
        o.clock.advance(1);
      }
      await seed('failed', { priority: 1 });
      expect(await e.queue.queuedByPriority()).toEqual({ 1: 2, 2: 0, 3: 1, 4: 0, 5: 2, 6: 0, 7: 0, 8: 0, 9: 0, 10: 0 });
      const order = claimOrder(rows);
      const w1 = await e.queue.window({ limit: 3 });
      expect(w1.map((r) => r.id)).toEqual(order.slice(0, 3));
      const w2 = await e.queue.window({ limit: 3, after: w1[2]! });
      expect(w2.map((r) => r.id)).toEqual(order.slice(3));
      const positions = await Promise.all(w1.concat(w2).map((r) => e.queue.positionOf(r)));
      expect(positions).toEqual([0, 1, 2, 3, 4]);
      const claimed = (await e.queue.claimNext('w1', 60_000))!;
      expect(await e.queue.positionOf(claimed.pipeline)).toBeUndefined();
      expect(await e.queue.queuedByPriority()).toMatchObject({ 1: 1, 5: 2 });
      expect(await e.pipelines.countsByState()).toEqual({ detected: 4, hashing: 1, failed: 1 });
    });

    it('several connections claiming at once never claim a book twice', async () => {
      const books = 500;
      for (let i = 0; i < books; i++) await seed('detected', { priority: 1 + (i % 10) });
      // Several engines (connections, as processes would have), and on PostgreSQL several
      // calls at once over each one's pool.
      const engines = [e, await o.another(), await o.another(), await o.another()];
      const seen = new Map<string, string>();
      const claimers = engines.flatMap((eng, i) =>
        [0, 1, 2].map(async (j) => {
          const worker = `w${i}-${j}`;
          for (;;) {
            const got = await eng.queue.claimBatch(worker, 60_000, 7);
            if (got.length === 0) return;
            for (const c of got) {
              expect(seen.has(c.pipeline.id), `claimed twice: ${c.pipeline.id}`).toBe(false);
              seen.set(c.pipeline.id, worker);
            }
          }
        }),
      );
      await Promise.all(claimers);
      expect(seen.size).toBe(books);
      expect(await e.pipelines.countsByState()).toEqual({ hashing: books });
      expect(await e.queue.queuedByPriority()).toMatchObject({ 1: 0, 5: 0, 10: 0 });
    });
  });

  describe('audit', () => {
    const entry = (i: number, pipelineId: string | null = null) => ({
      action: 'APPROVED', actor: 'human:alice', pipeline_id: pipelineId, reason: `r${i}`,
      before: { state: 'pending_approval' }, after: { state: 'approved', n: i }, confidence: 0.5 + i / 100,
    });

    it('appends a hash chain that verifies, per book trails included', async () => {
      const a = await seed();
      const b = await seed();
      const id1 = await e.audit.append(entry(1, a.id));
      const ids = await e.audit.appendMany([entry(2, a.id), entry(3, b.id), entry(4, a.id), entry(5)]);
      expect(ids).toEqual([id1 + 1, id1 + 2, id1 + 3, id1 + 4]);
      const rows = await e.audit.query({ pipelineId: a.id });
      expect(rows.map((r) => r.id)).toEqual([id1 + 3, id1 + 1, id1]);
      expect(rows.map((r) => r.pipeline_prev_id ?? null)).toEqual([id1 + 1, id1, null]);
      const head = await e.audit.head();
      expect(head).toMatchObject({ id: id1 + 4, count: 5, hash_version: 2 });
      const row = (await e.audit.get(id1 + 2))!;
      expect(row).toMatchObject({ action: 'APPROVED', actor: 'human:alice', pipeline_id: b.id, before_value: '{"state":"pending_approval"}', confidence: 0.53 });
      const report = await e.audit.verify({ pageSize: 2 });
      expect(report).toMatchObject({ intact: true, checked: 5, modified: [], gaps: [], tail_removed: null, problems: [] });
    });

    it('filters: actor (exact and glob), action, book prefix, since, beforeId', async () => {
      const a = await seed('detected', { id: 'aa' + '0'.repeat(30) });
      await e.audit.append({ action: 'QUEUED', actor: 'system:enqueue', pipeline_id: a.id });
      o.clock.advance(1000);
      await e.audit.append({ action: 'APPROVED', actor: 'human:bob', pipeline_id: a.id });
      await e.audit.append({ action: 'REJECTED', actor: 'human:carol' });
      expect((await e.audit.query({ actor: 'human:*' })).map((r) => r.actor)).toEqual(['human:carol', 'human:bob']);
      expect((await e.audit.query({ action: 'queued' })).map((r) => r.action)).toEqual(['QUEUED']);
      expect((await e.audit.query({ pipelineId: 'aa' })).length).toBe(2);
      expect((await e.audit.query({ since: o.clock() })).length).toBe(2);
      const newest = (await e.audit.head()).id;
      expect((await e.audit.query({ beforeId: newest, limit: 1 })).map((r) => r.action)).toEqual(['APPROVED']);
    });

    it('refuses updates and deletes through the interface’s database', async () => {
      const id = await e.audit.append(entry(1));
      await expect(o.exec(`UPDATE audit SET reason = 'x' WHERE id = ${id}`)).rejects.toThrow(/append-only/);
      await expect(o.exec(`DELETE FROM audit WHERE id = ${id}`)).rejects.toThrow(/append-only/);
      expect((await e.audit.verify()).intact).toBe(true);
    });

    it('verify finds an edited entry, a removed one and removed newest entries', async () => {
      for (let i = 0; i < 6; i++) await e.audit.append(entry(i));
      const head = await e.audit.head();
      await o.tamperAudit(head.id - 4, 'reason', 'nothing to see');
      let report = await e.audit.verify();
      expect(report.intact).toBe(false);
      expect(report.modified).toEqual([head.id - 4]);
      expect(report.problems[0]!.kind).toBe('edited');

      await o.deleteAudit(head.id - 2);
      await o.deleteAudit(head.id);
      report = await e.audit.verify();
      expect(report.gaps).toEqual([head.id - 1]);
      expect(report.tail_removed).toEqual({ from: head.id, to: head.id });
      expect(report.problems.map((p) => p.kind)).toEqual(['edited', 'removed', 'tail_removed']);
    });

    it('keyed chains: HMAC entries, checked only with the key', async () => {
      const key = Buffer.from('a key of at least sixteen bytes');
      const keyed = await o.another({ auditKey: key });
      expect(keyed.audit.keyed).toBe(true);
      await keyed.audit.appendMany([entry(1), entry(2)]);
      expect(await keyed.audit.verify()).toMatchObject({ intact: true, keyed: 2, key_used: true });
      const unkeyed = await e.audit.verify();
      expect(unkeyed).toMatchObject({ intact: false, unchecked_keyed: 2 });
      expect(unkeyed.problems.map((p) => p.kind)).toEqual(['key_missing']);
      await expect(e.audit.append(entry(3))).rejects.toThrow(/the audit trail is keyed/);
    });

    it('anchors: a head recorded earlier must still be in the log with its hash', async () => {
      await e.audit.appendMany([entry(1), entry(2), entry(3)]);
      const h = await e.audit.head();
      const anchor = { id: h.id, hash: h.hash, count: h.count, at: o.clock() };
      expect((await e.audit.verify({ anchors: [anchor] })).intact).toBe(true);
      const forged = await e.audit.verify({ anchors: [{ ...anchor, hash: 'f'.repeat(64) }] });
      expect(forged.problems.map((p) => p.kind)).toEqual(['anchor_rewritten']);
    });

    it('concurrent appenders on several connections keep one unbroken chain', async () => {
      const a = await seed();
      const engines = [e, await o.another(), await o.another()];
      await Promise.all(
        engines.flatMap((eng, i) =>
          [0, 1, 2, 3].map(async (j) => {
            for (let k = 0; k < 10; k++) {
              if (k % 3 === 0) await eng.audit.appendMany([entry(k, a.id), entry(k + 1)]);
              else await eng.audit.append(entry(i * 100 + j * 10 + k, k % 2 ? a.id : null));
            }
          }),
        ),
      );
      const report = await e.audit.verify();
      expect(report).toMatchObject({ intact: true, gaps: [], modified: [] });
      expect(report.checked).toBe(3 * 4 * (10 + 4));
      const trail = await e.audit.query({ pipelineId: a.id, limit: 1000 });
      for (let i = 0; i + 1 < trail.length; i++) expect(trail[i]!.pipeline_prev_id).toBe(trail[i + 1]!.id);
    });
  });
});
