/** Opening a database is idempotent: twice in a row, and from several processes at once. */
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { openDatabase, schemaVersion } from '../../src/db/db.js';
import { MIGRATIONS } from '../../src/db/migrations.js';
import { tempDbPath } from '../helpers/tmp.js';
import { runChildren } from './helpers.js';

function schema(dbPath: string): unknown[] {
  const db = new Database(dbPath, { readonly: true });
  const rows = db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name').all();
  db.close();
  return rows;
}

describe('migrations', () => {
  it('open twice: same version, same schema, data kept', () => {
    const file = tempDbPath();
    const a = openDatabase(file);
    expect(schemaVersion(a)).toBe(MIGRATIONS.length);
    a.prepare(`INSERT INTO workers (id, started_at, heartbeat_at) VALUES ('w', 1, 1)`).run();
    a.close();
    const first = schema(file);
    const b = openDatabase(file);
    expect(schemaVersion(b)).toBe(MIGRATIONS.length);
    expect(b.prepare('SELECT COUNT(*) FROM workers').pluck().get()).toBe(1);
    b.close();
    expect(schema(file)).toEqual(first);
    expect(first.length).toBeGreaterThan(20);
  });

  it('sets the pragmas every connection needs', () => {
    const db = openDatabase(tempDbPath());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('recursive_triggers', { simple: true })).toBe(1);
    db.close();
  });

  it('four processes opening a new file at once all succeed, and migrations ran once', async () => {
    const file = tempDbPath();
    const results = await runChildren([1, 2, 3, 4].map(() => ['open', file]));
    for (const r of results) {
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ version: MIGRATIONS.length });
    }
    const db = openDatabase(file);
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    // Seeded rows of migration 1 exist exactly once.
    expect(db.prepare('SELECT COUNT(*) FROM audit_gate').pluck().get()).toBe(1);
    db.close();
  });

  it('read-only open refuses a missing file', () => {
    expect(() => openDatabase(tempDbPath(), { readonly: true })).toThrow(/not found/);
  });
});
