/**
 * The audit table is append-only in the database itself (not just in the code), and its hash
 * chain makes an edit made behind the triggers' back evident.
 */
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { immediate } from '../../src/db/db.js';
import { auditToJson, parseSince } from '../../src/db/audit.js';
import { tempDbPath } from '../helpers/tmp.js';
import { openTest, seed } from './helpers.js';

function withRows(dbPath = tempDbPath()) {
  const s = openTest(dbPath);
  const p = seed(s, 'pending_approval');
  const ids = immediate(s.db, () => [
    s.audit.append({ action: 'QUEUED', actor: 'human:a', pipeline_id: p.id, after: 'detected' }),
    s.audit.append({ action: 'APPROVED', actor: 'human:b', pipeline_id: p.id, before: 'pending_approval', after: 'approved' }),
    s.audit.append({ action: 'BATCH_QUEUED', actor: 'auto:rule', ids: ['x', 'y'], filter: { dir: '/d' } }),
  ]);
  return { s, p, ids, dbPath };
}

describe('audit is append-only in the database', () => {
  it('rejects UPDATE of any row', () => {
    const { s, ids } = withRows();
    expect(() => s.db.prepare(`UPDATE audit SET reason = 'edited' WHERE id = ?`).run(ids[0])).toThrow(/append-only/);
    expect(s.audit.get(ids[0]!)!.reason).toBeNull();
  });

  it('rejects DELETE unless the retention gate is open', () => {
    const { s, ids } = withRows();
    expect(() => s.db.prepare('DELETE FROM audit WHERE id = ?').run(ids[0])).toThrow(/append-only/);
    expect(() => s.db.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
    expect(s.db.prepare('SELECT COUNT(*) FROM audit').pluck().get()).toBe(3);
    immediate(s.db, () => {
      s.db.prepare('UPDATE audit_gate SET open = 1 WHERE id = 1').run();
      s.db.prepare('DELETE FROM audit WHERE id = ?').run(ids[0]);
      s.db.prepare('UPDATE audit_gate SET open = 0 WHERE id = 1').run();
    });
    expect(s.db.prepare('SELECT COUNT(*) FROM audit').pluck().get()).toBe(2);
  });

  it('rejects INSERT OR REPLACE (and a plain INSERT) reusing an existing id', () => {
    const { s, ids } = withRows();
    const original = s.audit.get(ids[1]!);
    expect(() =>
      s.db
        .prepare(`INSERT OR REPLACE INTO audit (id, at, action, actor, hash) VALUES (?, 1, 'APPROVED', 'human:evil', 'x')`)
        .run(ids[1]),
    ).toThrow(/append-only/);
    expect(() =>
      s.db.prepare(`INSERT INTO audit (id, at, action, actor, hash) VALUES (?, 1, 'APPROVED', 'human:evil', 'x')`).run(ids[1]),
    ).toThrow();
    expect(s.audit.get(ids[1]!)).toEqual(original);
  });

  it('refuses append outside a transaction, and bad action or actor spellings', () => {
    const { s } = withRows();
    expect(() => s.audit.append({ action: 'QUEUED', actor: 'human:a' })).toThrow(/inside the transaction/);
    expect(() => immediate(s.db, () => s.audit.append({ action: 'queued', actor: 'human:a' }))).toThrow(/CHECK/);
    expect(() => immediate(s.db, () => s.audit.append({ action: 'QUEUED', actor: 'alice' }))).toThrow(/CHECK/);
  });
});

const CLEAN = { intact: true, problems: [], modified: [], gaps: [], retention_gaps: 0, bridged_rows: 0, unverifiable_gaps: [], tail_removed: null };
const DAY = 86_400_000;

/** Retention as maintenance runs it, with a policy of its own (action → days kept). */
async function retention(s: ReturnType<typeof openTest>, days: Record<string, number>) {
  return s.ops.withConfig({ ...s.ops.config, retention: { enabled: true, days } }).retention.run();
}

describe('hash chain', () => {
  it('verifies a clean chain', () => {
    const { s } = withRows();
    expect(s.audit.verify()).toMatchObject({ checked: 3, ...CLEAN });
  });

  it('detects a row edited through a raw connection after dropping the trigger', () => {
    const { s, ids, dbPath } = withRows();
    s.close();
    const raw = new Database(dbPath);
    raw.exec('DROP TRIGGER audit_no_update');
    raw.prepare(`UPDATE audit SET actor = 'human:mallory' WHERE id = ?`).run(ids[1]);
    raw.close();
    const again = openTest(dbPath);
    expect(again.audit.verify()).toMatchObject({ checked: 3, ...CLEAN, intact: false, problems: [{ kind: 'edited' }], modified: [ids[1]] });
    again.close();
  });

  it('detects a row deleted behind the gate’s back as a gap', () => {
    const { s, ids, dbPath } = withRows();
    s.close();
    const raw = new Database(dbPath);
    raw.exec('DROP TRIGGER audit_no_delete');
    raw.prepare('DELETE FROM audit WHERE id = ?').run(ids[1]);
    raw.close();
    const again = openTest(dbPath);
    expect(again.audit.verify()).toMatchObject({ checked: 2, ...CLEAN, intact: false, problems: [{ kind: 'removed' }], gaps: [ids[2]] });
    again.close();
  });

  it('bridges gaps left by retention (middle and oldest rows), in small pages too', async () => {
    const { s, ids } = withRows();
    immediate(s.db, () => [1, 2, 3].map(() => s.audit.append({ action: 'BATCH_QUEUED', actor: 'human:a', ids: [] })));
    s.clockCtl.advance(40 * DAY);
    const kept = immediate(s.db, () => s.audit.append({ action: 'BATCH_QUEUED', actor: 'human:a', ids: [] }));
    // QUEUED and BATCH_QUEUED older than 30 days go: ids[0], ids[2] and more (the APPROVED row stays).
    const r = await retention(s, { QUEUED: 30, BATCH_QUEUED: 30 });
    expect(r.total).toBe(5);
    for (const pageSize of [1, 2, 10_000]) {
      expect(s.audit.verify({ pageSize })).toMatchObject({ checked: 3, ...CLEAN, retention_gaps: 2, bridged_rows: 5, prunes: 1 });
    }
    expect(s.audit.get(r.audit_id!)).toMatchObject({ action: 'AUDIT_PRUNED', count: 5 });
    // A deletion record edited afterwards no longer links the chain.
    s.close();
    const raw = new Database(s.db.name);
    raw.prepare(`UPDATE audit_deletions SET hash = 'forged' WHERE id = ?`).run(ids[2]);
    raw.close();
    const again = openTest(s.db.name);
    expect(again.audit.verify()).toMatchObject({ intact: false, checked: 3, retention_gaps: 1, gaps: [kept] });
    again.close();
  });
});

describe('retention removing the newest rows', () => {
  it('every row old enough: the log keeps only AUDIT_PRUNED, which links through the removed rows, and verifies', async () => {
    const { s, ids } = withRows();
    s.clockCtl.advance(800 * DAY);
    const r = await retention(s, { QUEUED: 30, APPROVED: 30, BATCH_QUEUED: 30 });
    expect(r.total).toBe(3);
    expect(s.db.prepare('SELECT action FROM audit').pluck().all()).toEqual(['AUDIT_PRUNED']);
    expect(s.audit.get(r.audit_id!)!.prev_hash).toBe(s.db.prepare('SELECT hash FROM audit_deletions WHERE id = ?').pluck().get(ids[2]));
    expect(s.audit.verify()).toMatchObject({ ...CLEAN, checked: 1, retention_gaps: 1, bridged_rows: 3 });
    // The next entry links to the retention entry as usual.
    immediate(s.db, () => s.audit.append({ action: 'BATCH_QUEUED', actor: 'human:a', ids: [] }));
    expect(s.audit.verify()).toMatchObject({ ...CLEAN, checked: 2, retention_gaps: 1, bridged_rows: 3 });
    s.close();
  });
});

describe('audit queries', () => {
  it('filters by book, actor (exact or glob), action and since; newest first', () => {
    const { s, p, ids } = withRows();
    expect(s.audit.query({ pipelineId: p.id }).map((r) => r.id)).toEqual([ids[1], ids[0]]);
    expect(s.audit.query({ actor: 'human:*' }).map((r) => r.id)).toEqual([ids[1], ids[0]]);
    expect(s.audit.query({ actor: 'auto:rule' }).map((r) => r.id)).toEqual([ids[2]]);
    expect(s.audit.query({ action: 'approved' }).map((r) => r.id)).toEqual([ids[1]]);
    expect(s.audit.query({ since: s.clock() + 1 })).toEqual([]);
    expect(s.audit.query({ limit: 1 }).map((r) => r.id)).toEqual([ids[2]]);
    const doc = auditToJson(s.audit.get(ids[2]!)!);
    expect(doc).toMatchObject({ action: 'BATCH_QUEUED', ids: ['x', 'y'], count: 2, filter: { dir: '/d' } });
  });

  it('parses --since durations and dates', () => {
    const now = Date.UTC(2026, 0, 10);
    expect(parseSince('7d', now)).toBe(now - 7 * 86_400_000);
    expect(parseSince('30m', now)).toBe(now - 30 * 60_000);
    expect(parseSince('2026-01-01', now)).toBe(Date.UTC(2026, 0, 1));
    expect(() => parseSince('soon', now)).toThrow(/invalid --since/);
  });
});
