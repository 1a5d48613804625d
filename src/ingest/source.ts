import { basename } from 'node:path';
import { PermanentError } from '../domain/errors.js';
import type { BookSource, ExtractOptions } from './types.js';
import { throwIfAborted } from './text.js';
import { openRegularFile } from './regular-file.js';
import { formatBytes } from './limits.js';

export interface LoadedSource {
  bytes: Uint8Array;
  fileName: string | undefined;
}

/**
 * Reads a path (or passes bytes through) and rejects empty input with a named cause. A path must
 * be a regular file (see ./regular-file.ts) no larger than `maxBytes`: the size is checked on the
 * open handle before anything is read, so a 200 MB "book" costs one fstat, not 200 MB.
 */
export async function loadSource(source: BookSource, options: ExtractOptions = {}, maxBytes = Infinity): Promise<LoadedSource> {
  throwIfAborted(options.signal);
  let bytes: Uint8Array;
  let fileName = options.fileName;
  if (typeof source === 'string') {
    fileName ??= basename(source);
    const { handle, stat } = await openRegularFile(source);
    try {
      refuseTooLarge(stat.size, maxBytes);
      bytes = await handle.readFile(options.signal ? { signal: options.signal } : {});
    } finally {
      await handle.close();
    }
  } else {
    bytes = source;
  }
  // Checked again on what was read: the file may have grown since the fstat.
  refuseTooLarge(bytes.length, maxBytes);
  if (bytes.length === 0) throw new PermanentError('file is empty (0 bytes)', 'empty_file');
  return { bytes, fileName };
}

function refuseTooLarge(size: number, maxBytes: number): void {
  if (size > maxBytes) {
    throw new PermanentError(`file too large (${formatBytes(size)}, limit ${formatBytes(maxBytes)})`, 'file_too_large');
  }
}

/** Strict UTF-8 decoding, falling back to Latin-1 for legacy text files rather than failing. */
export function decodeText(bytes: Uint8Array): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = new TextDecoder('latin1').decode(bytes);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
