/**
 * Shipped migrations are frozen text (src/db/migrations.ts): their state lists are written out,
 * not interpolated from the domain, so a database is migrated with the same SQL whatever the
 * constants say today. These tests keep the written-out lists honest, and check that upgrading
 * one version at a time builds the same schema as a fresh open.
 * (test/db/migrations.test.ts covers reopening, pragmas and concurrent first opens.)
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { openDatabase } from '../../src/db/db.js';
import { DEAD_STATES, MIGRATIONS } from '../../src/db/migrations.js';
import { workingList } from '../../src/db/state-lists.js';
import { CLAIMABLE_STATES, STATES, WORKING_STATES } from '../../src/domain/states.js';
import { tempDbPath } from '../helpers/tmp.js';

interface MasterRow {
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
}

/** sqlite_master sorted, whitespace normalised, and the schema version. */
function schemaDump(file: string): { version: number; rows: MasterRow[] } {
  const db = new Database(file, { readonly: true });
  try {
    const rows = (db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master').all() as MasterRow[])
      .map((r) => ({ ...r, sql: r.sql === null ? null : r.sql.replace(/\s+/g, ' ').trim() }))
      .sort((a, b) => `${a.type}\0${a.name}`.localeCompare(`${b.type}\0${b.name}`));
    return { version: db.pragma('user_version', { simple: true }) as number, rows };
  } finally {
    db.close();
  }
}

function freshSchema(): { version: number; rows: MasterRow[] } {
  const file = tempDbPath();
  openDatabase(file).close();
  return schemaDump(file);
}

/** The SQL of one schema object of a fresh database. */
function sqlOf(rows: MasterRow[], name: string): string {
  const row = rows.find((r) => r.name === name);
  if (!row?.sql) throw new Error(`no ${name} in sqlite_master`);
  return row.sql;
}

/** `'a', 'b'` → ['a', 'b'] (the lists are plain quoted words). */
function parseList(list: string): string[] {
  return list.split(',').map((item) => {
    const m = /^\s*'([a-z_]+)'\s*$/.exec(item);
    if (!m) throw new Error(`not a quoted state: ${item}`);
    return m[1]!;
  });
}

/** Every list after `<column> IN (` / `<column> NOT IN (` in `sql`. */
function listsAfter(sql: string, column: string): string[][] {
  const pattern = new RegExp(`\\b${column} (?:NOT )?IN \\(([^)]*)\\)`, 'g');
  return [...sql.matchAll(pattern)].map((m) => parseList(m[1]!));
}

const sorted = (xs: readonly string[]): string[] => [...xs].sort();

describe('frozen migrations', () => {
  const { rows } = freshSchema();

  it('the CHECK on pipelines.state accepts exactly the domain\'s states', () => {
    const lists = listsAfter(sqlOf(rows, 'pipelines'), 'state');
    expect(lists).toHaveLength(1);
    expect(sorted(lists[0]!)).toEqual(sorted(STATES));
  });

  it('the claim index covers exactly the claimable states', () => {
    const lists = listsAfter(sqlOf(rows, 'pipelines_claim'), 'state');
    expect(lists).toHaveLength(1);
    expect(sorted(lists[0]!)).toEqual(sorted(CLAIMABLE_STATES));
  });

  it('the learning index covers exactly the working states, as the queries that use it write them', () => {
    const sql = sqlOf(rows, 'state_history_learning');
    const lists = listsAfter(sql, 'from_state');
    expect(lists).toHaveLength(1);
    expect(sorted(lists[0]!)).toEqual(sorted(WORKING_STATES));
    // The planner uses a partial index only when the query repeats its condition verbatim.
    expect(sql).toContain(`from_state IN (${workingList})`);
  });

  it('the live-hash triggers treat exactly DEAD_STATES as dead', () => {
    for (const name of ['pipelines_live_hash_insert', 'pipelines_live_hash_update']) {
      const lists = listsAfter(sqlOf(rows, name), 'state');
      expect(lists.length, name).toBeGreaterThan(0);
      for (const list of lists) expect(sorted(list), name).toEqual(sorted(DEAD_STATES));
    }
  });

  it('every state named anywhere in the schema is a state of the domain', () => {
    const known = new Set<string>(STATES);
    const named: string[] = [];
    for (const r of rows) {
      if (!r.sql) continue;
      for (const column of ['state', 'from_state', 'to_state']) {
        for (const list of listsAfter(r.sql, column)) named.push(...list);
        for (const m of r.sql.matchAll(new RegExp(`\\b${column} = '([a-z_]+)'`, 'g'))) named.push(m[1]!);
      }
    }
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((s) => !known.has(s))).toEqual([]);
  });

  it('upgrading one version per open builds the same schema as a fresh open', () => {
    const file = tempDbPath();
    // Each migration in its own connection, as an installation upgraded release by release.
    for (let version = 0; version < MIGRATIONS.length; version++) {
      const db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      db.pragma('recursive_triggers = ON');
      expect(db.pragma('user_version', { simple: true })).toBe(version);
      db.transaction(() => {
        db.exec(MIGRATIONS[version]!);
        db.pragma(`user_version = ${version + 1}`);
      }).immediate();
      db.close();
    }
    // Opening it now has nothing left to do.
    openDatabase(file).close();
    const stepwise = schemaDump(file);
    expect(stepwise.version).toBe(MIGRATIONS.length);
    expect(stepwise).toEqual(freshSchema());
  });

  it('from every older version, an open completes the upgrade to the same schema', () => {
    const fresh = freshSchema();
    for (let from = 1; from < MIGRATIONS.length; from++) {
      const file = tempDbPath();
      const db = new Database(file);
      db.transaction(() => {
        for (let v = 0; v < from; v++) db.exec(MIGRATIONS[v]!);
        db.pragma(`user_version = ${from}`);
      }).immediate();
      db.close();
      openDatabase(file).close();
      expect(schemaDump(file), `from version ${from}`).toEqual(fresh);
    }
  });

  it('the migrations source interpolates nothing', () => {
    const source = fs.readFileSync(fileURLToPath(new URL('../../src/db/migrations.ts', import.meta.url)), 'utf8');
    expect(source).not.toContain('${');
    expect(source).not.toMatch(/from '\.\.\/domain\//);
  });
});
