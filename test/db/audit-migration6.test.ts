/**
 * Migration 6 keeps old databases verifiable: rows written under the schema-5 hash (no id, no
 * trail pointer) verify with that formula, rows after the upgrade with the full one, and
 * retention's deletions from before the upgrade are reported as unverifiable, not as tampering.
 */
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { createServices } from '../../src/services.js';
import { immediate } from '../../src/db/db.js';
import { oldAuditWithRetentionGap, testClock } from './helpers.js';

/** A schema-5 database with three rows under the old hash, the middle one removed by retention as it ran then. */
const schema5 = (): string => oldAuditWithRetentionGap(5);

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
