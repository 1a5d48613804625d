/**
 * `restore --from FILE [--db PATH]`: puts a backup in place of a database, safely.
 *
 * 1. The backup is copied beside PATH (PATH.restoring-<pid>; the backup itself is never
 *    changed), opened (migrated, if it is from an older build) and verified with the same checks
 *    as `backup` (integrity_check, the audit chain, counts recounted = aggregate).
 * 2. Books that were leased when the backup was taken go back to needs_retry, claimable at once,
 *    the way lease rescue moves a dead worker's books (attempts kept), each with a
 *    STUCK_RECOVERED audit row by `system:restore` (or --actor) in the same transaction. Their
 *    workers are not working on this file: their rows are marked stopped in that transaction too.
 * 3. PATH, if it exists, is refused while a live worker uses it (a worker row not stopped whose
 *    heartbeat is newer than its lease: a worker heartbeats every lease/3, so one that is alive
 *    is never older than that) unless --force. It is checkpointed (its WAL folded into the
 *    file), kept aside as PATH.replaced-<time> by a hard link (PATH never disappears, even for a
 *    moment), and the copy is renamed over PATH in one atomic step. The replaced file's -wal and
 *    -shm are removed from beside PATH first (the WAL kept with the replaced file when still
 *    non-empty): a stale WAL beside a different database would be replayed into it.
 *
 * With --force and workers still running, those workers keep their open file, which is now the
 * replaced one: stop them first; --force is for a worker known to be dead whose heartbeat has
 * not aged out yet.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db.js';
import { immediate, openDatabase, schemaVersion, SchemaTooNewError } from '../db.js';
import { MIGRATIONS } from '../migrations.js';
import { checkDatabasePath, DatabaseFileError } from '../db-file.js';
import { AuditLog } from '../audit.js';
import type { AuditEntryInput } from '../audit.js';
import { InputError } from '../../domain/errors.js';
import { WORKING_STATES } from '../../domain/states.js';
import type { CopyVerification } from './backup-verify.js';
import { verifyCopy } from './backup-verify.js';
import { removeCopy, samePath, syncFolder } from './backup.js';

export const RESTORE_ACTOR = 'system:restore';

/** A worker registered without its lease length (older builds) is judged by the default lease. */
const DEFAULT_LEASE_MS = 30_000;

export interface LiveWorker {
  id: string;
  pid: number | null;
  host: string | null;
  heartbeat_age_seconds: number;
}

export interface ReleasedLease {
  id: string;
  from: string;
  lease_owner: string | null;
}

export interface RestoreReport {
  from: string;
  db: string;
  ok: boolean;
  /** Where the database that was at `db` was kept; null when there was none. */
  replaced_file: string | null;
  verification: CopyVerification;
  /** Books leased in the backup, now needs_retry. */
  released: ReleasedLease[];
  workers_marked_stopped: number;
  /** Live workers that --force overrode. */
  forced_past: LiveWorker[];
}

export interface RestoreOptions {
  force?: boolean;
  actor?: string;
  now?: () => number;
}

/** Verification failed: nothing was replaced. The CLI exits 3 (as `audit --verify`). */
export class BackupUnverifiedError extends Error {
  override name = 'BackupUnverifiedError';
  constructor(
    readonly file: string,
    readonly verification: CopyVerification,
  ) {
    super(`backup ${file} failed verification, nothing was restored: ${verification.problems.join('; ')}`);
  }
}

