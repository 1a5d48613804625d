/**
 * `audit --verify`: the operator's check that the trail is whole. Intact and retention-trimmed
 * trails pass (exit 0); an entry edited or removed behind the triggers' back fails (exit 3) and
 * is named. The database is changed the way an intruder with the file would: a raw connection
 * that drops the protecting trigger.
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import Database from 'better-sqlite3';
import { runCli, runCliJson } from '../helpers/cli.js';
import { createServices } from '../../src/services.js';
import { dbIn, library } from './setup.js';

interface VerifyDoc {
  intact: boolean;
  checked: number;
  modified: number[];
  gaps: number[];
  retention_gaps: number;
  bridged_rows: number;
}

function queuedLibrary(): { db: string; auditIds: number[] } {
  const lib = library({ 'a.epub': 'A', 'b.epub': 'B', 'c.epub': 'C', 'd.epub': 'D' });
  const db = dbIn();
  for (const f of ['a.epub', 'b.epub', 'c.epub', 'd.epub']) {
    expect(runCli(['process', path.join(lib, f), '--db', db]).code).toBe(0);
  }
  const raw = new Database(db, { readonly: true });
  const auditIds = raw.prepare('SELECT id FROM audit ORDER BY id').pluck().all() as number[];
  raw.close();
  return { db, auditIds };
}

describe('audit --verify', () => {
  it('an intact trail passes; one trimmed through a gate opened by hand fails (no AUDIT_PRUNED entry accounts for it)', () => {
    const { db, auditIds } = queuedLibrary();
    const ok = runCliJson<VerifyDoc>(['audit', '--verify', '--db', db]);
    expect(ok.code).toBe(0);
    expect(ok.doc).toMatchObject({ intact: true, checked: auditIds.length, modified: [], gaps: [] });
    expect(runCli(['audit', '--verify', '--db', db]).stdout).toMatch(/intact/);

    const s = createServices(db);
    s.db
      .transaction(() => {
        s.db.prepare('UPDATE audit_gate SET open = 1 WHERE id = 1').run();
        s.db.prepare('DELETE FROM audit WHERE id = ?').run(auditIds[1]);
        s.db.prepare('UPDATE audit_gate SET open = 0 WHERE id = 1').run();
      })
      .immediate();
    s.close();
    const trimmed = runCliJson<VerifyDoc>(['audit', '--verify', '--db', db]);
    expect(trimmed.code).toBe(3);
    expect(trimmed.doc).toMatchObject({ intact: false, retention_gaps: 0, gaps: [auditIds[2]] });
  });

  it('an edited entry and an entry removed outside retention fail with exit 3 and are named', () => {
    const { db, auditIds } = queuedLibrary();
    const raw = new Database(db);
    raw.exec('DROP TRIGGER audit_no_update');
    raw.exec('DROP TRIGGER audit_no_delete');
    raw.prepare(`UPDATE audit SET actor = 'human:mallory' WHERE id = ?`).run(auditIds[0]);
    raw.prepare('DELETE FROM audit WHERE id = ?').run(auditIds[2]);
    raw.close();
    const r = runCliJson<VerifyDoc>(['audit', '--verify', '--db', db]);
    expect(r.code).toBe(3);
    expect(r.doc).toMatchObject({ intact: false, modified: [auditIds[0]], gaps: [auditIds[3]] });
    const human = runCli(['audit', '--verify', '--db', db]);
    expect(human.code).toBe(3);
    expect(human.stdout).toMatch(new RegExp(`EDITED: 1 entry no longer matches its hash: ${auditIds[0]}`));
    expect(human.stdout).toMatch(new RegExp(`REMOVED: .* before entries ${auditIds[3]}`));
  });

  it('the newest entries removed outside retention fail with exit 3; so does emptying the log through the gate', () => {
    const { db, auditIds } = queuedLibrary();
    const newest = auditIds.slice(-2);
    const raw = new Database(db);
    raw.exec('DROP TRIGGER audit_no_delete');
    raw.prepare('DELETE FROM audit WHERE id >= ?').run(newest[0]);
    raw.close();
    const r = runCliJson<VerifyDoc & { tail_removed: { from: number; to: number } | null }>(['audit', '--verify', '--db', db]);
    expect(r.code).toBe(3);
    expect(r.doc).toMatchObject({ intact: false, modified: [], gaps: [], tail_removed: { from: newest[0], to: newest[1] } });
    expect(runCli(['audit', '--verify', '--db', db]).stdout).toMatch(
      new RegExp(`REMOVED: the newest entries \\(${newest[0]}–${newest[1]}\\) are missing outside retention`),
    );

    const kept = queuedLibrary();
    const s = createServices(kept.db);
    s.db
      .transaction(() => {
        s.db.prepare('UPDATE audit_gate SET open = 1 WHERE id = 1').run();
        s.db.prepare('DELETE FROM audit').run();
        s.db.prepare('UPDATE audit_gate SET open = 0 WHERE id = 1').run();
      })
      .immediate();
    s.close();
    const emptied = runCliJson<VerifyDoc & { tail_removed: unknown }>(['audit', '--verify', '--db', kept.db]);
    expect(emptied.code).toBe(3);
    expect(emptied.doc).toMatchObject({ intact: false, checked: 0, retention_gaps: 0, tail_removed: { from: kept.auditIds[0], to: kept.auditIds.at(-1) } });
  });

  it('takes no filters', () => {
    const { db } = queuedLibrary();
    const r = runCli(['audit', '--verify', '--last', '5', '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/takes no --last/);
  });
});
