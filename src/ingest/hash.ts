import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { throwIfAborted } from './text.js';

export interface FileHash {
  /** Lower-case hex SHA-256 of the file's bytes; the duplicate-detection key. */
  hash: string;
  size: number;
}

/** Streams the file so hashing a large PDF never holds it all in memory. */
export async function hashFile(path: string, signal?: AbortSignal): Promise<FileHash> {
  throwIfAborted(signal);
  const hash = createHash('sha256');
  let size = 0;
  const stream = createReadStream(path, signal ? { signal, highWaterMark: 1 << 20 } : { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      size += buf.length;
      hash.update(buf);
    }
  } catch (err) {
    // The stream reports an abort as its own AbortError; surface the caller's reason instead.
    throwIfAborted(signal);
    throw err;
  }
  throwIfAborted(signal);
  return { hash: hash.digest('hex'), size };
}
