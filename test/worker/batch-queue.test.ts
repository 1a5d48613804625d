/**
 * A folder of mixed real files, queued with `batch-queue` (and `process` for the one the batch
 * skips by extension), then `worker --drain` as a real process: every good book ends
 * pending_approval (complete with auto-approve) with its chapters and chunks stored, every
 * broken or unsupported file ends failed with its cause named, exit 0, no crash.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, initDb } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import {
  writeDocx,
  writeEmptyFile,
  writeEpubWithoutContainer,
  writeJpeg,
  writeLibrary,
  writeTextNamedPdf,
  writeTruncatedEpub,
} from '../fixtures/books.js';
import { history, libraryCounts, parseLogLines, pipelines, PRE_APPROVAL_PATH, withDb } from './support.js';

interface Broken {
  file: string;
  cause: RegExp;
  code: string;
}

function buildFolder(): { dir: string; good: string[]; broken: Broken[]; unsupported: Broken } {
  const dir = tempDir('ap-worker-batch-');
  const lib = path.join(dir, 'lib');
  const good = writeLibrary(lib, 10).map((e) => e.path);
  const broken: Broken[] = [
    { file: writeTruncatedEpub(lib), cause: /not a valid zip archive|truncated/i, code: 'corrupt_zip' },
    { file: writeEmptyFile(lib, 'empty.txt'), cause: /empty \(0 bytes\)/, code: 'empty_file' },
    { file: writeTextNamedPdf(lib), cause: /not a PDF/, code: 'format_mismatch' },
    { file: writeEpubWithoutContainer(lib), cause: /container\.xml/, code: 'corrupt_epub' },
    { file: writeJpeg(lib, 'cover.txt'), cause: /JPEG image/, code: 'unsupported_format' },
  ];
  // batch-queue skips extensions it does not know; `process` queues it anyway.
  const unsupported: Broken = { file: writeDocx(path.join(dir, 'other')), cause: /unsupported format: .*Word document/, code: 'unsupported_format' };
  return { dir, good, broken, unsupported };
}

function queueAll(db: string, dir: string, unsupported: string): void {
  const q = runCli(['batch-queue', path.join(dir, 'lib'), '--db', db]);
  expect(q.code, q.stderr).toBe(0);
  const p = runCli(['process', unsupported, '--db', db]);
  expect(p.code, p.stderr).toBe(0);
}

describe('worker --drain over a mixed folder', () => {
  it('ends every good book pending_approval with its library rows and every broken file failed with its cause', () => {
    const { dir, good, broken, unsupported } = buildFolder();
    const db = initDb(path.join(dir, 'pipeline.db'));
    queueAll(db, dir, unsupported.file);
    expect(pipelines(db)).toHaveLength(good.length + broken.length + 1);

    const r = runCli(['worker', '--drain', '--concurrency', '2', '--db', db, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const logs = parseLogLines(r.stderr);
    expect(logs.some((l) => l.msg === 'drained: nothing claimable and nothing in flight')).toBe(true);
    expect(logs.filter((l) => typeof l.level === 'number' && (l.level as number) >= 50)).toEqual([]);
    expect(r.stderr).not.toMatch(/SQLITE_BUSY|database is locked/);
    const summary = JSON.parse(r.stdout) as { claimed: number; outcomes: Record<string, number> };
    expect(summary.claimed).toBe(good.length + broken.length + 1);
    expect(summary.outcomes).toEqual({ pending_approval: good.length, failed: broken.length + 1 });

    const rows = pipelines(db);
    const byPath = new Map(rows.map((p) => [p.source_path, p]));
    for (const file of good) {
      const p = byPath.get(file)!;
      expect(p.state, `${path.basename(file)}: ${p.error_json}`).toBe('pending_approval');
      expect(p.lease_owner).toBeNull();
      expect(p.book_type).not.toBeNull();
      const profile = JSON.parse(p.profile_json!) as { reasons: string[]; confidence: number };
      expect(profile.reasons.length).toBeGreaterThan(0);
      expect(JSON.parse(p.strategy_json!)).toHaveProperty('strategy.chunkWords');
      const lib = libraryCounts(db, p.id);
      expect(lib.books).toBe(1);
      expect(lib.chapters).toBeGreaterThan(0);
      expect(lib.chunks).toBeGreaterThan(0);
      expect(lib.embedded).toBe(0);
      // Each stage is its own transition, with the duration of the state it left.
      const h = history(db, p.id).filter((x) => x.from_state !== null);
      const path_ = h.map((x) => x.to_state);
      expect(path_[0]).toBe('hashing');
      expect(path_.at(-1)).toBe('pending_approval');
      for (const s of PRE_APPROVAL_PATH) expect(path_).toContain(s);
      for (const x of h) expect(x.duration_ms).not.toBeNull();
    }
    for (const b of [...broken, unsupported]) {
      const p = byPath.get(b.file)!;
      expect(p.state, path.basename(b.file)).toBe('failed');
      const err = JSON.parse(p.error_json!) as { code: string; message: string; permanent: boolean };
      expect(err.message, path.basename(b.file)).toMatch(b.cause);
      expect(err.code).toBe(b.code);
      expect(err.permanent).toBe(true);
      // Permanent failures fail at once: one attempt.
      expect(p.attempts).toBe(1);
      expect(libraryCounts(db, p.id).books).toBe(0);
    }
    const leased = withDb(db, (d) => d.prepare('SELECT COUNT(*) AS n FROM pipelines WHERE lease_owner IS NOT NULL').get() as { n: number });
    expect(leased.n).toBe(0);
  });

  it('with auto-approve on, approves by rule (audited) and embeds every chunk to complete', () => {
    const { dir, good, broken, unsupported } = buildFolder();
    const db = initDb(path.join(dir, 'pipeline.db'));
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(config, JSON.stringify({ worker: { auto_approve: { enabled: true, min_confidence: 0 }, embedder: { dims: 64 } } }));
    queueAll(db, dir, unsupported.file);
    const r = runCli(['worker', '--drain', '--db', db, '--config', config]);
    expect(r.code, r.stderr).toBe(0);
    const byPath = new Map(pipelines(db).map((p) => [p.source_path, p]));
    for (const file of good) {
      const p = byPath.get(file)!;
      expect(p.state, `${path.basename(file)}: ${p.error_json}`).toBe('complete');
      expect(p.approved_by).toBe('auto:min-confidence');
      const lib = libraryCounts(db, p.id);
      expect(lib.chunks).toBeGreaterThan(0);
      expect(lib.embedded).toBe(lib.chunks);
      const blob = withDb(db, (d) => d.prepare('SELECT embedding FROM chunks WHERE pipeline_id = ? LIMIT 1').get(p.id) as { embedding: Buffer });
      expect(blob.embedding.length).toBe(64 * 4);
      const approvals = withDb(db, (d) =>
        d.prepare(`SELECT actor FROM audit WHERE pipeline_id = ? AND action = 'APPROVED'`).all(p.id) as { actor: string }[],
      );
      expect(approvals).toEqual([{ actor: 'auto:min-confidence' }]);
      const h = history(db, p.id).map((x) => x.to_state);
      expect(h.slice(-4)).toEqual(['pending_approval', 'approved', 'embedding', 'complete']);
    }
    for (const b of [...broken, unsupported]) expect(byPath.get(b.file)!.state).toBe('failed');
  });
});
