import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { PermanentError } from '../domain/errors.js';
import type { BookSource, ExtractOptions } from './types.js';
import { throwIfAborted } from './text.js';

export interface LoadedSource {
  bytes: Uint8Array;
  fileName: string | undefined;
}

/** Reads a path (or passes bytes through) and rejects empty input with a named cause. */
export async function loadSource(source: BookSource, options: ExtractOptions = {}): Promise<LoadedSource> {
  throwIfAborted(options.signal);
  let bytes: Uint8Array;
  let fileName = options.fileName;
  if (typeof source === 'string') {
    fileName ??= basename(source);
    try {
      bytes = await readFile(source, options.signal ? { signal: options.signal } : {});
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new PermanentError(`file not found: ${source}`, 'missing_file');
      if (code === 'EISDIR') throw new PermanentError(`path is a directory, not a file: ${source}`, 'not_a_file');
      throw err;
    }
  } else {
    bytes = source;
  }
  if (bytes.length === 0) throw new PermanentError('file is empty (0 bytes)', 'empty_file');
  return { bytes, fileName };
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