export function restoreBackup(from: string, to: string, options: RestoreOptions = {}): RestoreReport {
  const now = options.now ?? Date.now;
  const actor = options.actor ?? RESTORE_ACTOR;
  const source = path.resolve(from);
  const target = path.resolve(to);
  checkSource(source, target);
  // An empty file holds nothing to keep or to guard: it is replaced like a missing one.
  const targetExists = checkDatabasePath(target, { write: true }) === 'database';
  if (!targetExists) {
    const dir = path.dirname(target);
    if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new InputError(`--db ${target}: the folder ${dir} does not exist`);
  }

  // Refuse before any copying: the commonest mistake is restoring under running workers.
  const forcedPast = targetExists ? refuseLiveTarget(target, now(), options.force ?? false) : [];

  const staging = `${target}.restoring-${process.pid}`;
  removeCopy(staging);
  fs.copyFileSync(source, staging, fs.constants.COPYFILE_EXCL);
  let verification: CopyVerification;
  let released: ReleasedLease[];
  let stopped: number;
  try {
    const db = openDatabase(staging);
    try {
      verification = verifyCopy(db);
      if (!verification.ok) throw new BackupUnverifiedError(source, verification);
      ({ released, stopped } = releaseBackupLeases(db, actor, now, source));
    } finally {
      db.close();
    }
    // Closing the last connection folded the WAL into the file; the rename moves only the file.
    if ((fs.statSync(`${staging}-wal`, { throwIfNoEntry: false })?.size ?? 0) > 0) {
      throw new Error(`restore: ${staging}-wal was not checkpointed on close; nothing was replaced`);
    }
    fs.rmSync(`${staging}-wal`, { force: true });
    fs.rmSync(`${staging}-shm`, { force: true });
    const fd = fs.openSync(staging, 'r+');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  } catch (err) {
    removeCopy(staging);
    throw err;
  }

  let replaced: string | null = null;
  try {
    if (targetExists) replaced = setAside(target, now(), options.force ?? false);
    // The -wal and -shm beside PATH belong to the replaced file (checkpointed, or kept with it
    // by setAside) or to none (left by a deleted database). Removed before the rename, never
    // after: SQLite would replay a stale WAL into the restored file. A process that still has
    // the replaced file open keeps its own open descriptors.
    fs.rmSync(`${target}-wal`, { force: true });
    fs.rmSync(`${target}-shm`, { force: true });
    fs.renameSync(staging, target);
  } catch (err) {
    removeCopy(staging);
    throw err;
  }
  syncFolder(path.dirname(target));
  return {
    from: source,
    db: target,
    ok: true,
    replaced_file: replaced,
    verification,
    released,
    workers_marked_stopped: stopped,
    forced_past: forcedPast,
  };
}

function checkSource(source: string, target: string): void {
  if (samePath(source, target)) throw new InputError(`--from ${source}: is the database to restore into; give the backup file`);
  if (!fs.existsSync(source)) throw new InputError(`--from ${source}: backup file not found`);
  let state;
  try {
    state = checkDatabasePath(source, { write: false });
  } catch (err) {
    if (err instanceof DatabaseFileError) throw new InputError(`--from ${source}: ${err.problem}`);
    throw err;
  }
  if (state !== 'database') throw new InputError(`--from ${source}: is an empty file, not a backup`);
  // Our backups are one self-contained file; one with a non-empty WAL beside it is a live
  // database, and copying its main file alone would lose what the WAL holds.
  if ((fs.statSync(`${source}-wal`, { throwIfNoEntry: false })?.size ?? 0) > 0) {
    throw new InputError(`--from ${source}: has a non-empty -wal beside it, so it is a database in use, not a backup; take one with 'agentic-pipeline backup --db ${source} --to FILE'`);
  }
}

/** Workers whose heartbeat is newer than their lease, on the database at `file`. */
export function liveWorkers(db: Db, now: number): LiveWorker[] {
  // Few rows: workers_heartbeat bounds it to the last day, like health's list.
  const rows = db
    .prepare(
      `SELECT id, pid, host, heartbeat_at, COALESCE(json_extract(info_json, '$.leaseMs'), @dflt) AS lease_ms
       FROM workers INDEXED BY workers_heartbeat
       WHERE heartbeat_at >= @since AND stopped_at IS NULL ORDER BY heartbeat_at DESC`,
    )
    .all({ since: now - 86_400_000, dflt: DEFAULT_LEASE_MS }) as { id: string; pid: number | null; host: string | null; heartbeat_at: number; lease_ms: number }[];
  return rows
    .filter((w) => w.heartbeat_at + w.lease_ms > now)
    .map((w) => ({ id: w.id, pid: w.pid, host: w.host, heartbeat_age_seconds: Math.max(0, Math.round((now - w.heartbeat_at) / 1000)) }));
}

/**
 * Opened directly, not through openDatabase: the file is about to be replaced, so it is not
 * migrated (an older one is kept aside as it was). A newer one is refused like everywhere.
 */
