/**
 * Opening a database safely: a --db path that is not a database file (a folder, a FIFO, a device,
 * a socket, a text file, a truncated SQLite file, a path under a file, a read-only file) is
 * refused before SQLite touches it, with one sentence naming what is wrong with that path, exit 2,
 * and the path left exactly as it was. A database from a newer schema is refused by every
 * command, init included, and nothing in it changes.
 */
import { describe, expect, it, afterAll } from 'vitest';
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { CLI, ROOT, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { dumpAll } from './helpers.js';
import { MIGRATIONS } from '../../src/db/migrations.js';
import { dbIn, library, moveTo, TO_PENDING } from '../cli/setup.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * The real CLI with a hang guard: before this was fixed, a FIFO as --db blocked SQLite's open
 * forever, so the test must be able to fail rather than wait. `uid` runs it as another user.
 */
function run(args: string[], options: { uid?: number } = {}): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, USER: 'tester', NO_COLOR: '1' };
  delete env.AGENTIC_PIPELINE_DB;
  delete env.AGENTIC_PIPELINE_CONFIG;
  const r = spawnSync(process.execPath, [CLI, ...args], {
    env,
    cwd: ROOT,
    input: '',
    encoding: 'utf8',
    timeout: 20_000,
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, timedOut: r.error !== undefined || r.signal !== null };
}

/** Everything about a path a command could change: kind, bytes (regular files), and its siblings. */
function snapshot(p: string): unknown {
  const dir = path.dirname(p);
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  return {
    kind: st ? (st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isFIFO() ? 'fifo' : st.isSocket() ? 'socket' : 'other') : 'missing',
    mode: st?.mode,
    bytes: st?.isFile() ? fs.readFileSync(p).toString('base64') : null,
    inside: st?.isDirectory() ? fs.readdirSync(p).sort() : null,
    siblings: fs.readdirSync(dir).filter((n) => n.startsWith(path.basename(p))).sort(),
  };
}

/** Expects the refusal: exit 2, one line on stderr naming the path and the problem, nothing on stdout. */
function expectRefused(r: Run, dbPath: string, problem: RegExp): void {
  expect(r.timedOut, 'the command hung').toBe(false);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toContain(dbPath);
  expect(lines[0]).toMatch(problem);
  expect(lines[0]).not.toMatch(/disk I\/O error|file is not a database|unable to open database/i);
}

const dir = tempDir('ap-open-db-');

/** A real database with some books in it, closed (checkpointed), so the file holds every page. */
function populatedDb(): string {
  const db = dbIn();
  const lib = library(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`b${i}.txt`, `Book ${i}\n\n` + 'words '.repeat(50 + i)])));
  const r = runCli(['batch-queue', lib, '--db', db]);
  expect(r.code, r.stderr).toBe(0);
  return db;
}

// Commands that read, that write, and the one that creates: all open through the same place.
const COMMANDS: string[][] = [['list'], ['approve', 'abcdef12'], ['init'], ['health']];

