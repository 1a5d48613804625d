import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addBook, addWorking, auditCount, DAY, HOUR, setup } from './helpers.js';
import { runMaintenance } from '../../src/ops/index.js';
import { parseOpsConfig } from '../../src/config/ops.js';
import { ROOT } from '../helpers/cli.js';

describe('priority aging', () => {
  it('waiting > 24 h → base − 2 (not below 1), > 48 h → 1; base kept; audited system:aging with the ids', async () => {
    const { s } = setup();
    const now = s.clock();
    const fresh = addBook(s, { priority: 5, state_entered_at: now - 23 * HOUR });
    const day = addBook(s, { priority: 5, state_entered_at: now - 25 * HOUR });
    const low = addBook(s, { priority: 2, state_entered_at: now - 25 * HOUR, state: 'needs_retry' });
    const twoDays = addBook(s, { priority: 8, state_entered_at: now - 49 * HOUR, state: 'approved' });
    const pending = addBook(s, { priority: 5, state: 'pending_approval', state_entered_at: now - 50 * HOUR });
    const r = await s.ops.aging.run();
    expect(r.ids.sort()).toEqual([day.id, low.id, twoDays.id].sort());
    expect(s.pipelines.require(fresh.id).priority).toBe(5);
    expect(s.pipelines.require(day.id)).toMatchObject({ priority: 3, base_priority: 5 });
    expect(s.pipelines.require(low.id)).toMatchObject({ priority: 1, base_priority: 2 });
    expect(s.pipelines.require(twoDays.id)).toMatchObject({ priority: 1, base_priority: 8 });
    expect(s.pipelines.require(pending.id).priority).toBe(5);
    const a = s.audit.get(r.audit_id!)!;
    expect(a).toMatchObject({ action: 'PRIORITY_AGED', actor: 'system:aging', count: 3 });
    expect(JSON.parse(a.ids_json!).sort()).toEqual(r.ids.sort());
    // counts follow the effective priority
    expect(s.queue.queuedByPriority()[1]).toBe(2);
    // idempotent: a second run ages nothing and writes no audit row
    const n = auditCount(s);
    expect((await s.ops.aging.run()).aged).toBe(0);
    expect(auditCount(s)).toBe(n);
    s.close();
  });

  it('a claimed book leaves its aged priority behind: back in the queue it starts from its base', async () => {
    const { s } = setup();
    const now = s.clock();
    const old = addBook(s, { priority: 6, state_entered_at: now - 49 * HOUR });
    await s.ops.aging.run();
    expect(s.pipelines.require(old.id).priority).toBe(1);
    const claim = s.queue.claimNext('w1', 60_000)!;
    expect(claim.pipeline).toMatchObject({ id: old.id, priority: 6, base_priority: 6 });
    s.pipelines.transition({ id: old.id, from: 'hashing', to: 'needs_retry', actor: 'system:test', leaseToken: claim.leaseToken, releaseLease: true });
    expect(s.queue.queuedByPriority()[6]).toBe(1);
    expect(s.queue.queuedByPriority()[1]).toBe(0);
    s.close();
  });
});

describe('audit retention', () => {
  it('deletes by action class and age, keeps other actions forever, records AUDIT_PRUNED', async () => {
    const { s, clock } = setup();
    const write = (action: string) => s.db.transaction(() => s.audit.append({ action, actor: 'human:a' }))();
    clock.advance(-800 * DAY);
    write('APPROVED');
    write('ROLLED_BACK');
    write('QUEUED');
    clock.advance(400 * DAY); // 400 days ago
    write('APPROVED');
    write('ROLLED_BACK');
    write('BATCH_APPROVED');
    clock.advance(310 * DAY); // 90 days ago + a bit... 400-310 = 90 days ago
    clock.advance(-1000);
    write('BATCH_REJECTED'); // 90 days + 1 s ago → goes
    clock.advance(2 * DAY);
    write('BATCH_RETRIED'); // 88 days ago → stays
    write('REJECTED');
    clock.set(clock() + 88 * DAY + 1000);
    const r = await s.ops.retention.run();
    expect(r.deleted).toEqual({ APPROVED: 2, REJECTED: 0, ROLLED_BACK: 1, 'BATCH_*': 2 });
    expect(r.total).toBe(5);
    const left = (s.db.prepare('SELECT action FROM audit ORDER BY id').all() as { action: string }[]).map((x) => x.action);
    expect(left).toEqual(['QUEUED', 'ROLLED_BACK', 'BATCH_RETRIED', 'REJECTED', 'AUDIT_PRUNED']);
    expect(s.audit.get(r.audit_id!)).toMatchObject({ action: 'AUDIT_PRUNED', actor: 'system:retention', count: 5 });
    expect((s.db.prepare('SELECT open FROM audit_gate').get() as { open: number }).open).toBe(0);
    // Configurable: QUEUED kept forever by default, deletable when configured.
    const r2 = await s.ops.withOverrides({ retention: { days: { QUEUED: 30 } } }).retention.run();
    expect(r2.deleted).toMatchObject({ QUEUED: 1 });
    expect(r2.total).toBe(1);
    s.close();
  });

  it('nothing else can delete audit rows: DELETE fails with the gate closed, and only the retention operation opens it', () => {
    const { s } = setup();
    s.db.transaction(() => s.audit.append({ action: 'APPROVED', actor: 'human:a' }))();
    expect(() => s.db.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
    expect(() => s.db.prepare("UPDATE audit SET action = 'X'").run()).toThrow(/append-only/);
    expect(auditCount(s)).toBe(1);
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.(ts|tsx)$/.test(e.name)) {
          const text = fs.readFileSync(p, 'utf8');
          if (/audit_gate\s+SET|DELETE\s+FROM\s+audit\b/i.test(text)) offenders.push(path.relative(ROOT, p));
        }
      }
    };
    for (const d of ['src', 'bin', 'screens', 'components', 'store']) if (fs.existsSync(path.join(ROOT, d))) walk(path.join(ROOT, d));
    // Retention's engine operation, one per engine (#14, #15).
    expect(offenders.sort()).toEqual(['src/db/postgres/upkeep.ts', 'src/db/sqlite/upkeep.ts']);
    s.close();
  });
});

describe('maintenance', () => {
  it('runs durations, automatic recovery, aging and retention once', async () => {
    const { s } = setup();
    const dead = addWorking(s, 'hashing', 10_000, -1000);
    const old = addBook(s, { priority: 5, state_entered_at: s.clock() - 30 * HOUR });
    const r = await runMaintenance(s);
    expect(r.errors).toEqual([]);
    expect(r.durations?.map((d) => d.state)).toContain('processing');
    expect(r.recovery?.recovered.map((x) => x.id)).toEqual([dead.id]);
    expect(r.aging?.ids).toContain(old.id);
    expect(r.retention?.total).toBe(0);
    expect(s.pipelines.require(dead.id).state).toBe('needs_retry');
    // With a config that disables aging, nothing ages.
    const young = addBook(s, { priority: 6, state_entered_at: s.clock() - 30 * HOUR });
    await runMaintenance(s, parseOpsConfig({ aging: { enabled: false } }));
    expect(s.pipelines.require(young.id).priority).toBe(6);
    s.close();
  });
});
