/**
 * The audit trail must not be hollowed out in silence (issue #16). Each case is what an intruder
 * with write access to the file does, through a separate better-sqlite3 connection: open the
 * retention gate by hand, drop the triggers, edit rows and recompute the chain with the same
 * formula the code uses, re-mark deletions as retention's, empty or recreate the log. Each is
 * checked with the real CLI (`audit --verify`), as an operator or a cron job would.
 */
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, runCliJson } from '../helpers/cli.js';
import { createServices } from '../../src/services.js';
import { MIGRATIONS } from '../../src/db/migrations.js';
import { tempDir } from '../helpers/tmp.js';
import { approvedLibrary, deleteThroughGate, ids, intruder, kinds, verify } from './audit-intruder.js';

import { DAY } from './audit-intruder.js';

describe('tampering the shipped trail could not see (each caught without a key or an anchor)', () => {
  it('the newest rows deleted through a gate opened by hand', async () => {
    const { db, auditIds } = await approvedLibrary(5);
    deleteThroughGate(db, `id >= ${auditIds[3]}`);
    const r = verify(db);
    expect(r.code).toBe(3);
    expect(r.doc.intact).toBe(false);
    expect(kinds(r.doc)).toEqual(['tail_removed']);
    expect(runCli(['audit', '--verify', '--db', db]).stdout).toMatch(/REMOVED: the newest entries .* missing outside retention/);
  });

  it('the latest APPROVED row among others deleted through the gate', async () => {
    const { db, auditIds } = await approvedLibrary(4);
    // One later row that is not an approval, so the deleted APPROVED row is in the middle.
    const s = createServices(db);
    s.db.transaction(() => s.audit.append({ action: 'BATCH_QUEUED', actor: 'human:bob', ids: [] })).immediate();
    s.close();
    deleteThroughGate(db, `id = ${auditIds.at(-1)}`);
    const r = verify(db);
    expect(r.code).toBe(3);
    expect(kinds(r.doc)).toEqual(['removed']);
  });

  it('every row deleted through the gate', async () => {
    const { db } = await approvedLibrary(3);
    deleteThroughGate(db, '1 = 1');
    const r = verify(db);
    expect(r.code).toBe(3);
    expect(r.doc.checked).toBe(0);
    expect(kinds(r.doc)).toContain('tail_removed');
    expect(runCli(['audit', '--verify', '--db', db]).stdout).not.toMatch(/intact/);
  });

  it('a deletion re-marked as retention’s (by_retention and the entry it names forged)', async () => {
    const old = await approvedLibrary(3, { at: Date.now() - 400 * DAY });
    const { db, auditIds } = await approvedLibrary(3, { db: old.db });
    // A legitimate retention run, whose AUDIT_PRUNED entry the intruder then names.
    const cfg = path.join(tempDir('ap-cfg-'), 'cfg.json');
    fs.writeFileSync(cfg, JSON.stringify({ ops: { retention: { days: { APPROVED: 365 } } } }));
    expect(runCli(['maintain', '--db', db, '--config', cfg, '--skip', 'durations,recovery,aging,checkpoint']).code).toBe(0);
    expect(verify(db).code).toBe(0);
    const prune = new Database(db, { readonly: true }).prepare(`SELECT id FROM audit WHERE action = 'AUDIT_PRUNED'`).pluck().get() as number;
    const victim = auditIds[4]!;
    intruder(db, (raw) => {
      raw.prepare('DELETE FROM audit WHERE id = ?').run(victim);
      raw.prepare(`UPDATE audit_deletions SET by_retention = 1, pruned_by = ?, at = ? WHERE id = ?`).run(prune, Date.now() - 500 * DAY, victim);
    });
    const r = verify(db);
    expect(r.code).toBe(3);
    expect(kinds(r.doc)).toEqual(expect.arrayContaining(['removed', 'invalid_prune']));
  });

  it('a book’s trail pointer (pipeline_prev_id) edited, so its trail loses entries', async () => {
    const { db, bookIds } = await approvedLibrary(2);
    const s = createServices(db);
    await s.actions.reject(bookIds[0]!, 'human:alice', 'changed my mind');
    s.close();
    const last = ids(db).at(-1)!;
    intruder(db, (raw) => raw.prepare('UPDATE audit SET pipeline_prev_id = NULL WHERE id = ?').run(last));
    const r = verify(db);
    expect(r.code).toBe(3);
    expect(r.doc.modified).toEqual([last]);
  });

  it('the log emptied (deletion records and high-water mark too) or recreated', async () => {
    const a = await approvedLibrary(3);
    intruder(a.db, (raw) => raw.exec(`DELETE FROM audit; DELETE FROM audit_deletions; DELETE FROM sqlite_sequence WHERE name = 'audit';`));
    const emptied = verify(a.db);
    expect(emptied.code).toBe(3);
    expect(kinds(emptied.doc)).toEqual(['log_recreated']);

    const b = await approvedLibrary(3);
    intruder(b.db, (raw) => {
      raw.exec(`DROP TABLE audit; DELETE FROM audit_deletions; DELETE FROM sqlite_sequence WHERE name = 'audit'; UPDATE pipelines SET last_audit_id = NULL;`);
      // The table as migrations 1, 5 and 6 left it, empty.
      raw.exec(MIGRATIONS[0]!.slice(MIGRATIONS[0]!.indexOf('CREATE TABLE audit ('), MIGRATIONS[0]!.indexOf('CREATE INDEX audit_pipeline')));
      raw.exec('ALTER TABLE audit ADD COLUMN pipeline_prev_id INTEGER; ALTER TABLE audit ADD COLUMN hash_version INTEGER;');
      raw.exec('CREATE INDEX audit_action ON audit(action, id);');
    });
    const recreated = verify(b.db);
    expect(recreated.code).toBe(3);
    expect(kinds(recreated.doc)).toEqual(['log_empty']);
    expect(runCli(['audit', '--verify', '--db', b.db]).stdout).toMatch(/EMPTIED: the log is empty but the database holds books/);
  });
});

