import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { throwIfAborted } from './text.js';

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
  let small: Buffer | undefined;
  const fh = await open(path, 'r');
  try {
    // readFile reads to EOF, so a file that grew since the fstat is still hashed whole.
    if ((await fh.stat()).size <= WHOLE_READ_MAX_BYTES) small = await fh.readFile(signal ? { signal } : {});
  } catch (err) {
    // The read reports an abort as its own AbortError; surface the caller's reason instead.
    throwIfAborted(signal);
    throw err;
  } finally {
    await fh.close();
  }
  if (small) {
    size = small.length;
    hash.update(small);
  } else {
    const stream = createReadStream(path, signal ? { signal, highWaterMark: WHOLE_READ_MAX_BYTES } : { highWaterMark: WHOLE_READ_MAX_BYTES });
    try {
      for await (const chunk of stream) {
        const buf = chunk as Buffer;
        size += buf.length;
        hash.update(buf);
      }
    } catch (err) {
      throwIfAborted(signal);
      throw err;
    }
  }
  throwIfAborted(signal);
  return { hash: hash.digest('hex'), size };
}
