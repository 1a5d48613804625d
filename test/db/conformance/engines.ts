/**
 * The engines the conformance suite runs over: SQLite (a temp file) always, PostgreSQL (a fresh
 * database per test, copied from a migrated template on this file's throwaway cluster) when the
 * server binaries are installed. Each test gets an engine plus the few engine-specific hooks a
 * test needs to reach under the interface (raw SQL to tamper with the audit table, a second
 * connection).
 */
import type { Engine } from '../../../src/db/engine.js';
import { openEngine } from '../../../src/db/open.js';
import type { Db } from '../../../src/db/db.js';
import type { PgEngine } from '../../../src/db/postgres/engine.js';
import { tempDbPath } from '../../helpers/tmp.js';
import { pgAvailable, pgCluster, pgUnavailableReason } from '../../helpers/pg-cluster.js';
import { testClock, type TestClock } from '../helpers.js';

export interface Opened {
  engine: Engine;
  clock: TestClock;
  /** Another engine on the same database (another connection, as another process would have). */
  another(options?: { auditKey?: Buffer | null }): Promise<Engine>;
  /** Runs SQL under the interface, as an intruder with the file or a superuser would. */
  exec(sql: string): Promise<void>;
  /** Reads rows under the interface (constant SQL, no parameters). */
  rows(sql: string): Promise<Record<string, unknown>[]>;
  /** Edits one audit column, getting past the append-only trigger the way an intruder would. */
  tamperAudit(id: number, column: string, value: string | number): Promise<void>;
  /** Deletes one audit row past the triggers. */
  deleteAudit(id: number): Promise<void>;
  close(): Promise<void>;
}

export interface EngineUnderTest {
  name: 'sqlite' | 'postgres';
  /** Why this engine cannot run here (its tests are skipped with this message). */
  skipReason?: string;
  open(options?: { auditKey?: Buffer | null }): Promise<Opened>;
}

const sqlite: EngineUnderTest = {
  name: 'sqlite',
  async open(options = {}) {
    const file = tempDbPath();
    const clock = testClock();
    const opened: Engine[] = [];
    const openOne = async (auditKey: Buffer | null) => {
      const e = await openEngine(file, { clock, auditKey });
      opened.push(e);
      return e;
    };
    const engine = await openOne(options.auditKey ?? null);
    // The SQLite engine's synchronous stores, for raw SQL under the interface.
    const db = (engine as unknown as { stores: { db: Db } }).stores.db;
    return {
      engine,
      clock,
      another: (o = {}) => openOne(o.auditKey ?? options.auditKey ?? null),
      exec: async (sql) => void db.exec(sql),
      rows: async (sql) => db.prepare(sql).all() as Record<string, unknown>[],
      async tamperAudit(id, column, value) {
        db.exec('DROP TRIGGER IF EXISTS audit_no_update');
        db.prepare(`UPDATE audit SET ${column} = ? WHERE id = ?`).run(value, id);
      },
      async deleteAudit(id) {
        db.exec('DROP TRIGGER IF EXISTS audit_no_delete');
        db.exec('DROP TRIGGER IF EXISTS audit_deletion_record');
        db.prepare('DELETE FROM audit WHERE id = ?').run(id);
      },
      async close() {
        for (const e of opened.splice(0)) await e.close();
      },
    };
  },
};

let template: Promise<string> | undefined;

/** A migrated database to copy: migrating once per file, copying per test (~0.04 s). */
function pgTemplate(): Promise<string> {
  template ??= (async () => {
    const cluster = pgCluster();
    const name = `ap_template_${process.pid}`;
    const url = await cluster.createDatabase({ name });
    const e = await openEngine(url);
    await e.close();
    return name;
  })();
  return template;
}

const postgres: EngineUnderTest = {
  name: 'postgres',
  async open(options = {}) {
    const cluster = pgCluster();
    const url = await cluster.createDatabase({ template: await pgTemplate() });
    const clock = testClock();
    const opened: Engine[] = [];
    const openOne = async (auditKey: Buffer | null) => {
      const e = await openEngine(url, { clock, auditKey, maxConnections: 8 });
      opened.push(e);
      return e;
    };
    const engine = (await openOne(options.auditKey ?? null)) as PgEngine;
    const exec = async (sql: string) => void (await engine.pool.query(sql));
    return {
      engine,
      clock,
      another: (o = {}) => openOne(o.auditKey ?? options.auditKey ?? null),
      exec,
      rows: async (sql) => (await engine.pool.query(sql)).rows as Record<string, unknown>[],
      async tamperAudit(id, column, value) {
        // A superuser (or the table's owner) can switch triggers off; the chain still tells.
        await exec('ALTER TABLE audit DISABLE TRIGGER audit_no_update');
        await engine.pool.query(`UPDATE audit SET ${column} = $1 WHERE id = $2`, [value, id]);
      },
      async deleteAudit(id) {
        await exec('ALTER TABLE audit DISABLE TRIGGER USER');
        await engine.pool.query('DELETE FROM audit WHERE id = $1', [id]);
      },
      async close() {
        for (const e of opened.splice(0)) await e.close();
      },
    };
  },
};

/**
 * Both engines, always: when PostgreSQL is not installed its half is reported as skipped (with
 * the reason), not left out silently. Use with describe.each and `skipUnavailable`.
 */
export const ENGINES: EngineUnderTest[] = [
  sqlite,
  pgAvailable() ? postgres : { ...postgres, skipReason: `PostgreSQL engine skipped: ${pgUnavailableReason()}` },
];
