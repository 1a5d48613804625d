/**
 * A throwaway PostgreSQL cluster for tests: one per test file (vitest runs each file in its own
 * module graph), started on first use and stopped and removed after the file. It listens on a
 * Unix socket only (`listen_addresses=''`), in a folder of its own, so parallel test files never
 * share a server or a port, and nothing on the machine's network is touched. Durability is off
 * (fsync, synchronous_commit, full_page_writes): the cluster is thrown away anyway.
 *
 * As root, initdb and the server run as `nobody` (PostgreSQL refuses to run as root). When
 * initdb is not installed, `pgAvailable()` says why and the PostgreSQL half of a suite is
 * skipped; CI installs PostgreSQL (.ci/run), so CI always runs both engines.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll } from 'vitest';

/** Where the server binaries are: on PATH, else Debian's /usr/lib/postgresql/<major>/bin. */
function findBinDir(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'pg_ctl'))) {
      // /usr/local/bin/initdb may be a symlink into the versioned folder; either works.
      return dir;
    }
  }
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return undefined;
  const majors = fs
    .readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  for (const v of majors) {
    const dir = path.join(root, v, 'bin');
    if (fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'pg_ctl'))) return dir;
  }
  return undefined;
}

const binDir = findBinDir();

/** Undefined when a cluster can be started here, else why not (for the skip message). */
export function pgUnavailableReason(): string | undefined {
  // For a quick run without the PostgreSQL half (and to check that the skip path works).
  if (process.env.AGENTIC_PIPELINE_TEST_NO_POSTGRES) return 'AGENTIC_PIPELINE_TEST_NO_POSTGRES is set';
  if (!binDir) return 'PostgreSQL is not installed (no initdb/pg_ctl on PATH or under /usr/lib/postgresql/*/bin)';
  return undefined;
}

export function pgAvailable(): boolean {
  return pgUnavailableReason() === undefined;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a server binary, as nobody when we are root. */
function runPg(bin: string, args: string[]): string {
  const file = path.join(binDir!, bin);
  const [cmd, argv] = isRoot ? ['runuser', ['-u', 'nobody', '--', file, ...args]] : [file, args];
  try {
    return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], cwd: '/tmp' });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${bin} failed: ${e.stderr || e.stdout || e.message}`);
  }
}

export interface PgCluster {
  /** The folder holding the server's socket (the `host` of every connection). */
  readonly socketDir: string;
  /** A connection URL for `database` on this cluster (user postgres, trust auth). */
  url(database: string): string;
  /** Runs one statement as the superuser on the `postgres` database. */
  admin(sql: string): Promise<void>;
  /** A new empty database (or a copy of `template`); returns its URL. */
  createDatabase(options?: { template?: string; name?: string }): Promise<string>;
  stop(): void;
}

let started: PgCluster | undefined;
let counter = 0;

// Registered when the file imports this helper: hooks cannot be added from inside other hooks.
afterAll(() => {
  started?.stop();
  started = undefined;
});

/**
 * The cluster of this test file, started on the first call (about a second), stopped and
 * removed after the file's tests. Throws when PostgreSQL is not installed: guard with pgAvailable().
 */
export function pgCluster(): PgCluster {
  if (started) return started;
  const reason = pgUnavailableReason();
  if (reason) throw new Error(reason);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-pg-'));
  const dataDir = path.join(base, 'data');
  const socketDir = path.join(base, 'sock');
  fs.mkdirSync(socketDir);
  if (isRoot) {
    // nobody must own what the server writes; the base stays root's but traversable.
    fs.chmodSync(base, 0o755);
    execFileSync('chown', ['nobody', socketDir]);
    fs.mkdirSync(dataDir, { mode: 0o700 });
    execFileSync('chown', ['nobody', dataDir]);
  }
  runPg('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const opts = [
    `-k ${socketDir}`,
    "-c listen_addresses=''",
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    // Parallel claimers in tests and benches open a pool each.
    '-c max_connections=200',
  ].join(' ');
  runPg('pg_ctl', ['-D', dataDir, '-w', '-t', '60', '-l', path.join(socketDir, 'server.log'), '-o', opts, 'start']);

  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    const file = path.join(binDir!, 'pg_ctl');
    const args = ['-D', dataDir, '-m', 'immediate', '-w', 'stop'];
    spawnSync(isRoot ? 'runuser' : file, isRoot ? ['-u', 'nobody', '--', file, ...args] : args, { stdio: 'ignore', cwd: '/tmp' });
    fs.rmSync(base, { recursive: true, force: true });
  };
  // A test process that dies without afterAll (a crash, ^C) still takes its server with it.
  process.once('exit', stop);

  const url = (database: string) => `postgres://postgres@/${database}?host=${encodeURIComponent(socketDir)}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: url('postgres') });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  started = {
    socketDir,
    url,
    admin,
    async createDatabase(options = {}) {
      const name = options.name ?? `t${process.pid}_${++counter}`;
      // CREATE DATABASE … TEMPLATE copies files (~0.04 s): far cheaper than migrating each time.
      await admin(`CREATE DATABASE ${name}${options.template ? ` TEMPLATE ${options.template}` : ''}`);
      return url(name);
    },
    stop,
  };
  return started;
}
