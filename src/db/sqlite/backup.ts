/**
 * `backup --to FILE`: a consistent copy of a live database, verified before it is put in place.
 *
 * The copy is made with SQLite's online backup API (better-sqlite3 `db.backup()`) from a
 * connection that first opens a read transaction. In WAL mode that transaction is a snapshot:
 * the backup reads every page through it, so workers keep committing meanwhile and the copy is
 * the database exactly as it was when the snapshot began (the backup API, run from a connection
 * without one, restarts whenever another process writes, and may never finish under a busy
 * worker). `VACUUM INTO` would also give a snapshot, but it cannot run inside a transaction, so
 * nothing else could be read in the same snapshot to check the copy against.
 *
 * In that same snapshot the source's counts by state (the trigger-kept aggregate) and its audit
 * head are read. The copy is then verified (backup-verify.ts): integrity_check, the audit
 * chain, the counts recounted from the copy's rows equal to its aggregate, and both equal to
 * the source's aggregate and head at the copy's point in time. A recount equal to what the
 * source's triggers had counted shows that the copy holds exactly the rows of that moment.
 *
 * The copy is written beside FILE as FILE.partial-<pid>, switched to a rollback journal (one
 * self-contained file that can be moved and opened read-only anywhere), fsynced, and renamed
 * over FILE only when every check passed. A copy that fails is kept as FILE.unverified (it may
 * be the best copy there is of a damaged database) and never replaces FILE.
 *
 * Cost: the snapshot holds back WAL checkpoints while the copy runs (the WAL grows by what the
 * workers write meanwhile). See docs/BACKUP.md for measured times.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db.js';
import { openDatabase } from '../db.js';
import { InputError } from '../../domain/errors.js';
import type { AuditHead, CopyVerification } from './backup-verify.js';
import { aggregateByState, auditHead, formatCounts, sameCounts, verifyCopy } from './backup-verify.js';

export interface BackupReport {
  file: string;
  source: string;
  /** How the copy was made (see the module comment for why). */
  method: 'sqlite-backup-api';
  bytes: number;
  /** When the snapshot was taken (ms since the epoch). */
  copied_at: number;
  ok: boolean;
  /** Where a copy that failed verification was left (never at `file`). */
  unverified_file: string | null;
  source_snapshot: { counts: Record<string, number>; audit_head: AuditHead | null };
  matches_source: { counts: boolean; audit_head: boolean };
  verification: CopyVerification;
  problems: string[];
}

export interface BackupOptions {
  /** Replace an existing FILE. */
  force?: boolean;
  now?: () => number;
}

/** Pages copied per backup step; the steps all run inside the one snapshot. */
const PAGES_PER_STEP = 16_384;

export async function takeBackup(source: Db, to: string, options: BackupOptions = {}): Promise<BackupReport> {
  const now = options.now ?? Date.now;
  const file = path.resolve(to);
  checkTarget(file, source.name, options.force ?? false);
  const partial = `${file}.partial-${process.pid}`;
  removeCopy(partial);

  let snapshot: BackupReport['source_snapshot'];
  let copiedAt: number;
  source.exec('BEGIN');
  try {
    // The first read starts the snapshot; the backup below reads through the same one.
    snapshot = { counts: aggregateByState(source), audit_head: auditHead(source) };
    copiedAt = now();
    await source.backup(partial, { progress: () => PAGES_PER_STEP });
  } catch (err) {
    removeCopy(partial);
    throw err;
  } finally {
    if (source.inTransaction) source.exec('COMMIT');
  }

  let verification: CopyVerification;
  try {
    selfContained(partial);
    const copy = openDatabase(partial, { readonly: true });
    try {
      verification = verifyCopy(copy);
    } finally {
      copy.close();
    }
  } catch (err) {
    removeCopy(partial);
    throw err;
  }

  const matches = {
    counts: sameCounts(snapshot.counts, verification.counts.by_state),
    audit_head: (snapshot.audit_head?.id ?? null) === (verification.audit.head?.id ?? null) && (snapshot.audit_head?.hash ?? null) === (verification.audit.head?.hash ?? null),
  };
  const problems = [...verification.problems];
  if (!matches.counts) {
    problems.push(`the copy's counts by state (${formatCounts(verification.counts.by_state)}) differ from the source's at the copy's point in time (${formatCounts(snapshot.counts)})`);
  }
  if (!matches.audit_head) {
    problems.push(`the copy's newest audit entry (#${verification.audit.head?.id ?? 'none'}) is not the source's at the copy's point in time (#${snapshot.audit_head?.id ?? 'none'})`);
  }
  const ok = problems.length === 0;
  const bytes = fs.statSync(partial).size;
  let unverified: string | null = null;
  if (ok) {
    fs.renameSync(partial, file);
  } else {
    unverified = `${file}.unverified`;
    fs.renameSync(partial, unverified);
  }
  syncFolder(path.dirname(file));
  return {
    file,
    source: source.name,
    method: 'sqlite-backup-api',
    bytes,
    copied_at: copiedAt,
    ok,
    unverified_file: unverified,
    source_snapshot: snapshot,
    matches_source: matches,
    verification,
    problems,
  };
}

function checkTarget(file: string, sourceFile: string, force: boolean): void {
  if (samePath(sourceFile, file)) throw new InputError(`--to ${file}: is the database being backed up; give another file`);
  const dir = path.dirname(file);
  const dirStat = fs.statSync(dir, { throwIfNoEntry: false });
  if (!dirStat) throw new InputError(`--to ${file}: the folder ${dir} does not exist`);
  if (!dirStat.isDirectory()) throw new InputError(`--to ${file}: ${dir} is a file, not a folder`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new InputError(`--to ${file}: this user cannot write in ${dir}`);
  }
  const st = fs.statSync(file, { throwIfNoEntry: false });
  if (!st) return;
  if (!st.isFile()) throw new InputError(`--to ${file}: exists and is not a regular file`);
  if (!force) throw new InputError(`--to ${file}: already exists; pass --force to replace it`);
}

/**
 * The backup API gives the copy the source's WAL mode; a rollback journal makes it one file
 * that opens read-only without a -shm beside it. Then fsync, before it is renamed into place.
 */
function selfContained(file: string): void {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
  const fd = fs.openSync(file, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The same file, through symlinks too. */
export function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(a) === real(b);
}

/** The rename is durable once the folder is synced. */
export function syncFolder(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** A copy and whatever SQLite left beside it. */
export function removeCopy(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) fs.rmSync(f, { force: true });
}
