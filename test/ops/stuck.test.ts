import { describe, expect, it } from 'vitest';
import { addBook, addWorking, MIN, setup } from './helpers.js';
import { createServices } from '../../src/services.js';
import { AlreadyRecoveredError } from '../../src/ops/recovery.js';
import { LeaseLostError } from '../../src/domain/errors.js';
import { auditCount } from './helpers.js';

describe('stuck detection', () => {
  it('finds a book whose lease expired in a working state, even under its threshold', async () => {
    const { s } = setup();
    const live = addWorking(s, 'hashing', 10_000, 5 * MIN);
    const dead = addWorking(s, 'hashing', 10_000, -1000);
    const stuck = await s.ops.stuck.detect();
    expect(stuck.map((b) => [b.id, b.reason])).toEqual([[dead.id, 'lease_expired']]);
    expect(stuck.map((b) => b.id)).not.toContain(live.id);
    s.close();
  });

  it('uses the default expected durations × 2 until enough samples are learned', async () => {
    const { s } = setup();
    const under = addWorking(s, 'processing', 29 * MIN); // default 900 s × 2 = 30 min
    const over = addWorking(s, 'processing', 31 * MIN);
    const emb = addWorking(s, 'embedding', 21 * MIN); // 600 s × 2 = 20 min
    const sel = addWorking(s, 'selecting_strategy', 59_000); // 30 s × 2
    const stuck = await s.ops.stuck.detect();
    expect(new Set(stuck.map((b) => b.id))).toEqual(new Set([over.id, emb.id]));
    expect(stuck.find((b) => b.id === over.id)).toMatchObject({ reason: 'over_threshold', expected_seconds: 900, stuck_seconds: 31 * 60 });
    expect(stuck.map((b) => b.id)).not.toContain(under.id);
    expect(stuck.map((b) => b.id)).not.toContain(sel.id);
    // longest stuck first
    expect(stuck[0]!.id).toBe(over.id);
    s.close();
  });

  it('never flags waiting books (queued, pending approval) however old', async () => {
    const { s } = setup();
    const old = s.clock() - 30 * 24 * 60 * MIN;
    for (const state of ['detected', 'needs_retry', 'approved', 'pending_approval'] as const) addBook(s, { state, state_entered_at: old, created_at: old });
    expect(await s.ops.stuck.detect()).toEqual([]);
    expect(await s.ops.stuck.count()).toBe(0);
    s.close();
  });

  it('uses the learned median once there are min_samples samples (durations job)', async () => {
    const { s, clock } = setup();
    // 100 hashing runs of 10 s each, recorded by the history trigger.
    for (let i = 0; i < 100; i++) {
      const b = addWorking(s, 'hashing', 0);
      clock.advance(10_000);
      s.db.prepare(`UPDATE pipelines SET state = 'classifying', state_entered_at = ? WHERE id = ?`).run(clock(), b.id);
      s.db.prepare(`UPDATE pipelines SET state = 'complete', state_entered_at = ?, lease_owner = NULL WHERE id = ?`).run(clock(), b.id);
    }
    const candidate = addWorking(s, 'hashing', 25_000); // over 2 × 10 s, under 2 × 60 s
    expect((await s.ops.stuck.detect()).map((b) => b.id)).toEqual([]); // not learned yet
    const stats = await s.ops.durations.refresh();
    expect(stats.find((x) => x.state === 'hashing')).toMatchObject({ samples: 100, median_ms: 10_000, p95_ms: 10_000, max_ms: 10_000 });
    const stuck = await s.ops.stuck.detect();
    expect(stuck.map((b) => [b.id, b.expected_seconds])).toEqual([[candidate.id, 10]]);
    expect((await s.ops.stuck.thresholds()).find((t) => t.state === 'hashing')?.source).toBe('learned');
    // Fewer samples than required → back to the default.
    const strict = s.ops.withOverrides({ stuck: { min_samples: 101 } });
    expect(await strict.stuck.detect()).toEqual([]);
    s.close();
  });

  it('custom expected seconds and multiplier from config', async () => {
    const { s } = setup({ stuck: { expected_seconds: { processing: 60 }, multiplier: 3 } });
    const a = addWorking(s, 'processing', 170_000);
    const b = addWorking(s, 'processing', 190_000);
    expect((await s.ops.stuck.detect()).map((x) => x.id)).toEqual([b.id]);
    expect((await s.ops.withOverrides({ stuck: { multiplier: 2 } }).stuck.detect()).map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
    s.close();
  });
});

describe('recovery', () => {
  it('retry: → needs_retry with backoff, lease revoked, audited with actor and cause', () => {
    const { s, clock } = setup();
    const b = addWorking(s, 'processing', 45 * MIN, -MIN, { attempts: 2 });
    const r = s.ops.recovery.recover(b.id, 'retry', 'human:alice');
    expect(r.pipeline.state).toBe('needs_retry');
    expect(r.pipeline.lease_owner).toBeNull();
    expect(r.pipeline.lease_token).toBeNull();
    expect(r.pipeline.attempts).toBe(2); // the claim that started the run counted it
    expect(r.pipeline.next_attempt_at).toBe(clock() + 60_000); // 30 s × 2^(2-1)
    const a = s.audit.get(r.audit_id)!;
    expect(a).toMatchObject({ action: 'STUCK_RECOVERED', actor: 'human:alice', pipeline_id: b.id });
    expect(a.reason).toMatch(/lease of w1 expired/);
    expect(JSON.parse(a.details_json!)).toMatchObject({ action: 'retry', automatic: false });
    // The worker that held it finds its lease gone.
    expect(() =>
      s.pipelines.transition({ id: b.id, from: 'processing', to: 'validating', actor: 'system:worker:w1', leaseToken: b.lease_token! }),
    ).toThrow(LeaseLostError);
    s.close();
  });

  it('retry of a book out of attempts goes to failed', () => {
    const { s } = setup();
    const b = addWorking(s, 'embedding', 45 * MIN, -MIN, { attempts: 5, max_attempts: 5 });
    expect(s.ops.recovery.recover(b.id, 'retry', 'human:alice').pipeline.state).toBe('failed');
    s.close();
  });

  it('reset: → detected to start over; an embedding book → approved', () => {
    const { s } = setup();
    const p = addWorking(s, 'classifying', MIN, 5 * MIN, { attempts: 3 });
    const e = addWorking(s, 'embedding', MIN, 5 * MIN);
    const rp = s.ops.recovery.recover(p.id, 'reset', 'human:bob');
    expect(rp.pipeline).toMatchObject({ state: 'detected', attempts: 0, lease_owner: null });
    expect(s.ops.recovery.recover(e.id, 'reset', 'human:bob').pipeline.state).toBe('approved');
    s.close();
  });

  it('reject needs a reason', () => {
    const { s } = setup();
    const b = addWorking(s, 'validating', MIN);
    expect(() => s.ops.recovery.recover(b.id, 'reject', 'human:bob')).toThrow(/reason/);
    expect(s.pipelines.require(b.id).state).toBe('validating');
    const r = s.ops.recovery.recover(b.id, 'reject', 'human:bob', 'corrupt scan');
    expect(r.pipeline.state).toBe('rejected');
    expect(s.audit.get(r.audit_id)!.reason).toBe('corrupt scan');
    s.close();
  });

  it('two operators racing from two connections: one wins, the other is refused and writes nothing', async () => {
    const { s, dbPath, clock } = setup();
    const other = createServices(dbPath, { clock, opsConfig: {} });
    const b = addWorking(s, 'processing', 45 * MIN, -MIN);
    const seenA = (await s.ops.stuck.detect())[0]!;
    const seenB = (await other.ops.stuck.detect())[0]!;
    expect(seenB.id).toBe(b.id);
    s.ops.recovery.recoverWith(seenA.id, 'retry', 'human:alice', { expectedVersion: seenA.version });
    const before = auditCount(s);
    const historyBefore = (s.db.prepare('SELECT COUNT(*) AS n FROM state_history WHERE pipeline_id = ?').get(b.id) as { n: number }).n;
    expect(() => other.ops.recovery.recoverWith(seenB.id, 'reset', 'human:bob', { expectedVersion: seenB.version })).toThrow(AlreadyRecoveredError);
    expect(() => other.ops.recovery.recover(b.id, 'retry', 'human:bob')).toThrow(/already recovered/);
    expect(auditCount(s)).toBe(before);
    expect((s.db.prepare('SELECT COUNT(*) AS n FROM state_history WHERE pipeline_id = ?').get(b.id) as { n: number }).n).toBe(historyBefore);
    expect(s.pipelines.require(b.id).state).toBe('needs_retry');
    other.close();
    s.close();
  });

  it('a book claimed again after the listing is not taken by a stale recovery (version guard)', async () => {
    const { s } = setup();
    const b = addWorking(s, 'processing', 45 * MIN, -MIN);
    const seen = (await s.ops.stuck.detect())[0]!;
    // It moved on (its worker resumed and advanced it).
    s.pipelines.transition({ id: b.id, from: 'processing', to: 'validating', actor: 'system:worker:w1', leaseToken: b.lease_token! });
    expect(() => s.ops.recovery.recoverWith(b.id, 'retry', 'human:alice', { expectedVersion: seen.version })).toThrow(/changed since/);
    expect(s.pipelines.require(b.id).state).toBe('validating');
    s.close();
  });

  it('automatic rules recover at most max_auto_recoveries times per book, then only alert', async () => {
    const { s, clock } = setup();
    const b = addWorking(s, 'hashing', 10_000, -1000);
    const live = addWorking(s, 'processing', 31 * MIN, 180 * MIN); // over threshold, but under the 60 min rule
    for (let round = 1; round <= 2; round++) {
      const rep = await s.ops.recovery.autoRecover();
      expect(rep.recovered.map((r) => [r.id, r.rule, r.to])).toEqual([[b.id, 'lease_expired', 'needs_retry']]);
      expect(rep.unmatched).toBe(1);
      const row = s.pipelines.require(b.id);
      expect(row.auto_recoveries).toBe(round);
      // claimed again and its worker dies again
      clock.advance(10 * MIN);
      s.db.prepare(`UPDATE pipelines SET state = 'hashing', state_entered_at = ?, lease_owner = 'w2', lease_token = 't', lease_expires_at = ? WHERE id = ?`).run(clock() - 5000, clock() - 1000, b.id);
    }
    const rep = await s.ops.recovery.autoRecover();
    expect(rep.recovered.map((r) => r.id)).not.toContain(b.id);
    expect(rep.capped).toContain(b.id);
    expect(s.pipelines.require(b.id).state).toBe('hashing');
    const autos = s.audit.query({ action: 'STUCK_RECOVERED' });
    expect(autos.filter((a) => a.pipeline_id === b.id).map((a) => a.actor)).toEqual(['auto:lease_expired', 'auto:lease_expired']);
    // Still reported as stuck (alert only).
    expect((await s.ops.health.report()).alerts.map((a) => a.code)).toContain('stuck_pipeline');
    // The processing rule fires after 60 minutes in the state.
    clock.advance(0);
    s.db.prepare('UPDATE pipelines SET state_entered_at = ? WHERE id = ?').run(clock() - 61 * MIN, live.id);
    const rep2 = await s.ops.recovery.autoRecover();
    expect(rep2.recovered.find((r) => r.id === live.id)).toMatchObject({ rule: 'processing_over_60m', to: 'needs_retry' });
    s.close();
  });

  it('automatic lease rule does not take a book whose lease was renewed since detection', async () => {
    const { s, clock } = setup();
    const b = addWorking(s, 'hashing', 10_000, -1000);
    const seen = (await s.ops.stuck.detect())[0]!;
    s.queue.heartbeat('w1', 60_000); // the worker was only slow: heartbeat renews the lease (no version change)
    expect(() =>
      s.ops.recovery.recoverWith(b.id, 'retry', 'auto:lease_expired', { expectedVersion: seen.version, requireLeaseExpired: true, auto: { rule: 'lease_expired' } }),
    ).toThrow(/live lease/);
    expect(s.pipelines.require(b.id).lease_owner).toBe('w1');
    void clock;
    s.close();
  });
});
