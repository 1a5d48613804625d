/**
 * Stuck-book recovery and the remaining batches through the server, on a book left leased by a
 * worker killed mid-stage. The server runs with its clock an hour ahead (the clock offset every
 * time-rule test uses), so the dead worker's lease has expired for it without waiting.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { initDb, runCli, runCliJson, spawnCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { writeLibrary } from '../fixtures/books.js';
import { exitOf, waitFor, withDb } from '../worker/support.js';
import { call, dump, startMcp } from './support.js';

const HOUR_AHEAD = { AGENTIC_PIPELINE_CLOCK_OFFSET_MS: String(3_600_000) };

describe('recover_stuck_pipeline, batch_retry and batch_reject', () => {
  it('recovers the killed worker\'s book, then retries and rejects in two steps', async () => {
    const dir = tempDir('ap-mcp-stuck-');
    const db = initDb(path.join(dir, 'pipeline.db'));
    writeLibrary(path.join(dir, 'lib'), 4, { seed: 3 });
    expect(runCli(['batch-queue', path.join(dir, 'lib'), '--db', db]).code).toBe(0);
    const worker = spawnCli(['worker', '--db', db, '--lease', '3', '--concurrency', '1'], { env: { AGENTIC_PIPELINE_TEST_STAGE_DELAY_MS: 'processing=120000' } });
    const held = await waitFor(
      () => withDb(db, (d) => d.prepare(`SELECT id FROM pipelines WHERE state = 'processing' AND lease_owner IS NOT NULL`).get() as { id: string } | undefined),
      'the worker to hold a book in processing',
    );
    worker.kill('SIGKILL');
    expect((await exitOf(worker)).signal).toBe('SIGKILL');

    const s = await startMcp(db, [], 'recovery-test', HOUR_AHEAD);
    try {
      const stuck = await call(s, 'get_stuck_pipelines', {});
      const { next_cursor: _next, ...stuckDoc } = stuck.doc;
      // Taken a moment apart: the seconds stuck may have ticked on.
      const still = (d: Record<string, unknown>) => ({ ...d, stuck: (d.stuck as Record<string, unknown>[]).map((b) => ({ ...b, stuck_seconds: 0 })) });
      expect(still(stuckDoc)).toEqual(still(runCliJson<Record<string, unknown>>(['stuck', '--limit', '20', '--db', db], { env: HOUR_AHEAD }).doc));
      expect((stuck.doc.stuck as { id: string; reason: string }[]).map((b) => [b.id, b.reason])).toEqual([[held.id, 'lease_expired']]);

      const bad = await call(s, 'recover_stuck_pipeline', { pipeline_id: held.id, action: 'explode' });
      expect(bad.isError).toBe(true);
      expect(bad.text).toMatch(/action 'explode' is not a recovery/);

      const r = await call(s, 'recover_stuck_pipeline', { pipeline_id: held.id.slice(0, 8), action: 'retry' });
      expect(r.isError, r.text).toBe(false);
      expect(r.doc).toMatchObject({ id: held.id, action: 'retry', from: 'processing', to: 'needs_retry' });
      const before = dump(db);
      const twice = await call(s, 'recover_stuck_pipeline', { pipeline_id: held.id, action: 'retry' });
      expect(twice.isError).toBe(true);
      expect(dump(db)).toBe(before);

      const retry = await call(s, 'batch_retry', {});
      expect(retry.doc.matched).toBe(1);
      const retried = await call(s, 'batch_retry', { execute: true, preview_token: retry.doc.preview_token });
      expect(retried.doc).toMatchObject({ affected: 1, affected_ids: [held.id] });

      const reject = await call(s, 'batch_reject', { state: 'detected', reason: 'wrong shelf' });
      expect(reject.isError, reject.text).toBe(false);
      expect(reject.doc.matched).toBe(3);
      // The reason is part of what the token is bound to.
      const otherReason = await call(s, 'batch_reject', { state: 'detected', reason: 'another reason', execute: true, preview_token: reject.doc.preview_token });
      expect(otherReason.text).toMatch(/foreign/);
      const rejected = await call(s, 'batch_reject', { state: 'detected', reason: 'wrong shelf', execute: true, preview_token: reject.doc.preview_token });
      expect(rejected.doc.affected).toBe(3);
      const states = withDb(db, (d) => d.prepare('SELECT state, COUNT(*) AS n FROM pipelines GROUP BY state ORDER BY state').all());
      expect(states).toEqual([{ state: 'needs_retry', n: 1 }, { state: 'rejected', n: 3 }]);
      const trail = runCliJson<{ entries: { action: string; actor: string }[] }>(['audit', '--actor', 'mcp:recovery-test', '--db', db], { env: HOUR_AHEAD }).doc.entries;
      expect(new Set(trail.map((e) => e.action))).toEqual(new Set(['STUCK_RECOVERED', 'BATCH_RETRIED', 'BATCH_REJECTED', 'REJECTED']));
    } finally {
      await s.close();
    }
  });
});
