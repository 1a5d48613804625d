/**
 * The bench's PostgreSQL server: a cluster of its own on a Unix socket (never the machine's
 * 5432), as `nobody` when run as root (PostgreSQL refuses root). Either throwaway (a temp folder,
 * removed on stop) or kept in a folder across runs, so a loaded 1M-pipeline database can be kept
 * as a template instead of being loaded again each run.
 *
 * The settings are part of every figure (fsync off makes commits cheaper than any production
 * server's), so they are listed in `settings` and the bench prints them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/** What the server runs with; the bench prints this line beside its PostgreSQL figures. */
export const PG_BENCH_SETTINGS: readonly string[] = [
  // Durability off, as in the test clusters: the cluster is scratch. Production keeps fsync on;
  // synchronous_commit=off there is the analogue of SQLite's WAL + synchronous=NORMAL.
  'fsync=off',
  'synchronous_commit=off',
  'full_page_writes=off',
  // Room for the 1M database's hot pages (the machine has ~23 GB; the OS caches the rest).
  'shared_buffers=1GB',
  // A 1M load writes gigabytes: fewer forced checkpoints while it does.
  'max_wal_size=8GB',
  'max_connections=100',
];

export interface BenchCluster {
  readonly socketDir: string;
  /** The server's major version, e.g. "15.14". */
  readonly version: string;
  url(database: string): string;
  /** One statement as the superuser on the `postgres` database. */
  admin(sql: string): Promise<void>;
  /** The names of the databases on the server. */
  databases(): Promise<string[]>;
  /** A new database as a file copy of `template` (no one may be connected to the template). */
  copyDatabase(template: string, name: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  stop(): void;
}

/** Where initdb and pg_ctl are: PATH, else Debian's /usr/lib/postgresql/<major>/bin. */
export function pgBinDir(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const debian = '/usr/lib/postgresql';
  if (fs.existsSync(debian)) {
    for (const v of fs.readdirSync(debian).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a))) {
      dirs.push(path.join(debian, v, 'bin'));
    }
  }
  return dirs.find((d) => fs.existsSync(path.join(d, 'initdb')) && fs.existsSync(path.join(d, 'pg_ctl')));
}

/**
 * A PostgreSQL client program (psql, pgbench): beside the server binaries, else under Debian's
 * /usr/lib/postgresql/<major>/bin (a PATH with only wrappers for initdb and pg_ctl), else on PATH.
 */
export function pgToolPath(name: string): string | undefined {
  const bin = pgBinDir();
  const debian = '/usr/lib/postgresql';
  const versions = fs.existsSync(debian) ? fs.readdirSync(debian).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a)) : [];
  const dirs = [...(bin ? [bin] : []), ...versions.map((v) => path.join(debian, v, 'bin')), ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean)];
  for (const d of dirs) if (fs.existsSync(path.join(d, name))) return path.join(d, name);
  return undefined;
}

/** psql, which the loader streams COPY data through. */
export function psqlPath(): string | undefined {
  return pgToolPath('psql');
}

const isRoot = process.getuid?.() === 0;

function runAsServerUser(bin: string, file: string, args: string[], opts: { check: boolean }): void {
  const exe = path.join(bin, file);
  const [cmd, argv] = isRoot ? ['runuser', ['-u', 'nobody', '--', exe, ...args]] : [exe, args];
  if (!opts.check) {
    spawnSync(cmd, argv, { stdio: 'ignore', cwd: '/tmp' });
    return;
  }
  try {
    execFileSync(cmd, argv, { stdio: 'pipe', cwd: '/tmp' });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`${file} failed: ${e.stderr?.toString().trim() || e.message}`);
  }
}

/**
 * Starts a cluster. With `keepIn`, the cluster lives in that folder and survives stop (a later
 * run starts it again with its databases); without, it is made in a temp folder and removed on
 * stop. Undefined when PostgreSQL is not installed.
 */
export function startBenchCluster(options: { keepIn?: string } = {}): BenchCluster | undefined {
  const bin = pgBinDir();
  if (!bin) return undefined;
  const base = options.keepIn ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ap-bench-pg-'));
  fs.mkdirSync(base, { recursive: true });
  const data = path.join(base, 'data');
  const sock = path.join(base, 'sock');
  fs.mkdirSync(sock, { recursive: true });
  if (isRoot) {
    // nobody must traverse to the folder and own what the server writes.
    fs.chmodSync(base, 0o755);
    execFileSync('chown', ['nobody', sock]);
  }
  if (!fs.existsSync(path.join(data, 'PG_VERSION'))) {
    fs.rmSync(data, { recursive: true, force: true });
    fs.mkdirSync(data, { mode: 0o700 });
    if (isRoot) execFileSync('chown', ['nobody', data]);
    runAsServerUser(bin, 'initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C'], { check: true });
  }
  const opts = [`-k ${sock}`, "-c listen_addresses=''", ...PG_BENCH_SETTINGS.map((s) => `-c ${s}`)].join(' ');
  runAsServerUser(bin, 'pg_ctl', ['-D', data, '-w', '-t', '120', '-l', path.join(sock, 'server.log'), '-o', opts, 'start'], { check: true });
  const version = fs.readFileSync(path.join(data, 'PG_VERSION'), 'utf8').trim();

  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    // A fast (clean) stop when the cluster is kept, so the next start needs no recovery.
    runAsServerUser(bin, 'pg_ctl', ['-D', data, '-m', options.keepIn ? 'fast' : 'immediate', '-w', 'stop'], { check: false });
    if (!options.keepIn) fs.rmSync(base, { recursive: true, force: true });
  };
  process.once('exit', stop);

  const url = (db: string) => `postgres://postgres@/${db}?host=${encodeURIComponent(sock)}`;
  const withAdmin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: url('postgres') });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  return {
    socketDir: sock,
    version,
    url,
    admin: (sql) => withAdmin(async (c) => void (await c.query(sql))),
    databases: () => withAdmin(async (c) => (await c.query<{ datname: string }>('SELECT datname FROM pg_database')).rows.map((r) => r.datname)),
    async copyDatabase(template, name) {
      // FILE_COPY: a copy of the template's files (PostgreSQL 15's default, WAL_LOG, writes the
      // whole database through the WAL instead: much slower for gigabytes).
      await withAdmin(async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${name}`);
        await c.query(`CREATE DATABASE ${name} TEMPLATE ${template} STRATEGY FILE_COPY`);
      });
      return url(name);
    },
    dropDatabase: (name) => withAdmin(async (c) => void (await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
    stop,
  };
}
