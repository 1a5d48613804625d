/** Shared helpers for the worker tests: reading the database a worker wrote, waiting on it. */
import Database from 'better-sqlite3';
import type { PipelineRow } from '../../src/db/pipeline-row.js';
import type { StateHistoryRow } from '../../src/db/pipeline-row.js';

export function readDb(file: string): Database.Database {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 10000');
  return db;
}

export function withDb<T>(file: string, fn: (db: Database.Database) => T): T {
  const db = readDb(file);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export function pipelines(file: string): PipelineRow[] {
  return withDb(file, (db) => db.prepare('SELECT * FROM pipelines ORDER BY source_path').all() as PipelineRow[]);
}

export type HistoryRow = StateHistoryRow;

export function history(file: string, pipelineId?: string): HistoryRow[] {
  return withDb(file, (db) =>
    pipelineId
      ? (db.prepare('SELECT * FROM state_history WHERE pipeline_id = ? ORDER BY id').all(pipelineId) as HistoryRow[])
      : (db.prepare('SELECT * FROM state_history ORDER BY pipeline_id, id').all() as HistoryRow[]),
  );
}

export function libraryCounts(file: string, pipelineId: string): { books: number; chapters: number; chunks: number; embedded: number } {
  return withDb(
    file,
    (db) =>
      db
        .prepare(
          `SELECT (SELECT COUNT(*) FROM books WHERE pipeline_id = @id) AS books,
                  (SELECT COUNT(*) FROM chapters WHERE pipeline_id = @id) AS chapters,
                  (SELECT COUNT(*) FROM chunks WHERE pipeline_id = @id) AS chunks,
                  (SELECT COUNT(*) FROM chunks WHERE pipeline_id = @id AND embedding IS NOT NULL) AS embedded`,
        )
        .get({ id: pipelineId }) as { books: number; chapters: number; chunks: number; embedded: number },
  );
}

/** Polls `fn` until it returns a truthy value (hang guard, not a speed assertion). */
export async function waitFor<T>(fn: () => T | undefined | null | false, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every stderr line of a worker must be a JSON log line; returns them parsed. */
export function parseLogLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`stderr line is not a JSON log line: ${l}`);
      }
    });
}

/** The stage path a claim takes, from its history rows (the claim row onwards). */
export const PRE_APPROVAL_PATH = ['hashing', 'classifying', 'selecting_strategy', 'processing', 'validating', 'pending_approval'];

export function exitOf(child: import('node:child_process').ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

export function collect(child: import('node:child_process').ChildProcess): { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  return { stdout: () => out, stderr: () => err };
}
