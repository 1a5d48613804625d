/**
 * openEngine: a path opens SQLite, a postgres:// URL PostgreSQL; each way a PostgreSQL location
 * can be wrong is one InputError sentence naming it (the CLI's exit 2), never a stack trace.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { openEngine, isPostgresLocation } from '../../../src/db/open.js';
import { openServices, resolveDbPath } from '../../../src/services.js';
import { InputError } from '../../../src/domain/errors.js';
import { SchemaTooNewError } from '../../../src/db/db.js';
import { PG_MIGRATIONS } from '../../../src/db/postgres/migrations.js';
import { tempDbPath, tempDir } from '../../helpers/tmp.js';
import { pgAvailable, pgCluster, pgUnavailableReason } from '../../helpers/pg-cluster.js';

describe('openEngine', () => {
  it('opens a path as SQLite', async () => {
    const file = tempDbPath();
    const e = await openEngine(file);
    expect(e).toMatchObject({ kind: 'sqlite', location: file, readonly: false });
    expect(await e.pipelines.countsByState()).toEqual({});
    await e.close();
  });

  it('tells PostgreSQL locations from paths', () => {
    for (const l of ['postgres://u@h/db', 'postgresql://h/db', 'POSTGRES://h/db', 'postgres:']) expect(isPostgresLocation(l)).toBe(true);
    for (const l of ['/tmp/x.db', 'postgres.db', './postgres/x.db', 'C:\\x.db']) expect(isPostgresLocation(l)).toBe(false);
  });

  it('refuses a PostgreSQL location that names no server or database, in one sentence', async () => {
    const env = { ...process.env };
    delete process.env.PGHOST;
    delete process.env.PGDATABASE;
    try {
      await expect(openEngine('postgres:')).rejects.toThrow(/names no server/);
      await expect(openEngine('postgres://user@localhost')).rejects.toThrow(/names no database/);
      await expect(openEngine('postgres://user:secret@localhost:notaport/db')).rejects.toSatisfy(
        (err: Error) => err instanceof InputError && !err.message.includes('secret'),
      );
    } finally {
      process.env = env;
    }
  });
});

describe.skipIf(!pgAvailable())('openEngine on PostgreSQL', () => {
  it('an unreachable server is an InputError naming the location, without the password', async () => {
    const dir = tempDir();
    const url = `postgres://postgres:hunter2@/db?host=${encodeURIComponent(path.join(dir, 'no-server'))}`;
    const err = await openEngine(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/^database postgres:\/\/postgres:\*\*\*@\/db\?host=.*: cannot reach the PostgreSQL server/);
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('a missing database is an InputError saying so', async () => {
    const cluster = pgCluster();
    const err = await openEngine(cluster.url('no_such_db')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/the database does not exist on that server/);
  });

  it('migrates once, opens again idempotently (also from several openers at once), and reports its location', async () => {
    const cluster = pgCluster();
    const url = await cluster.createDatabase();
    const engines = await Promise.all([openEngine(url), openEngine(url), openEngine(url)]);
    expect(engines[0]).toMatchObject({ kind: 'postgres', readonly: false, location: url });
    for (const e of engines) await e.close();
    const again = await openEngine(url);
    expect(await again.pipelines.countsByState()).toEqual({});
    await again.close();
  });

  it('read-only: refuses a database without the schema, and the server refuses writes', async () => {
    const cluster = pgCluster();
    const url = await cluster.createDatabase();
    await expect(openEngine(url, { readonly: true })).rejects.toThrow(/has no agentic-pipeline schema yet/);
    await (await openEngine(url)).close();
    const ro = await openEngine(url, { readonly: true });
    expect(ro.readonly).toBe(true);
    await expect(ro.pipelines.insert({ source_path: '/b.epub', actor: 'system:test' })).rejects.toThrow(/read-only transaction/);
    await ro.close();
  });

  it('refuses a newer schema with the same sentence as SQLite', async () => {
    const cluster = pgCluster();
    const url = await cluster.createDatabase();
    await (await openEngine(url)).close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('UPDATE schema_version SET version = 99');
    await c.end();
    const err = await openEngine(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaTooNewError);
    expect((err as Error).message).toBe(`database schema 99 is newer than this version understands (${PG_MIGRATIONS.length}); upgrade agentic-pipeline`);
  });

  it('the audit table refuses TRUNCATE too (row triggers do not see it)', async () => {
    const cluster = pgCluster();
    const url = await cluster.createDatabase();
    const e = await openEngine(url);
    await e.audit.append({ action: 'QUEUED', actor: 'system:test' });
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await expect(c.query('TRUNCATE audit')).rejects.toThrow(/append-only: TRUNCATE is not allowed/);
    await expect(c.query('TRUNCATE audit_chain_head')).rejects.toThrow(/append-only: TRUNCATE is not allowed/);
    await expect(c.query('UPDATE audit_chain_head SET pos = 0')).rejects.toThrow(/only moves forward/);
    await c.end();
    expect((await e.audit.verify()).intact).toBe(true);
    await e.close();
  });

  it("without a clock given, leases are the server's clock", async () => {
    const cluster = pgCluster();
    const e = await openEngine(await cluster.createDatabase());
    await e.pipelines.insert({ source_path: '/b.epub', actor: 'system:test' });
    const before = Date.now();
    const c = (await e.queue.claimNext('w1', 60_000))!;
    // Same machine here, so the server's clock and ours agree to well within a minute.
    expect(Math.abs(c.pipeline.lease_expires_at! - (before + 60_000))).toBeLessThan(30_000);
    expect(c.pipeline.lease_expires_at! - c.pipeline.heartbeat_at!).toBe(60_000);
    await e.close();
  });
});

if (!pgAvailable()) describe.skip(`openEngine on PostgreSQL: ${pgUnavailableReason()}`, () => undefined);

describe('openServices and resolveDbPath', () => {
  it('resolveDbPath keeps a PostgreSQL location as given, resolves a path', () => {
    expect(resolveDbPath('postgres://u@h/db')).toBe('postgres://u@h/db');
    expect(resolveDbPath(undefined, { AGENTIC_PIPELINE_DB: 'postgresql://h/db?host=/tmp' })).toBe('postgresql://h/db?host=/tmp');
    expect(resolveDbPath(undefined, { AGENTIC_PIPELINE_DB: 'postgres:' })).toBe('postgres:');
    expect(resolveDbPath('x.db')).toBe(path.resolve('x.db'));
  });

  it('a path gives the SQLite services', async () => {
    const s = await openServices(tempDbPath());
    expect(s.engine.kind).toBe('sqlite');
    expect(s.actions).toBeDefined();
    s.close();
  });

  it.skipIf(!pgAvailable())('a URL gives the PostgreSQL engine, the server-corrected clock, and the services over that engine', async () => {
    const url = await pgCluster().createDatabase();
    const s = await openServices(url);
    expect(s.engine.kind).toBe('postgres');
    expect(s.dbPath).toBe(url);
    // Same machine: the server's clock and ours agree closely.
    expect(Math.abs(s.clock() - Date.now())).toBeLessThan(5_000);
    const book = await s.engine.pipelines.insert({ source_path: '/b.epub', actor: 'system:test' });
    expect(await s.engine.queue.claimNext('w1', 1000)).toBeDefined();
    // The services are built over the engine: BookActions' rule refuses the claimed book there.
    await expect(s.actions.approve(book.id, 'human:ana')).rejects.toThrow(/cannot approve pipeline .*: it is hashing/);
    expect(s.engine.audit.keyed).toBe(false);
    await s.engine.close();
    // The audit key comes from the environment (there is no folder beside a server).
    process.env.AGENTIC_PIPELINE_AUDIT_KEY = 'a key of at least sixteen bytes';
    try {
      const keyed = await openServices(url);
      expect(keyed.engine.audit.keyed).toBe(true);
      await keyed.engine.close();
    } finally {
      delete process.env.AGENTIC_PIPELINE_AUDIT_KEY;
    }
  });
});
