/**
 * A book's trails (migration 5): its history and audit rows are reached by walking from the
 * pipeline row, and content uniqueness rides on live_hash. These are what `status`, `audit
 * --book-id` and the console's book filter show, so each walk is checked against a plain scan of
 * the table, including after retention deleted rows in the middle of a trail.
 */
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { createServices, type SqliteServices as Services } from '../../src/services.js';
import { openDatabase, schemaVersion } from '../../src/db/db.js';
import { MIGRATIONS } from '../../src/db/migrations.js';
import { readHistoryRows } from '../../src/db/history.js';
import { tempDbPath } from '../helpers/tmp.js';
import { oldAuditWithRetentionGap, testClock } from './helpers.js';

const DAY = 86_400_000;

function open(opsConfig: Record<string, unknown> = {}) {
  const clock = testClock();
  const s = createServices(tempDbPath(), { clock, opsConfig });
  return { s, clock };
}

function book(s: Services, hash: string | null = null) {
  return s.pipelines.insert({ source_path: `/b/${Math.random()}.epub`, content_hash: hash, actor: 'system:test' });
}

function audit(s: Services, pipelineId: string, action: string, actor = 'human:alice') {
  return s.db.transaction(() => s.audit.append({ action, actor, pipeline_id: pipelineId })).immediate();
}

const scanHistory = (s: Services, id: string) =>
  s.db.prepare('SELECT id FROM state_history WHERE pipeline_id = ? ORDER BY id').pluck().all(id);
const scanAudit = (s: Services, id: string) =>
  s.db.prepare('SELECT id FROM audit WHERE pipeline_id = ? ORDER BY id DESC').pluck().all(id);

describe('history trail', () => {
  it('walks exactly the book’s rows, oldest first, with other books interleaved', () => {
    const { s, clock } = open();
    const a = book(s);
    const b = book(s);
    const path = ['hashing', 'classifying', 'selecting_strategy', 'processing'] as const;
    let from: string = 'detected';
    for (const to of path) {
      clock.advance(1000);
      s.pipelines.transition({ id: a.id, from: from as 'detected', to, actor: 'system:test' });
      s.pipelines.transition({ id: b.id, from: from as 'detected', to, actor: 'system:test' });
      from = to;
    }
    const walked = readHistoryRows(s.db, a.id);
    expect(walked.map((h) => h.id)).toEqual(scanHistory(s, a.id));
    expect(walked.map((h) => h.to_state)).toEqual(['detected', ...path]);
    expect(walked[2]).toMatchObject({ from_state: 'hashing', to_state: 'classifying', duration_ms: 1000 });
    expect(readHistoryRows(s.db, b.id).map((h) => h.id)).toEqual(scanHistory(s, b.id));
    expect(readHistoryRows(s.db, 'ffffffffffffffffffffffffffffffff')).toEqual([]);
    s.close();
  });
});

describe('audit trail', () => {
  it('query by book walks its rows newest first and combines with actor and action filters', () => {
    const { s } = open();
    const a = book(s);
    const b = book(s);
    for (let i = 0; i < 5; i++) {
      audit(s, a.id, 'PRIORITY_CHANGED', i % 2 ? 'human:bob' : 'human:alice');
      audit(s, b.id, 'APPROVED');
      s.db.transaction(() => s.audit.append({ action: 'BATCH_QUEUED', actor: 'human:alice', ids: [a.id] })).immediate();
    }
    expect(s.audit.query({ pipelineId: a.id }).map((r) => r.id)).toEqual(scanAudit(s, a.id));
    expect(s.audit.query({ pipelineId: a.id, actor: 'human:bob' }).map((r) => r.actor)).toEqual(['human:bob', 'human:bob']);
    expect(s.audit.query({ pipelineId: a.id, action: 'APPROVED' })).toEqual([]);
    expect(s.audit.query({ pipelineId: b.id, limit: 2 }).map((r) => r.id)).toEqual(scanAudit(s, b.id).slice(0, 2));
    s.close();
  });

  it('retention deleting rows in the middle of a trail leaves the older rows reachable', async () => {
    const { s, clock } = open({ retention: { days: { PRIORITY_CHANGED: 30 } } });
    const a = book(s);
    audit(s, a.id, 'APPROVED'); // kept (not in the retention config)
    audit(s, a.id, 'PRIORITY_CHANGED'); // deleted
    audit(s, a.id, 'PRIORITY_CHANGED'); // deleted
    clock.advance(40 * DAY);
    audit(s, a.id, 'REJECTED'); // kept (too young, and not listed)
    const before = scanAudit(s, a.id);
    const report = await s.ops.retention.run();
    expect(report.total).toBe(2);
    const after = scanAudit(s, a.id);
    expect(after).toHaveLength(2);
    expect(s.audit.query({ pipelineId: a.id }).map((r) => r.id)).toEqual(after);
    expect(s.audit.query({ pipelineId: a.id }).map((r) => r.action)).toEqual(['REJECTED', 'APPROVED']);
    // New rows still link onto the trail.
    audit(s, a.id, 'PRIORITY_CHANGED');
    expect(s.audit.query({ pipelineId: a.id }).map((r) => r.id)).toEqual(scanAudit(s, a.id));
    expect(before).toHaveLength(4);
    s.close();
  });

  it('the database refuses an audit row that does not link to its book’s newest row', () => {
    const { s } = open();
    const a = book(s);
    const first = audit(s, a.id, 'APPROVED');
    audit(s, a.id, 'PRIORITY_CHANGED');
    const insert = () =>
      s.db
        .prepare(
          `INSERT INTO audit (at, action, actor, pipeline_id, hash, pipeline_prev_id)
           VALUES (1, 'APPROVED', 'human:mallory', ?, 'x', ?)`,
        )
        .run(a.id, first);
    expect(insert).toThrow(/newest audit row of its pipeline/);
    expect(scanAudit(s, a.id)).toHaveLength(2);
    s.close();
  });
});

