/**
 * Is this path something SQLite may open as our database? Checked before SQLite touches it,
 * because SQLite's own answers are wrong or worse for a mistyped --db: a FIFO blocks its open()
 * forever, /dev/null "opens" and gets -wal/-shm files created beside it in /dev, a folder or a
 * socket reads as "unable to open database file", a text file as "file is not a database", a
 * truncated file as "disk I/O error" or "database disk image is malformed". Each of those is a
 * person's mistake with a path, so it is a usage error (exit 2) naming the path and what is
 * wrong with it, and nothing at the path is created or changed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../domain/errors.js';

/** A path that cannot be our database file. Exit 2; the message names the path. */
export class DatabaseFileError extends InputError {
  override name = 'DatabaseFileError';
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`database ${file}: ${problem}`);
  }
}

/** The 16 bytes every SQLite 3 database file starts with. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
/** The database header is the first 100 bytes of page 1. */
const HEADER_SIZE = 100;

export interface PathCheck {
  /** The caller will write (needs the file, and its folder for -wal/-shm, writable). */
  write: boolean;
}

/** What the path is, as one phrase: "a directory", "a named pipe (FIFO)", … */
function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** What is at a database path that passed the checks. */
export type DatabasePathState = 'missing' | 'empty' | 'database';

/**
 * Throws DatabaseFileError when `file` exists and is not a usable SQLite file, or when a part
 * of its folder path is a file. Otherwise says whether nothing is there, an empty file (which
 * SQLite would take as a new database), or an SQLite file. Reads at most the 100-byte header;
 * never creates anything.
 */
export function checkDatabasePath(file: string, check: PathCheck): DatabasePathState {
  let st: fs.Stats | undefined;
  try {
    // stat, not lstat: a symlink to a database is a fine --db; what it points at is checked.
    st = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new DatabaseFileError(file, `is under ${fileAbove(file)}, which is a file, not a folder`);
    if (code === 'EACCES') throw new DatabaseFileError(file, 'cannot be reached: a folder on its path is not searchable by this user');
    if (code === 'ELOOP') throw new DatabaseFileError(file, 'is a symbolic link loop');
    if (code !== 'ENOENT') throw err;
    return 'missing';
  }
  if (!st.isFile()) throw new DatabaseFileError(file, `is ${kindOf(st)}, not a database file`);
  if (st.size > 0) checkHeader(file, st.size);
  if (check.write) checkWritable(file);
  return st.size > 0 ? 'database' : 'empty';
}

/** The nearest existing ancestor of `file`, which (after ENOTDIR) is the file it sits under. */
function fileAbove(file: string): string {
  for (let dir = path.dirname(path.resolve(file)); ; dir = path.dirname(dir)) {
    const st = statIfThere(dir);
    if (st && !st.isDirectory()) return dir;
    if (path.dirname(dir) === dir) return path.dirname(file);
  }
}

/**
 * The header says how big the file must be (page size × page count, when the count is valid:
 * SQLite writes the "version-valid-for" number beside it). A file shorter than that lost its
 * tail. Not judged while a non-empty -wal sits beside it: a checkpoint interrupted by a crash
 * may have written page 1 (with the new count) before the pages that extend the file, and
 * SQLite replays the WAL to finish it.
 */
function checkHeader(file: string, size: number): void {
  const header = Buffer.alloc(HEADER_SIZE);
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  let read: number;
  try {
    read = fs.readSync(fd, header, 0, HEADER_SIZE, 0);
  } finally {
    fs.closeSync(fd);
  }
  const magic = Math.min(read, SQLITE_HEADER.length);
  if (!header.subarray(0, magic).equals(SQLITE_HEADER.subarray(0, magic))) {
    throw new DatabaseFileError(file, 'is not an SQLite database (it does not start with the SQLite header)');
  }
  if (read < HEADER_SIZE) {
    throw new DatabaseFileError(file, `is a truncated SQLite file (${size} bytes, shorter than the ${HEADER_SIZE}-byte header); restore it from a backup`);
  }
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  const pages = header.readUInt32BE(28);
  const countValid = header.readUInt32BE(92) === header.readUInt32BE(24);
  if (!countValid || pageSize < 512 || pages === 0) return;
  const expected = pageSize * pages;
  if (size < expected && !hasWalContent(file)) {
    throw new DatabaseFileError(file, `is a truncated SQLite file (${size} bytes, its header says ${expected}); restore it from a backup`);
  }
}

/** stat, or undefined when nothing is there (ENOENT) or a folder on the way is a file (ENOTDIR). */
function statIfThere(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

function hasWalContent(file: string): boolean {
  return (statIfThere(`${file}-wal`)?.size ?? 0) > 0;
}

/**
 * A writer needs the file writable, and (WAL mode) its folder writable for -wal and -shm unless
 * both already exist and are writable. Root passes every access() check, so for root these
 * only catch what root cannot write either (a read-only mount).
 */
function checkWritable(file: string): void {
  if (!canWrite(file)) {
    throw new DatabaseFileError(file, 'is read-only for this user (fix its permissions, or use a command that only reads)');
  }
  const dir = path.dirname(path.resolve(file));
  if (!canWrite(dir) && !(canWrite(`${file}-wal`) && canWrite(`${file}-shm`))) {
    throw new DatabaseFileError(file, `is in a folder this user cannot write (${dir}), and SQLite keeps its -wal and -shm files beside the database`);
  }
}

function canWrite(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where a missing database would be created: refuse when a folder on the way is a file or the
 * nearest existing folder is not writable (mkdir and SQLite would answer ENOTDIR, EEXIST or
 * "unable to open database file").
 */
export function checkCreatablePath(file: string): void {
  for (let dir = path.dirname(path.resolve(file)); ; dir = path.dirname(dir)) {
    const st = statIfThere(dir);
    if (st) {
      if (!st.isDirectory()) throw new DatabaseFileError(file, `is under ${dir}, which is a file, not a folder`);
      if (!canWrite(dir)) throw new DatabaseFileError(file, `cannot be created: this user cannot write in ${dir}`);
      return;
    }
    if (path.dirname(dir) === dir) return;
  }
}
