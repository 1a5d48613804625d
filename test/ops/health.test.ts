import { describe, expect, it } from 'vitest';
import { addBook, addWorking, DAY, HOUR, MIN, setup } from './helpers.js';

/** Finishes a fresh working book one second later: one more finished run for the failure rate. */
function finisher({ s, clock }: Pick<ReturnType<typeof setup>, 's' | 'clock'>) {
  return (state: 'complete' | 'failed') => {
    const b = addWorking(s, 'embedding', MIN, 5 * MIN);
    clock.advance(1000);
    s.db.prepare(`UPDATE pipelines SET state = ?, state_entered_at = ?, lease_owner = NULL WHERE id = ?`).run(state, clock(), b.id);
  };
}

describe('health report', () => {
  it('is healthy on an empty database, with zeroed counts', async () => {
    const { s } = setup();
    const r = await s.ops.health.report();
    expect(r.status).toBe('healthy');
    expect(r.alerts).toEqual([]);
    expect(r.active).toBe(0);
    expect(r.queued).toBe(0);
    expect(r.throughput_last_hour).toHaveLength(60);
    expect(r.estimated_queue_minutes).toBe(0);
    s.close();
  });

  it('counts from the aggregate: active, queued by priority, pending approval, needs_retry, failed, oldest queued', async () => {
    const { s } = setup();
    const now = s.clock();
    s.queue.register('w1');
    addBook(s, { state: 'detected', priority: 2, state_entered_at: now - 3 * HOUR });
    addBook(s, { state: 'detected', priority: 5 });
    addBook(s, { state: 'approved', priority: 5 });
    addBook(s, { state: 'needs_retry', priority: 9, state_entered_at: now - HOUR });
    addBook(s, { state: 'pending_approval' });
    addBook(s, { state: 'failed' });
    addWorking(s, 'processing', MIN);
    addWorking(s, 'hashing', 10_000);
    const r = await s.ops.health.report();
    expect(r.active).toBe(2);
    expect(r.queued).toBe(4);
    expect(r.queue_by_priority[2]).toBe(1);
    expect(r.queue_by_priority[5]).toBe(2);
    expect(r.queue_by_priority[9]).toBe(1);
    expect(r.pending_approval).toBe(1);
    expect(r.needs_retry).toBe(1);
    expect(r.failed).toBe(1);
    expect(r.oldest_queued_seconds).toBe(3 * 3600);
    expect(r.workers.map((w) => w.id)).toEqual(['w1']);
    s.close();
  });

  it('completed in 24 h, throughput, per-minute buckets and the queue estimate', async () => {
    const { s, clock } = setup();
    const now = clock();
    for (let i = 0; i < 48; i++) addBook(s, { state: 'complete', completed_at: now - 25 * MIN - i * 20 * MIN });
    addBook(s, { state: 'complete', completed_at: now - 2 * DAY }); // too old
    addBook(s, { state: 'complete', completed_at: now - 30_000 }); // last minute bucket
    for (let i = 0; i < 10; i++) addBook(s, { state: 'detected' });
    s.queue.register('w1');
    const r = await s.ops.health.report();
    // 48 in the window minus those older than 24 h: 25 min + i*20 min < 24 h → i <= 70, all 48; plus the recent one.
    expect(r.completed_24h).toBe(49);
    expect(r.throughput_per_hour).toBeCloseTo(49 / 24, 1);
    expect(r.throughput_last_hour[59]).toBe(1);
    expect(r.throughput_last_hour.reduce((a, b) => a + b, 0)).toBe(3); // 30 s, 25 min and 45 min ago
    expect(r.estimated_queue_minutes).toBeCloseTo((10 / (49 / 24)) * 60, 0);
    s.close();
  });

  it('average processing time sums the recent run time of each working state', async () => {
    const { s, clock } = setup();
    const b = addWorking(s, 'hashing', 0);
    clock.advance(20_000);
    s.db.prepare(`UPDATE pipelines SET state = 'classifying', state_entered_at = ? WHERE id = ?`).run(clock(), b.id);
    clock.advance(40_000);
    s.db.prepare(`UPDATE pipelines SET state = 'selecting_strategy', state_entered_at = ? WHERE id = ?`).run(clock(), b.id);
    expect((await s.ops.health.report()).avg_processing_seconds).toBe(60);
    s.close();
  });

  it('stuck_pipeline is a warning and makes the status degraded', async () => {
    const { s } = setup();
    s.queue.register('w1');
    const b = addWorking(s, 'processing', 45 * MIN);
    const r = await s.ops.health.report();
    expect(r.status).toBe('degraded');
    expect(r.alerts).toEqual([
      { severity: 'warning', code: 'stuck_pipeline', message: `1 pipeline stuck (${b.id.slice(0, 8)} in processing for 45 min, expected 15)` },
    ]);
    expect(r.stuck.map((x) => x.id)).toEqual([b.id]);
    s.close();
  });

  it('high_failure_rate waits for failure_min_finished finished books (a fresh library with broken files is not an outage)', async () => {
    const { s, clock } = setup();
    s.queue.register('w1');
    const finish = finisher({ s, clock });
    for (let i = 0; i < 3; i++) finish('failed');
    let r = await s.ops.health.report();
    expect(r.failure_rate).toBe(1);
    expect(r.alerts.map((a) => a.code)).not.toContain('high_failure_rate');
    for (let i = 0; i < 7; i++) finish('complete');
    r = await s.ops.health.report();
    expect(r.finished_window).toBe(10);
    expect(r.alerts.map((a) => a.code)).toContain('high_failure_rate');
    s.close();
  });

  it('high_failure_rate above 20% of the last 100 finished, not at 20%', async () => {
    const { s, clock } = setup();
    s.queue.register('w1');
    const finish = finisher({ s, clock });
    for (let i = 0; i < 8; i++) finish('complete');
    finish('failed');
    finish('failed');
    let r = await s.ops.health.report();
    expect(r.failure_rate).toBe(0.2);
    expect(r.alerts.map((a) => a.code)).not.toContain('high_failure_rate');
    finish('failed');
    r = await s.ops.health.report();
    expect(r.alerts.find((a) => a.code === 'high_failure_rate')?.severity).toBe('warning');
    expect(r.status).toBe('degraded');
    // Only the last 100 count: 100 completions push the failures out of the window.
    for (let i = 0; i < 100; i++) finish('complete');
    r = await s.ops.health.report();
    expect(r.finished_window).toBe(100);
    expect(r.alerts.map((a) => a.code)).not.toContain('high_failure_rate');
    s.close();
  });

  it('queue_backup is info over 100 queued (status stays healthy)', async () => {
    const { s } = setup();
    s.queue.register('w1');
    for (let i = 0; i < 100; i++) addBook(s);
    expect((await s.ops.health.report()).alerts).toEqual([]);
    addBook(s);
    const r = await s.ops.health.report();
    expect(r.alerts).toEqual([{ severity: 'info', code: 'queue_backup', message: '101 pipelines queued (threshold 100)' }]);
    expect(r.status).toBe('healthy');
    s.close();
  });

  it('worker_idle at once when books are queued and no worker is running; critical once the last one is gone for 5 minutes', async () => {
    const { s, clock } = setup();
    addBook(s);
    let r = await s.ops.health.report();
    expect(r.alerts).toEqual([{ severity: 'warning', code: 'worker_idle', message: '1 queued and no worker running (none has ever sent a heartbeat)' }]);
    s.queue.register('w1', { leaseMs: 10_000 });
    expect((await s.ops.health.report()).alerts).toEqual([]);
    s.queue.unregister('w1'); // stopped cleanly: nothing moves the queue now
    r = await s.ops.health.report();
    expect(r.status).toBe('degraded');
    expect(r.alerts).toEqual([{ severity: 'warning', code: 'worker_idle', message: '1 queued and no worker running (last heartbeat 0s ago)' }]);
    expect(r.estimated_queue_minutes).toBeNull();
    clock.advance(5 * MIN + 1000);
    r = await s.ops.health.report();
    expect(r.alerts.map((a) => [a.code, a.severity])).toEqual([['worker_idle', 'critical']]);
    expect(r.status).toBe('unhealthy');
    expect(r.workers[0]?.heartbeat_age_seconds).toBe(301);
    s.queue.register('w1', { leaseMs: 10_000 });
    expect((await s.ops.health.report()).alerts).toEqual([]);
    s.close();
  });

  it('disk_space_low is critical and makes the status unhealthy (threshold configurable)', async () => {
    const { s } = setup({ health: { disk_min_free_bytes: 1e18 } });
    const r = await s.ops.health.report();
    expect(r.alerts.map((a) => [a.code, a.severity])).toEqual([['disk_space_low', 'critical']]);
    expect(r.status).toBe('unhealthy');
    expect(r.disk_free_bytes).toBeGreaterThan(0);
    s.close();
    const { s: s2 } = setup({ health: { disk_min_free_bytes: 0 } });
    expect((await s2.ops.health.report()).status).toBe('healthy');
    s2.close();
  });

  it('thresholds come from config and are validated', async () => {
    const { s } = setup({ health: { queue_backup: 2 } });
    s.queue.register('w1');
    for (let i = 0; i < 3; i++) addBook(s);
    expect((await s.ops.health.report()).alerts.map((a) => a.code)).toEqual(['queue_backup']);
    expect(() => s.ops.withOverrides({ health: { failure_rate: 2 } })).toThrow(/failure_rate/);
    s.close();
  });
});
