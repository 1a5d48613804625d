/**
 * The one way ingestion opens a queued file. A queued path can be replaced by anything after it
 * was queued; a named pipe opened for reading blocks until a writer appears, and a blocked read
 * holds one of libuv's four I/O threads for good (four such books once starved a good book beside
 * them and kept the process from exiting). So: open non-blocking (a FIFO opens at once), fstat
 * the handle we hold (no race with a rename), and refuse anything that is not a regular file
 * before a single byte is read.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { PermanentError } from '../domain/errors.js';

export interface RegularFile {
  handle: FileHandle;
  stat: Stats;
}

function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a named pipe (FIFO)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a file';
}

/**
 * Opens `path` for reading if it is a regular file; the caller closes the handle. A missing file
 * is a PermanentError (`missing_file`) unless `missing: 'errno'` keeps the ENOENT error for
 * callers that report it themselves (queueing).
 */
export async function openRegularFile(path: string, options: { missing?: 'permanent' | 'errno' } = {}): Promise<RegularFile> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && options.missing !== 'errno') throw new PermanentError(`file not found: ${path}`, 'missing_file');
    // A unix socket cannot be opened at all.
    if (code === 'ENXIO') throw new PermanentError(`not a regular file: ${path} is a socket`, 'not_a_file');
    throw err;
  }
  let stat: Stats;
  try {
    stat = await handle.stat();
  } catch (err) {
    await handle.close();
    throw err;
  }
  if (!stat.isFile()) {
    await handle.close();
    throw new PermanentError(`not a regular file: ${path} is ${kindOf(stat)}`, 'not_a_file');
  }
  return { handle, stat };
}
