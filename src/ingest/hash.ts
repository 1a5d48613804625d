import { createHash } from 'node:crypto';
import { throwIfAborted } from './text.js';
import { openRegularFile } from './regular-file.js';

export interface FileHash {
  /** Lower-case hex SHA-256 of the file's bytes; the duplicate-detection key. */
  hash: string;
  size: number;
}

/** Files up to this size are read in one go; larger ones are streamed in chunks of this size. */
export const WHOLE_READ_MAX_BYTES = 1 << 20;

/**
 * SHA-256 and size of a file. Small files (the common case: <= 1 MB) are read whole with one
 * open, one fstat and one read; larger ones are streamed so hashing a large PDF never holds it
 * all in memory.
 */
export async function hashFile(path: string, signal?: AbortSignal): Promise<FileHash> {
  throwIfAborted(signal);
  const hash = createHash('sha256');
  let size = 0;
  // Only a regular file is read (a FIFO or device in a queued file's place fails at once).
  const { handle, stat } = await openRegularFile(path, { missing: 'errno' });
  let closed = false;
  try {
    if (stat.size <= WHOLE_READ_MAX_BYTES) {
      // readFile reads to EOF, so a file that grew since the fstat is still hashed whole.
      const small = await handle.readFile(signal ? { signal } : {});
      size = small.length;
      hash.update(small);
    } else {
      // Streamed from the handle we checked, never reopened by name; the stream closes it.
      closed = true;
      const stream = handle.createReadStream({ highWaterMark: WHOLE_READ_MAX_BYTES, ...(signal ? { signal } : {}) });
      for await (const chunk of stream) {
        const buf = chunk as Buffer;
        size += buf.length;
        hash.update(buf);
      }
    }
  } catch (err) {
    // The read reports an abort as its own AbortError; surface the caller's reason instead.
    throwIfAborted(signal);
    throw err;
  } finally {
    if (!closed) await handle.close();
  }
  throwIfAborted(signal);
  return { hash: hash.digest('hex'), size };
}