describe('live content (live_hash)', () => {
  it('one live book per content; a dead copy frees it; re-queueing while another is live is refused', () => {
    const { s } = open();
    const a = book(s, 'h1');
    expect(() => book(s, 'h1')).toThrow(/UNIQUE constraint failed: pipelines.live_hash/);
    s.pipelines.transition({ id: a.id, from: 'detected', to: 'hashing', actor: 'system:test' });
    expect(s.pipelines.findLiveByHash('h1')?.id).toBe(a.id);
    s.pipelines.transition({ id: a.id, from: 'hashing', to: 'failed', actor: 'system:test' });
    expect(s.pipelines.findLiveByHash('h1')).toBeUndefined();
    const b = book(s, 'h1');
    expect(s.pipelines.findLiveByHash('h1')?.id).toBe(b.id);
    expect(() => s.pipelines.transition({ id: a.id, from: 'failed', to: 'needs_retry', actor: 'system:test' })).toThrow(
      /UNIQUE constraint failed: pipelines.live_hash/,
    );
    expect(s.pipelines.require(a.id).state).toBe('failed');
    // A hash set later (by the hashing stage) is covered too.
    const c = book(s, null);
    expect(() => s.pipelines.updateColumns(c.id, 'detected', { content_hash: 'h1' }, { actor: 'system:test' })).toThrow(
      /UNIQUE constraint failed: pipelines.live_hash/,
    );
    s.pipelines.updateColumns(c.id, 'detected', { content_hash: 'h2' }, { actor: 'system:test' });
    expect(s.pipelines.findLiveByHash('h2')?.id).toBe(c.id);
    s.close();
  });
});

describe('migration 5 on a database with data', () => {
  it('links existing history and audit rows into trails and sets live_hash', () => {
    const file = tempDbPath();
    const raw = new Database(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma('recursive_triggers = ON');
    for (const m of MIGRATIONS.slice(0, 4)) raw.exec(m);
    raw.pragma('user_version = 4');
    const ins = raw.prepare(
      `INSERT INTO pipelines (id, source_path, content_hash, state, created_at, updated_at, state_entered_at)
       VALUES (?, ?, ?, 'detected', 1, 1, 1)`,
    );
    const ids = ['a'.repeat(32), 'b'.repeat(32), 'c'.repeat(32)];
    ids.forEach((id, i) => ins.run(id, `/b/${i}`, `hash${i}`));
    const move = raw.prepare('UPDATE pipelines SET state = ?, state_entered_at = state_entered_at + 1 WHERE id = ?');
    for (const to of ['hashing', 'classifying']) for (const id of ids) move.run(to, id);
    move.run('failed', ids[2]);
    const aud = raw.prepare(`INSERT INTO audit (at, action, actor, pipeline_id, hash) VALUES (1, 'APPROVED', 'human:x', ?, 'h')`);
    for (let i = 0; i < 3; i++) for (const id of ids) aud.run(id);
    raw.close();

    const db = openDatabase(file);
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    for (const id of ids) {
      expect(readHistoryRows(db, id).map((h) => h.id)).toEqual(
        db.prepare('SELECT id FROM state_history WHERE pipeline_id = ? ORDER BY id').pluck().all(id),
      );
    }
    db.close();
    const s = createServices(file, { clock: testClock() });
    for (const id of ids) expect(s.audit.query({ pipelineId: id }).map((r) => r.id)).toEqual(scanAudit(s, id));
    expect(s.pipelines.findLiveByHash('hash0')?.id).toBe(ids[0]);
    expect(s.pipelines.findLiveByHash('hash2')).toBeUndefined(); // failed: not live
    // Appends after the migration continue the trail.
    audit(s, ids[0]!, 'REJECTED');
    expect(s.audit.query({ pipelineId: ids[0]! }).map((r) => r.id)).toEqual(scanAudit(s, ids[0]!));
    s.close();
  });

  it('verify calls a gap left before deletions were recorded unverifiable, not tampering', () => {
    // Retention as it ran under schema 4: through the gate, unrecorded.
    const file = oldAuditWithRetentionGap(4);
    const s = createServices(file, { clock: testClock() });
    expect(s.audit.verify()).toMatchObject({ checked: 2, modified: [], gaps: [], unverifiable_gaps: [3] });
    s.close();
  });
});