describe('--db that is not a database file is refused before SQLite touches it', () => {
  const cases: { name: string; make: () => string; problem: RegExp; commands?: string[][] }[] = [
    {
      name: 'a directory',
      make: () => {
        const d = path.join(dir, 'a-folder');
        fs.mkdirSync(d);
        return d;
      },
      problem: /is a directory, not a database file/,
    },
    {
      name: 'a FIFO',
      make: () => {
        const f = path.join(dir, 'a-fifo');
        expect(spawnSync('mkfifo', [f]).status).toBe(0);
        return f;
      },
      problem: /is a named pipe \(FIFO\), not a database file/,
    },
    { name: '/dev/null', make: () => '/dev/null', problem: /is a character device, not a database file/ },
    { name: '/dev/zero', make: () => '/dev/zero', problem: /is a character device, not a database file/ },
    {
      name: 'a socket',
      make: () => socketPath,
      problem: /is a socket, not a database file/,
    },
    {
      name: 'a text file',
      make: () => {
        const f = path.join(dir, 'notes.txt');
        fs.writeFileSync(f, 'shopping list\nmilk\n');
        return f;
      },
      problem: /is not an SQLite database \(it does not start with the SQLite header\)/,
    },
    {
      name: 'a file shorter than the SQLite header',
      make: () => {
        const f = path.join(dir, 'stub.db');
        fs.writeFileSync(f, 'SQLite format 3\0');
        return f;
      },
      problem: /is a truncated SQLite file/,
    },
    {
      name: 'a truncated SQLite file',
      make: () => {
        const f = populatedDb();
        const size = fs.statSync(f).size;
        expect(size).toBeGreaterThan(16384);
        fs.truncateSync(f, Math.floor(size / 8192) * 4096);
        return f;
      },
      problem: /is a truncated SQLite file \(\d+ bytes, its header says \d+\); restore it from a backup/,
    },
    {
      name: 'a path under a regular file',
      make: () => {
        const f = path.join(dir, 'file.txt');
        fs.writeFileSync(f, 'not a folder\n');
        return path.join(f, 'x.db');
      },
      problem: /is under .*file\.txt, which is a file, not a folder/,
    },
  ];

  let socketPath = '';
  let server: net.Server | undefined;
  afterAll(() => {
    server?.close();
    // Before the fix SQLite created journals next to the devices; never leave them behind.
    for (const f of ['/dev/null-wal', '/dev/null-shm', '/dev/null-journal', '/dev/zero-wal', '/dev/zero-shm', '/dev/zero-journal']) {
      if (fs.existsSync(f)) fs.rmSync(f);
    }
  });

  it('has a listening socket to point at', async () => {
    socketPath = path.join(dir, 'a-socket');
    server = net.createServer();
    await new Promise<void>((resolve) => server!.listen(socketPath, resolve));
    expect(fs.statSync(socketPath).isSocket()).toBe(true);
  });

  for (const c of cases) {
    it(`${c.name}: every command exits 2 with one sentence, and the path is left as it was`, () => {
      const p = c.make();
      const checkSiblings = !p.startsWith('/dev/');
      // For a path under a file, the file it is under is what must stay as it was.
      const parent = path.dirname(p);
      const subject = fs.statSync(parent, { throwIfNoEntry: false })?.isDirectory() ? p : parent;
      const before = checkSiblings ? snapshot(subject) : null;
      for (const cmd of c.commands ?? COMMANDS) {
        expectRefused(run([...cmd, '--db', p]), p, c.problem);
      }
      if (checkSiblings) {
        expect(snapshot(subject)).toEqual(before);
      } else {
        for (const suffix of ['-wal', '-shm', '-journal']) expect(fs.existsSync(p + suffix), p + suffix).toBe(false);
      }
    });
  }

  it('an empty file is not a database yet: every command but init refuses it and leaves it empty; init makes it one', () => {
    const f = path.join(dir, 'empty.db');
    fs.writeFileSync(f, '');
    for (const cmd of [['list'], ['approve', 'abcdef12'], ['health'], ['worker', '--drain']]) {
      expectRefused(run([...cmd, '--db', f]), f, /is an empty file, not a database yet \(run 'agentic-pipeline init' to create one there\)/);
      expect(fs.statSync(f).size).toBe(0);
      expect(fs.readdirSync(dir).filter((n) => n.startsWith('empty.db'))).toEqual(['empty.db']);
    }
    const r = run(['init', '--db', f]);
    expect(r.code, r.stderr).toBe(0);
    expect(run(['list', '--db', f]).code).toBe(0);
  });

  it('a read-only database file, for a user who cannot write it, is refused for commands that write (not for --read-only reads)', () => {
    // Tests run as root, for whom every file is writable; so run the CLI as nobody (uid 65534)
    // against a file nobody owns read-only, in a folder nobody can enter.
    const home = path.join(dir, 'ro');
    fs.mkdirSync(home);
    fs.chmodSync(dir, 0o755);
    const db = path.join(home, 'pipeline.db');
    expect(runCli(['init', '--db', db]).code).toBe(0);
    fs.chownSync(home, 65534, 65534);
    fs.chownSync(db, 65534, 65534);
    fs.chmodSync(db, 0o444);
    const before = snapshot(db);
    for (const cmd of [['approve', 'abcdef12'], ['init'], ['priority', 'abcdef12', '3']]) {
      expectRefused(run([...cmd, '--db', db], { uid: 65534 }), db, /is read-only for this user/);
    }
    expect(snapshot(db)).toEqual(before);
    // Reading is still fine.
    const r = run(['list', '--db', db], { uid: 65534 });
    expect(r.code, r.stderr).toBe(0);
  });

  it('a database in a folder the user cannot write is refused for commands that write (SQLite needs its -wal beside it)', () => {
    const home = path.join(dir, 'ro-folder');
    fs.mkdirSync(home);
    fs.chmodSync(dir, 0o755);
    const db = path.join(home, 'pipeline.db');
    expect(runCli(['init', '--db', db]).code).toBe(0);
    fs.chownSync(db, 65534, 65534);
    fs.chmodSync(home, 0o755); // root's folder: nobody can read it, not create files in it
    const before = snapshot(db);
    expectRefused(run(['approve', 'abcdef12', '--db', db], { uid: 65534 }), db, /is in a folder this user cannot write/);
    expect(snapshot(db)).toEqual(before);
  });
});

describe('a database from a newer schema is refused by every command, and nothing in it changes', () => {
  const N = MIGRATIONS.length;
  const db = dbIn();
  const lib = library({ 'a.txt': 'A book\n\nwith words' });
  const id = (JSON.parse(runCli(['process', path.join(lib, 'a.txt'), '--db', db, '--json']).stdout) as { id: string }).id;
  moveTo(db, id, TO_PENDING);
  {
    const raw = new Database(db);
    raw.pragma('user_version = 99');
    raw.close();
  }

  for (const cmd of [['init'], ['approve', id], ['health'], ['list'], ['worker', '--drain']]) {
    it(`${cmd[0]} exits 2: "database schema 99 is newer than this version understands (${N})"`, () => {
      const before = dumpAll(db);
      const r = run([...cmd, '--db', db]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd()).toBe(
        `agentic-pipeline: database schema 99 is newer than this version understands (${N}); upgrade agentic-pipeline`,
      );
      expect(dumpAll(db)).toEqual(before);
      const raw = new Database(db, { readonly: true });
      expect(raw.pragma('user_version', { simple: true })).toBe(99);
      expect(raw.prepare('SELECT state FROM pipelines WHERE id = ?').pluck().get(id)).toBe('pending_approval');
      raw.close();
    });
  }
});
