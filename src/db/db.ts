/**
 * Opening the one SQLite file: pragmas every connection needs, and migrations.
 * See ../shared/notes/sqlite-queue.md for why each pragma is here.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { MIGRATIONS } from './migrations.js';
import { InputError } from '../domain/errors.js';
import { checkCreatablePath, checkDatabasePath, DatabaseFileError } from './db-file.js';

export type Db = Database.Database;

export interface OpenOptions {
  /** Open without creating or migrating; writes fail. For read-only consoles and queries. */
  readonly?: boolean;
  /** Create the file (and its folder) if missing. Default true unless readonly. */
  create?: boolean;
  /** How long a writer waits for the lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

export { DatabaseMissingError } from './errors.js';
import { DatabaseMissingError } from './errors.js';

/**
 * Creates the missing folders above `file`, top down, one `mkdir` each. Not
 * `mkdirSync(…, {recursive: true})`: where mkdir answers ENOENT for a folder whose parent exists
 * (under /proc or /sys), Node's recursive mkdir retries forever at 100% CPU (Node 20), so
 * `init --db /proc/x/pipeline.db` never returned. Here the error surfaces as one line.
 */
function makeParentFolders(file: string): void {
  const missing: string[] = [];
  for (let dir = path.dirname(file); !fs.existsSync(dir); dir = path.dirname(dir)) {
    missing.unshift(dir);
    if (path.dirname(dir) === dir) break;
  }
  for (const dir of missing) {
    try {
      fs.mkdirSync(dir);
    } catch (err) {
      throw new DatabaseFileError(file, `cannot be created: making the folder ${dir} failed (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
}

export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const readonly = options.readonly ?? false;
  const create = options.create ?? !readonly;
  if (file !== ':memory:') {
    // Before SQLite sees the path: see db-file.ts for what SQLite does with a FIFO or a device.
    const state = checkDatabasePath(file, { write: !readonly });
    if (state === 'missing') {
      if (!create) throw new DatabaseMissingError(`database not found: ${file} (run 'agentic-pipeline init' first)`);
      checkCreatablePath(file);
      makeParentFolders(path.resolve(file));
    } else if (state === 'empty' && !create) {
      // SQLite would make an empty file a new database; like a missing one, only init may.
      throw new DatabaseMissingError(`database ${file} is an empty file, not a database yet (run 'agentic-pipeline init' to create one there)`);
    }
  }
  let db: Db | undefined;
  try {
    db = new Database(file, { readonly, fileMustExist: !create });
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
    // Before any pragma that writes (journal_mode) or a migration: a newer file is not ours to touch.
    refuseNewerSchema(db);
    configure(db, file, readonly);
    return db;
  } catch (err) {
    db?.close();
    throw asOpenError(file, err);
  }
}

function configure(db: Db, file: string, readonly: boolean): void {
  db.pragma('foreign_keys = ON');
  // Without recursive_triggers, INSERT OR REPLACE deletes without firing delete triggers.
  db.pragma('recursive_triggers = ON');
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('journal_size_limit = 67108864');
    // Checkpoint every ~40 MB of WAL instead of every 4 MB: each checkpoint fsyncs the main file,
    // and with a few dozen pages dirtied per claim the default ran ~30 of them a second on a
    // 1M-book file (measured: 0.8-1.0k → 1.4k claims/s). Commits are unchanged (WAL, NORMAL).
    db.pragma('wal_autocheckpoint = 10000');
    migrate(db);
  } else {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version < MIGRATIONS.length) {
      throw new DatabaseMissingError(
        `database ${file} is at schema version ${version}, this build needs ${MIGRATIONS.length}; open it once without --read-only`,
      );
    }
  }
  db.pragma('cache_size = -65536');
  // Statement journals (every multi-row statement with triggers keeps one, to undo itself on a
  // constraint error) stay in memory instead of spilling to a temp file past 64 KiB: measured,
  // a set-based batch of 250 books wrote each changed page to disk once more without this.
  db.pragma('temp_store = MEMORY');
}

/**
 * SQLite's errors while opening (what the path checks cannot see: a page damaged in the middle,
 * a file that vanished between the check and the open) become one sentence about the path.
 * Our own errors pass through unchanged.
 */
function asOpenError(file: string, err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^SQLITE_(NOTADB|CORRUPT|CANTOPEN|IOERR|READONLY|PERM)/.test(code)) return err;
  const said = err instanceof Error ? err.message : String(err);
  return new DatabaseFileError(file, `could not be opened as a database (SQLite says: ${said}); check the path, or restore it from a backup`);
}

/** A file written by a newer build: its schema has tables and rules this build does not know. */
export class SchemaTooNewError extends InputError {
  override name = 'SchemaTooNewError';
  constructor(readonly version: number) {
    super(`database schema ${version} is newer than this version understands (${MIGRATIONS.length}); upgrade agentic-pipeline`);
  }
}

function refuseNewerSchema(db: Db): void {
  const version = schemaVersion(db);
  if (version > MIGRATIONS.length) throw new SchemaTooNewError(version);
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies pending migrations; safe to call any number of times, from several processes. */
export function migrate(db: Db): void {
  refuseNewerSchema(db);
  const from = schemaVersion(db);
  if (from > 0 && from < MIGRATIONS.length && process.stderr.isTTY) {
    // Upgrading a big existing file can take a while (migration 5 relinks every history and
    // audit row: ~1 min at 1M books); say so rather than look hung. Only to a terminal: scripts
    // and --json consumers see nothing.
    process.stderr.write(`agentic-pipeline: upgrading the database schema from version ${from} to ${MIGRATIONS.length} (once; large databases take a minute)…\n`);
  }
  for (;;) {
    const applied = db
      .transaction(() => {
        const version = schemaVersion(db);
        if (version >= MIGRATIONS.length) return false;
        db.exec(MIGRATIONS[version]!);
        db.pragma(`user_version = ${version + 1}`);
        return true;
      })
      .immediate();
    if (!applied) return;
  }
}

/** Runs `fn` in an IMMEDIATE transaction (nested calls become savepoints). */
export function immediate<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}
