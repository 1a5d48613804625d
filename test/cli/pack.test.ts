/**
 * The package as people get it: `npm pack` from a clean copy of the sources (so `prepare` builds
 * it, as it would from a fresh checkout), `npm install -g --prefix` of that tarball into an empty
 * prefix, and the installed `agentic-pipeline` run from an unrelated folder with its own HOME and
 * XDG folders: --version, init, process, worker --drain, health --json, and the demo in a real
 * terminal (tmux) to show the console bundle shipped.
 *
 * Slow by nature: the install fetches the dependencies (the npm registry is reachable here and in
 * CI) and compiles better-sqlite3, which has no prebuilt binary for this platform: about 80 s of
 * the test's time on a 2-core machine (measured). Timeouts are hang guards, not speed checks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { hasTmux, isolatedEnv, Tmux } from '../helpers/tmux.js';
import { createRng, generateBook, writeEpub } from '../../src/demo/book-files.js';
import { MIGRATIONS } from '../../src/db/migrations.js';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const work = tempDir('ap-pack-');
const prefix = path.join(work, 'prefix');
const home = path.join(work, 'home');
const elsewhere = path.join(work, 'elsewhere');
const bin = path.join(prefix, 'bin', 'agentic-pipeline');

/** npm with a private HOME-independent cache left alone (the machine's cache makes re-runs quick). */
function npm(args: string[], cwd: string): SpawnSyncReturns<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
  // Inherited from `npm test`: would point the child npm at this project's own settings.
  for (const k of Object.keys(env)) if (k.startsWith('npm_package_') || k === 'npm_config_prefix' || k === 'npm_config_global') delete env[k];
  return spawnSync('npm', args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** The installed binary, run from a folder that has nothing to do with the project. */
function installed(args: string[]): { code: number; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_DATA_HOME: path.join(home, 'data'), USER: 'tester', NO_COLOR: '1' };
  delete env.AGENTIC_PIPELINE_DB;
  delete env.AGENTIC_PIPELINE_CONFIG;
  delete env.NODE_PATH;
  const r = spawnSync(bin, args, { cwd: elsewhere, env, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

let packed: { filename: string; files: { path: string }[] };
let installLog = '';

beforeAll(() => {
  for (const d of [prefix, home, elsewhere]) fs.mkdirSync(d, { recursive: true });
  // A clean copy: the files git would check out (plus new, not-ignored ones), no dist/, and the
  // dependencies by symlink as `npm ci` would have left them.
  const src = path.join(work, 'src');
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  expect(listed.status, listed.stderr).toBe(0);
  for (const rel of listed.stdout.split('\0').filter(Boolean)) {
    if (!fs.existsSync(path.join(ROOT, rel))) continue; // deleted in the work tree
    fs.mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, rel), path.join(src, rel));
  }
  fs.symlinkSync(fs.realpathSync(path.join(ROOT, 'node_modules')), path.join(src, 'node_modules'));
  expect(fs.existsSync(path.join(src, 'dist'))).toBe(false);

  const pack = npm(['pack', '--json', '--pack-destination', work], src);
  expect(pack.status, pack.stderr).toBe(0);
  // `prepare` (the build) may print before the JSON document: take the array npm writes last.
  const json = pack.stdout.slice(pack.stdout.lastIndexOf('\n[') + 1);
  packed = (JSON.parse(json) as (typeof packed)[])[0]!;

  const install = npm(['install', '-g', '--prefix', prefix, path.join(work, packed.filename)], elsewhere);
  installLog = install.stdout + install.stderr;
  expect(install.status, installLog).toBe(0);
}, 600_000);

describe('npm pack', () => {
  it('ships only what runs: the built code with the console bundle, the README and package.json', () => {
    const files = packed.files.map((f) => f.path).sort();
    expect(files).toContain('package.json');
    expect(files).toContain('README.md');
    expect(files).toContain('dist/bin/agentic-pipeline.js');
    expect(files).toContain('dist/console/run-console.js');
    expect(files).toContain('dist/src/worker/thread.js'); // loaded by path at run time, not imported
    const unexpected = files.filter((f) => !/^dist\/(bin|src|store|screens|components|console)\/.+\.js$/.test(f) && !['package.json', 'README.md', 'LICENSE'].includes(f));
    expect(unexpected).toEqual([]);
    // No tests, benchmarks, sources, maps or databases.
    expect(files.filter((f) => /(^|\/)(test|bench)\/|\.map$|\.ts$|\.db$/.test(f))).toEqual([]);
  });
});

describe('the globally installed binary', () => {
  it('--version: the package version and the schema version it understands', () => {
    const r = installed(['--version']);
    expect(r).toEqual({ code: 0, stdout: `agentic-pipeline ${pkg.version} (database schema version ${MIGRATIONS.length})\n`, stderr: '' });
  });

  it('init, process, worker --drain and health --json from another folder, with the default database', () => {
    const init = installed(['init', '--parents']);
    expect(init.code, init.stderr).toBe(0);
    const dbPath = path.join(home, 'data', 'agentic-pipeline', 'pipeline.db');
    expect(init.stdout).toContain(dbPath);
    expect(fs.existsSync(dbPath)).toBe(true);

    const book = writeEpub(elsewhere, generateBook('fiction', createRng(18), { chapters: 3, wordsPerChapter: 300 }));
    const proc = installed(['process', path.basename(book), '--json']);
    expect(proc.code, proc.stderr).toBe(0);
    const queued = JSON.parse(proc.stdout) as { id: string; state: string };
    expect(queued.state).toBe('detected');

    const drain = installed(['worker', '--drain', '--log-level', 'silent']);
    expect(drain.code, drain.stderr).toBe(0);

    const status = installed(['status', queued.id, '--json']);
    expect(status.code, status.stderr).toBe(0);
    // A novel is classified and waits for approval, or is auto-approved and completes: either
    // way the installed worker ran every stage up to there with the installed native addon.
    expect(['pending_approval', 'complete']).toContain((JSON.parse(status.stdout) as { state: string }).state);

    const health = installed(['health', '--json']);
    expect(health.code, health.stderr).toBe(0);
    const doc = JSON.parse(health.stdout) as { active: number; queued: number; failed: number; pending_approval: number };
    expect({ active: doc.active, queued: doc.queued, failed: doc.failed }).toEqual({ active: 0, queued: 0, failed: 0 });
  });
});

describe.skipIf(!hasTmux)('the installed demo in a terminal', () => {
  const tmux = new Tmux(`ap-pack-${process.pid}`);
  afterAll(() => tmux.killServer());

  it('opens the console from the shipped bundle and quits back to the shell', { timeout: 180_000 }, async () => {
    const tmp = path.join(work, 'tmp');
    fs.mkdirSync(tmp, { recursive: true });
    const env = isolatedEnv({ HOME: home, XDG_DATA_HOME: path.join(home, 'data'), TMPDIR: tmp, NO_COLOR: '1', PATH: `${path.join(prefix, 'bin')}:${process.env.PATH}` });
    await tmux.startShell('demo', { cols: 110, rows: 34, env, cwd: elsewhere, prompt: 'pkg$ ' });
    tmux.type('demo', 'agentic-pipeline demo --books 3 --workers 1 2>demo.err; echo "demo-exit=$?"');
    await tmux.waitFor('demo', /1 Health.*2 Stuck.*3 Queue.*4 Batch.*5 Audit/, 'the console tabs', 90_000);
    await tmux.press('demo', 'q');
    await tmux.waitFor('demo', 'demo-exit=0', 'the demo exiting 0', 60_000);
    expect(fs.readFileSync(path.join(elsewhere, 'demo.err'), 'utf8')).toBe('');
  });
});