function openTarget(target: string, readonly: boolean): Db {
  const db = new Database(target, { readonly, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    const version = schemaVersion(db);
    if (version > MIGRATIONS.length) throw new SchemaTooNewError(version);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function refuseLiveTarget(target: string, now: number, force: boolean): LiveWorker[] {
  const db = openTarget(target, true);
  let live: LiveWorker[];
  try {
    live = schemaVersion(db) >= 1 ? liveWorkers(db, now) : [];
  } finally {
    db.close();
  }
  if (live.length > 0 && !force) {
    const w = live[0]!;
    const who = `${w.id}${w.pid !== null ? ` (pid ${w.pid}${w.host ? ` on ${w.host}` : ''})` : ''}, heartbeat ${w.heartbeat_age_seconds}s ago`;
    throw new InputError(
      `--db ${target}: is in use by ${live.length === 1 ? '1 live worker' : `${live.length} live workers`}: ${who}; stop ${live.length === 1 ? 'it' : 'them'} first, or pass --force if ${live.length === 1 ? 'it is' : 'they are'} known to be dead`,
    );
  }
  return live;
}

const working = WORKING_STATES.map((s) => `'${s}'`).join(', ');

/**
 * One transaction: every book leased in the backup → needs_retry (as lease rescue moves them,
 * attempts kept, auto_recoveries not counted: the book did not crash anything), with its audit
 * row, and the backup's workers marked stopped.
 */
function releaseBackupLeases(db: Db, actor: string, now: () => number, source: string): { released: ReleasedLease[]; stopped: number } {
  const audit = new AuditLog(db, now);
  return immediate(db, () => {
    const at = now();
    const leased = db
      .prepare(
        `SELECT id, state, lease_owner, lease_token, lease_expires_at FROM pipelines INDEXED BY pipelines_lease_stuck
         WHERE lease_owner IS NOT NULL AND state IN (${working})`,
      )
      .all() as { id: string; state: string; lease_owner: string | null; lease_token: string | null; lease_expires_at: number | null }[];
    const move = db.prepare(`
      UPDATE pipelines SET
        state = 'needs_retry', next_attempt_at = NULL,
        lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL,
        state_entered_at = @now, updated_at = @now, version = version + 1,
        last_actor = @actor, transition_note = @note
      WHERE id = @id AND state = @from AND lease_token IS @token`);
    const released: ReleasedLease[] = [];
    const entries: AuditEntryInput[] = [];
    for (const row of leased) {
      const note = `lease released by restore: the book was ${row.state} under worker ${row.lease_owner ?? '?'} when the backup was taken`;
      const changed = move.run({ id: row.id, from: row.state, token: row.lease_token, now: at, actor, note }).changes;
      if (changed === 0) continue;
      released.push({ id: row.id, from: row.state, lease_owner: row.lease_owner });
      entries.push({
        action: 'STUCK_RECOVERED',
        actor,
        pipeline_id: row.id,
        reason: note,
        before: row.state,
        after: 'needs_retry',
        details: { restored_from: source, lease_owner: row.lease_owner, lease_expires_at: row.lease_expires_at },
      });
    }
    if (entries.length > 0) audit.appendMany(entries);
    const stopped = db.prepare('UPDATE workers SET stopped_at = @now WHERE stopped_at IS NULL').run({ now: at }).changes;
    return { released, stopped };
  });
}

/**
 * Folds the WAL into PATH, then keeps PATH as PATH.replaced-<time> by a hard link (PATH stays
 * in place until the rename replaces it). A WAL still non-empty after the checkpoint means
 * another connection is writing: refused without --force, else kept with the replaced file.
 */
function setAside(target: string, at: number, force: boolean): string {
  const db = openTarget(target, false);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  const walSize = fs.statSync(`${target}-wal`, { throwIfNoEntry: false })?.size ?? 0;
  if (walSize > 0 && !force) {
    throw new InputError(`--db ${target}: another process still has it open and is writing (its -wal is not empty after a checkpoint); stop it first, or pass --force`);
  }
  const aside = `${target}.replaced-${new Date(at).toISOString().replace(/[:.]/g, '-')}`;
  keepAs(target, aside);
  if (walSize > 0) keepAs(`${target}-wal`, `${aside}-wal`);
  return aside;
}

/** A hard link where the file system has them; a copy where it does not (vfat, some FUSE). */
function keepAs(file: string, aside: string): void {
  try {
    fs.linkSync(file, aside);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw err;
    fs.copyFileSync(file, aside, fs.constants.COPYFILE_EXCL);
  }
}
