/**
 * Reaching the server: the pool, how values come back (bigint ms as numbers, json as its text),
 * the schema's version check and migration, and one clear sentence for each way a connection
 * fails (so the CLI exits 2, as for a bad SQLite path in db-file.ts).
 */
import pg from 'pg';
import { InputError } from '../../domain/errors.js';
import { SchemaTooNewError } from '../db.js';
import { DatabaseMissingError } from '../errors.js';
import { PG_MIGRATIONS } from './migrations.js';

/** A server, database or URL that cannot be used. Exit 2; the message names the location. */
export class DatabaseServerError extends InputError {
  override name = 'DatabaseServerError';
  constructor(
    readonly location: string,
    readonly problem: string,
  ) {
    super(`database ${location}: ${problem}`);
  }
}

/** The same sentence as SQLite's, with this engine's schema length. */
export class PgSchemaTooNewError extends SchemaTooNewError {
  constructor(version: number) {
    super(version);
    this.message = `database schema ${version} is newer than this version understands (${PG_MIGRATIONS.length}); upgrade agentic-pipeline`;
  }
}

export { isPostgresLocation } from '../location.js';

/**
 * The connection settings for a location, and the location as messages show it (no password).
 * `postgres:` alone takes everything from PGHOST, PGDATABASE, PGUSER, … (libpq's variables,
 * which pg reads itself).
 */
