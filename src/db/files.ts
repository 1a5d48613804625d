/**
 * Operations on a database FILE: a verified online backup, the check of a copy, and a restore.
 * They exist for the SQLite engine only (a PostgreSQL server has its own tools: pg_dump,
 * base backups), so they are functions over an engine of kind 'sqlite' or over file paths,
 * not Engine groups. Everything SQLite-specific stays in src/db/sqlite/{backup,backup-verify,restore}.ts.
 */
import type { Engine } from './engine.js';
import type { SqliteEngine } from './sqlite/engine.js';
import { InputError } from '../domain/errors.js';
import { takeBackup, type BackupOptions, type BackupReport } from './sqlite/backup.js';

export type { BackupOptions, BackupReport } from './sqlite/backup.js';
export type { AuditHead, CopyVerification } from './sqlite/backup-verify.js';
export { describeVerification } from './sqlite/backup-verify.js';
export { BackupUnverifiedError, RESTORE_ACTOR, restoreBackup } from './sqlite/restore.js';
export type { LiveWorker, ReleasedLease, RestoreOptions, RestoreReport } from './sqlite/restore.js';

/** A consistent, verified copy of the engine's database file at `to`. */
export async function backupDatabase(engine: Engine, to: string, options: BackupOptions = {}): Promise<BackupReport> {
  if (engine.kind !== 'sqlite') {
    throw new InputError(`backup copies a SQLite file; for ${engine.kind} use its own tools (pg_dump, base backups)`);
  }
  return takeBackup((engine as SqliteEngine).stores.db, to, options);
}
