/**
 * `worker --watch DIR` as a real process: files already there and files that appear later are
 * queued and processed; a file written in two parts is queued only once complete (no partial
 * hash, no false "corrupt"); SIGTERM leaves nothing leased.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { writeLibrary } from '../fixtures/books.js';
import { collect, exitOf, pipelines, waitFor } from './support.js';

describe('worker --watch', () => {
  it('queues existing and new files once they are complete, and processes them', async () => {
    const dir = tempDir('ap-worker-watch-');
    const inbox = path.join(dir, 'inbox');
    const source = path.join(dir, 'source');
    const books = writeLibrary(source, 3, { seed: 21, formats: ['epub', 'txt', 'markdown'] });
    fs.mkdirSync(inbox);
    // books[0] is an EPUB: half of one is a corrupt zip, so queuing it half-written would fail it.
    fs.copyFileSync(books[1]!.path, path.join(inbox, path.basename(books[1]!.path)));
    const db = path.join(dir, 'pipeline.db');
    expect(runCli(['init', '--db', db]).code).toBe(0);
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(config, JSON.stringify({ worker: { watch: { stable_ms: 1000, rescan_seconds: 0.2 } } }));
    const w = spawnCli(['worker', '--db', db, '--config', config, '--watch', inbox, '--poll-interval', '0.1']);
    const io = collect(w);
    try {
      await waitFor(() => fs.existsSync(db) && pipelines(db).some((p) => p.state === 'pending_approval'), 'the existing file to be processed');

      // A new file, written in two parts with a pause shorter than the stability window.
      const epub = fs.readFileSync(books[0]!.path);
      const target = path.join(inbox, 'arriving.epub');
      const fd = fs.openSync(target, 'w');
      fs.writeSync(fd, epub.subarray(0, Math.floor(epub.length / 2)));
      await new Promise((r) => setTimeout(r, 300));
      fs.writeSync(fd, epub.subarray(Math.floor(epub.length / 2)));
      fs.closeSync(fd);
      // And one more, written at once.
      fs.copyFileSync(books[2]!.path, path.join(inbox, `later${path.extname(books[2]!.path)}`));

      const rows = await waitFor(() => {
        const r = pipelines(db);
        return r.length === 3 && r.every((p) => !['detected', 'hashing', 'classifying', 'selecting_strategy', 'processing', 'validating'].includes(p.state)) ? r : undefined;
      }, 'all three watched books to be processed');
      for (const p of rows) expect(p.state, `${p.source_path}: ${p.error_json}`).toBe('pending_approval');
      expect(rows.map((p) => path.basename(p.source_path)).sort()).toEqual(
        ['arriving.epub', `later${path.extname(books[2]!.path)}`, path.basename(books[1]!.path)].sort(),
      );
      for (const p of rows) {
        expect(p.attempts).toBe(1);
        // The hash is of the complete file.
        expect(p.content_hash).toBe(crypto.createHash('sha256').update(fs.readFileSync(p.source_path)).digest('hex'));
      }
    } finally {
      w.kill('SIGTERM');
    }
    const exit = await exitOf(w);
    expect(exit.code, io.stderr()).toBe(0);
    expect(pipelines(db).filter((p) => p.lease_owner !== null)).toEqual([]);
  });
});