export function parseLocation(location: string, env: NodeJS.ProcessEnv = process.env): { config: pg.PoolConfig; shown: string } {
  if (/^postgres(ql)?:\/?\/?$/i.test(location.trim())) {
    if (!env.PGHOST && !env.PGDATABASE) {
      throw new DatabaseServerError(location, 'names no server: give postgres://user@host/database, or set PGHOST and PGDATABASE');
    }
    const shown = `postgres://${env.PGUSER ?? ''}${env.PGUSER ? '@' : ''}${env.PGHOST ?? ''}${env.PGPORT ? ':' + env.PGPORT : ''}/${env.PGDATABASE ?? ''}`;
    return { config: {}, shown };
  }
  // pg's own parser (libpq's rules: postgres://user@/db?host=/socket/dir is valid, which the
  // WHATWG URL parser rejects) runs when a client is constructed; it throws on a malformed URL.
  // Nothing connects here.
  let parsed: pg.Client;
  try {
    parsed = new pg.Client({ connectionString: location });
  } catch {
    throw new DatabaseServerError(redact(location), 'is not a valid PostgreSQL URL (expected postgres://user@host:port/database)');
  }
  const shown = redact(location);
  if (!/^postgres(ql)?:\/\/[^/?#]*\/[^/?#]+/i.test(location) && !/[?&]dbname=/.test(location) && !env.PGDATABASE) {
    throw new DatabaseServerError(shown, 'names no database (expected postgres://user@host:port/database)');
  }
  if (!Number.isInteger(parsed.port) || parsed.port <= 0) {
    throw new DatabaseServerError(shown, 'has a port that is not a number');
  }
  return { config: { connectionString: location }, shown };
}

/** The location without its password, for messages. */
function redact(location: string): string {
  return location.replace(/^(postgres(?:ql)?:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

/**
 * Values as the SQLite engine returns them: int8 (bigint ms, COUNT, SUM::bigint) as numbers
 * (ms since the epoch and counts are far below 2^53), json as its exact text (the row shapes
 * keep *_json as strings, and the audit hash covers that text).
 */
const INT8 = 20;
const JSON_OID = 114;
const JSONB = 3802;
export const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8) return (v: string) => (v === null ? null : Number(v));
    if (oid === JSON_OID || oid === JSONB) return (v: string) => v;
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

/** One connection error as a sentence about the location; other errors pass through. */
export function asConnectError(shown: string, err: unknown, config: pg.PoolConfig): unknown {
  if (err instanceof InputError) return err;
  const e = err as { code?: string; message?: string };
  const said = e.message ?? String(err);
  switch (e.code) {
    case 'ECONNREFUSED':
    case 'ENOENT':
      return new DatabaseServerError(shown, `cannot reach the PostgreSQL server (${said}); is it running, and are the host and port right?`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new DatabaseServerError(shown, `the host name does not resolve (${said})`);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new DatabaseServerError(shown, `cannot reach the PostgreSQL server (${said})`);
    case '28P01':
    case '28000':
      return new DatabaseServerError(shown, `the server refused the login (${said}); check the user and password`);
    case '3D000':
      return new DatabaseServerError(shown, `the database does not exist on that server (${said}); create it first (createdb)`);
    case '42501':
      return new DatabaseServerError(shown, `permission denied (${said})`);
    default:
      if (/password authentication|SASL|no password/i.test(said)) {
        return new DatabaseServerError(shown, `the server refused the login (${said}); check the user and password`);
      }
      if (/timeout/i.test(said) && config) return new DatabaseServerError(shown, `cannot reach the PostgreSQL server (${said})`);
      return err;
  }
}

const MIGRATE_LOCK = 0x61706d67; // 'apmg': one migrator at a time across the fleet

export async function schemaVersionPg(client: pg.ClientBase): Promise<number | undefined> {
  const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('schema_version')::text AS t`);
  if (!exists.rows[0]?.t) return undefined;
  const r = await client.query<{ version: number }>('SELECT version FROM schema_version WHERE id = 1');
  return r.rows[0]?.version ?? 0;
}

/** Applies pending migrations, each in its own transaction; safe from several processes at once. */
export async function migratePg(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    // A current schema needs no lock and no DDL: return first, so a role without CREATE (the
    // application role of `init --app-role`) can open the database; only upgrades need the owner.
    if ((await schemaVersionPg(client)) === PG_MIGRATIONS.length) return;
    for (;;) {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATE_LOCK]);
        await client.query('CREATE TABLE IF NOT EXISTS schema_version (id integer PRIMARY KEY CHECK (id = 1), version integer NOT NULL)');
        await client.query('INSERT INTO schema_version (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING');
        const version = (await schemaVersionPg(client)) ?? 0;
        if (version > PG_MIGRATIONS.length) throw new PgSchemaTooNewError(version);
        if (version === PG_MIGRATIONS.length) {
          await client.query('COMMIT');
          return;
        }
        await client.query(PG_MIGRATIONS[version]!);
        await client.query('UPDATE schema_version SET version = $1 WHERE id = 1', [version + 1]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    }
  } finally {
    client.release();
  }
}

/**
 * For every command but `init`: a database without our schema is a mistyped URL or a server not
 * set up yet, and is refused (the DatabaseMissingError SQLite gives a missing file), never
 * quietly given an empty schema that takes the books while the real queue waits.
 */
export async function requireSchemaPg(pool: pg.Pool, shown: string): Promise<void> {
  const client = await pool.connect();
  try {
    if (((await schemaVersionPg(client)) ?? 0) === 0) {
      throw new DatabaseMissingError(`database ${shown} has no agentic-pipeline schema yet (run 'agentic-pipeline init --db ${shown}' first)`);
    }
  } finally {
    client.release();
  }
}

/** A read-only opener's check: the schema must be there and current (it never migrates). */
export async function checkSchemaPg(pool: pg.Pool, shown: string): Promise<void> {
  const client = await pool.connect();
  try {
    const version = (await schemaVersionPg(client)) ?? 0;
    if (version > PG_MIGRATIONS.length) throw new PgSchemaTooNewError(version);
    if (version < PG_MIGRATIONS.length) {
      throw new DatabaseServerError(
        shown,
        version === 0
          ? `has no agentic-pipeline schema yet (run 'agentic-pipeline init --db ${shown}' first)`
          : `is at schema version ${version}, this build needs ${PG_MIGRATIONS.length}; open it once without --read-only`,
      );
    }
  } finally {
    client.release();
  }
}
