/**
 * Runs the real built CLI (dist/bin) as a child process, the way a user or cron would.
 * `npm test` builds before vitest runs, so dist is current.
 */
import { spawnSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'dist/bin/agentic-pipeline.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  input?: string;
  cwd?: string;
}

function childEnv(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  // The machine's own database and config never leak in; a test may still give them on purpose.
  const env: NodeJS.ProcessEnv = { ...process.env, USER: 'tester', NO_COLOR: '1' };
  delete env.AGENTIC_PIPELINE_DB;
  delete env.AGENTIC_PIPELINE_CONFIG;
  return { ...env, ...extra };
}

export function runCli(args: readonly string[], options: CliOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    env: childEnv(options.env),
    cwd: options.cwd ?? ROOT,
    input: options.input ?? '',
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Parses stdout as the single JSON document `--json` promises. */
export function runCliJson<T = unknown>(args: readonly string[], options: CliOptions = {}): { code: number; doc: T; stderr: string } {
  const r = runCli([...args, '--json'], options);
  let doc: T;
  try {
    doc = JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${r.code}):\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
  return { code: r.code, doc, stderr: r.stderr };
}

/** Starts the CLI in the background (workers, watch mode). */
export function spawnCli(args: readonly string[], options: CliOptions = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    env: childEnv(options.env),
    cwd: options.cwd ?? ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** `agentic-pipeline init --db FILE`: every command but init refuses a missing database. */
export function initDb(db: string): string {
  const r = runCli(['init', '--db', db]);
  if (r.code !== 0) throw new Error(`init failed (exit ${r.code}): ${r.stderr}`);
  return db;
}
