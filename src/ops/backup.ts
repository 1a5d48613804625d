/**
 * `backup --to FILE` and `restore --from FILE`: the database file's backup, verification and
 * restore. The work is the SQLite engine's (src/db/sqlite/backup.ts, restore.ts: the online
 * backup API in one read snapshot, the copy verified before it is put in place); this is the
 * surface the CLI uses.
 */
export {
  backupDatabase,
  BackupUnverifiedError,
  describeVerification,
  RESTORE_ACTOR,
  restoreBackup,
} from '../db/files.js';
export type { BackupOptions, BackupReport, CopyVerification, RestoreOptions, RestoreReport } from '../db/files.js';