describe('retention still verifies', () => {
  it('a real retention run (maintain) leaves a trail that verifies, its entry naming policy, ranges, count and digest', async () => {
    const old = await approvedLibrary(4, { at: Date.now() - 400 * DAY });
    const { db } = await approvedLibrary(2, { db: old.db });
    const cfg = path.join(tempDir('ap-cfg-'), 'cfg.json');
    fs.writeFileSync(cfg, JSON.stringify({ ops: { retention: { days: { APPROVED: 365 } } } }));
    const m = runCliJson<{ retention: { total: number; audit_id: number } }>(['maintain', '--db', db, '--config', cfg, '--skip', 'durations,recovery,aging,checkpoint']);
    expect(m.code).toBe(0);
    expect(m.doc.retention.total).toBe(4);
    const r = verify(db);
    expect(r.code).toBe(0);
    expect(r.doc).toMatchObject({ intact: true, checked: 3, retention_gaps: 1, bridged_rows: 4, prunes: 1, problems: [] });
    const s = createServices(db, { readonly: true });
    const entry = s.audit.get(m.doc.retention.audit_id)!;
    s.close();
    expect(entry).toMatchObject({ action: 'AUDIT_PRUNED', actor: 'system:retention', count: 4 });
    expect(JSON.parse(entry.details_json!)).toMatchObject({
      policy: { APPROVED: 365 },
      ranges: { APPROVED: [old.auditIds[0], old.auditIds[3]] },
      digest: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('a forged AUDIT_PRUNED policy does not make recent rows eligible: rows younger than the policy are tampering', async () => {
    const old = await approvedLibrary(2, { at: Date.now() - 400 * DAY });
    const { db } = await approvedLibrary(2, { db: old.db });
    const cfg = path.join(tempDir('ap-cfg-'), 'cfg.json');
    fs.writeFileSync(cfg, JSON.stringify({ ops: { retention: { days: { APPROVED: 365 } } } }));
    expect(runCli(['maintain', '--db', db, '--config', cfg, '--skip', 'durations,recovery,aging,checkpoint']).code).toBe(0);
    // The intruder sets the gate's pruning id to the legitimate entry while deleting a new row.
    const prune = new Database(db, { readonly: true }).prepare(`SELECT id FROM audit WHERE action = 'AUDIT_PRUNED'`).pluck().get() as number;
    const recent = ids(db).find((x) => x > old.auditIds.at(-1)! && x < prune)!;
    const raw = new Database(db);
    raw.exec(`UPDATE audit_gate SET open = 1, pruning = ${prune} WHERE id = 1; DELETE FROM audit WHERE id = ${recent}; UPDATE audit_gate SET open = 0, pruning = NULL WHERE id = 1;`);
    raw.close();
    const r = verify(db);
    expect(r.code).toBe(3);
    expect(kinds(r.doc)).toEqual(expect.arrayContaining(['removed', 'invalid_prune']));
  });
});

