/**
 * Migration 6 keeps old databases verifiable: rows written under the schema-5 hash (no id, no
 * trail pointer) verify with that formula, rows after the upgrade with the full one, and
 * retention's deletions from before the upgrade are reported as unverifiable, not as tampering.
 */
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { createServices } from '../../src/services.js';
import { immediate } from '../../src/store/db.js';
import { auditRowHash } from '../../src/store/audit.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { tempDbPath } from '../helpers/tmp.js';
import { testClock } from './helpers.js';

/** A schema-5 database with three rows under the old hash, the middle one removed by retention as it ran then. */
function schema5(): string {
  const file = tempDbPath();
  const raw = new Database(file);
  raw.pragma('journal_mode = WAL');
  for (const m of MIGRATIONS.slice(0, 5)) raw.exec(m);
  raw.pragma('user_version = 5');
  const ins = raw.prepare(
    `INSERT INTO audit (at, action, actor, pipeline_id, batch_id, reason, before_value, after_value, filter_json, ids_json,
       count, confidence, details_json, prev_hash, hash)
     VALUES (@at, @action, @actor, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, @prev_hash, @hash)`,
  );
  let prev: string | null = null;
  for (let i = 0; i < 3; i++) {
    const row = { at: i, action: 'BATCH_QUEUED', actor: 'human:x', pipeline_id: null, batch_id: null, reason: null,
      before_value: null, after_value: null, filter_json: null, ids_json: null, count: null, confidence: null, details_json: null };
    const hash = auditRowHash(prev, row);
    ins.run({ ...row, prev_hash: prev, hash });
    prev = hash;
  }
  raw.exec('UPDATE audit_gate SET open = 1; DELETE FROM audit WHERE id = 2; UPDATE audit_gate SET open = 0;');
  raw.close();
  return file;
}

describe('migration 6 and databases written before it', () => {
  it('old rows verify with the old formula, new rows with the new one; the old retention gap is unverifiable, not tampering', () => {
    const file = schema5();
    const s = createServices(file, { clock: testClock() });
    immediate(s.db, () => s.audit.append({ action: 'BATCH_QUEUED', actor: 'human:y', ids: [] }));
    expect(s.db.prepare('SELECT id, hash_version FROM audit ORDER BY id').all()).toEqual([
      { id: 1, hash_version: null },
      { id: 3, hash_version: null },
      { id: 4, hash_version: 2 },
    ]);
    expect(s.audit.verify()).toMatchObject({ intact: true, checked: 3, modified: [], gaps: [], unverifiable_gaps: [3], problems: [] });
    s.close();
  });

  it('an old row edited after the upgrade is still caught, and so is a new row relabelled to the old formula', () => {
    const file = schema5();
    const s = createServices(file, { clock: testClock() });
    immediate(s.db, () => s.audit.append({ action: 'BATCH_QUEUED', actor: 'human:y', ids: [] }));
    s.close();
    const raw = new Database(file);
    raw.exec(`DROP TRIGGER audit_no_update; UPDATE audit SET actor = 'human:mallory' WHERE id = 1; UPDATE audit SET hash_version = NULL WHERE id = 4;`);
    raw.close();
    const again = createServices(file, { clock: testClock() });
    expect(again.audit.verify()).toMatchObject({ intact: false, modified: [1, 4] });
    again.close();
  });
});
