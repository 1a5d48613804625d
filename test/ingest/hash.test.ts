import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashFile } from '../../src/ingest/index.js';
import { sampleBook, writeEpub } from '../fixtures/books.js';
import { useTempDir } from './helpers.js';

const dir = useTempDir('hash-');

describe('hashFile', () => {
  it('matches crypto.createHash for a multi-megabyte file, and reports its size', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const path = join(dir, 'big.bin');
    writeFileSync(path, bytes);
    const result = await hashFile(path);
    expect(result).toEqual({ hash: createHash('sha256').update(bytes).digest('hex'), size: bytes.length });
  });

  it('hashes files at and around the whole-read limit (1 MB) the same way as createHash', async () => {
    for (const n of [1, 4096, 1024 * 1024 - 1, 1024 * 1024, 1024 * 1024 + 1]) {
      const bytes = randomBytes(n);
      const path = join(dir, `edge-${n}.bin`);
      writeFileSync(path, bytes);
      expect(await hashFile(path)).toEqual({ hash: createHash('sha256').update(bytes).digest('hex'), size: n });
    }
  });

  it('rejects with ENOENT for a missing file', async () => {
    await expect(hashFile(join(dir, 'missing.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('gives identical books the same hash and different books different hashes', async () => {
    const a = await hashFile(writeEpub(dir, sampleBook(1), { fileName: 'a.epub' }));
    const b = await hashFile(writeEpub(dir, sampleBook(1), { fileName: 'b.epub' }));
    const c = await hashFile(writeEpub(dir, sampleBook(2), { fileName: 'c.epub' }));
    expect(a.hash).toBe(b.hash);
    expect(c.hash).not.toBe(a.hash);
  });

  it('hashes an empty file to the well-known empty digest', async () => {
    const path = join(dir, 'empty');
    writeFileSync(path, '');
    expect(await hashFile(path)).toEqual({ hash: createHash('sha256').digest('hex'), size: 0 });
  });

  it('rejects at once when the signal is already aborted', async () => {
    const path = join(dir, 'small.bin');
    writeFileSync(path, 'abc');
    const controller = new AbortController();
    controller.abort();
    await expect(hashFile(path, controller.signal)).rejects.toThrow(/abort/i);
  });

  it('stops mid-stream when aborted while reading', async () => {
    const path = join(dir, 'huge.bin');
    writeFileSync(path, randomBytes(32 * 1024 * 1024));
    const controller = new AbortController();
    const pending = hashFile(path, controller.signal);
    setImmediate(() => controller.abort(new Error('shutdown requested: abort')));
    await expect(pending).rejects.toThrow(/shutdown requested/);
  });
});
