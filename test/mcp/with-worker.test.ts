/**
 * The server and a worker on the same file at the same time: the worker claims and commits
 * stages while the assistant reads health, pages the queue and runs a two-step batch. No call
 * may surface SQLITE_BUSY (both wait on the busy timeout), and the worker finishes cleanly.
 */
import path from 'node:path';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { initDb, runCli, spawnCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { writeLibrary } from '../fixtures/books.js';
import { call, startMcp, type ToolAnswer } from './support.js';

describe('mcp beside a running worker', () => {
  it('answers every call without SQLITE_BUSY while the worker drains the queue', async () => {
    const dir = tempDir('ap-mcp-worker-');
    const db = initDb(path.join(dir, 'pipeline.db'));
    writeLibrary(path.join(dir, 'lib'), 8);
    expect(runCli(['batch-queue', path.join(dir, 'lib'), '--db', db]).code).toBe(0);
    const s = await startMcp(db);
    const worker = spawnCli(['worker', '--drain', '--concurrency', '2', '--db', db], {
      env: { AGENTIC_PIPELINE_TEST_STAGE_DELAY_MS: 'processing=150' },
    });
    let workerErr = '';
    worker.stderr!.on('data', (d: Buffer) => (workerErr += d.toString()));
    let running = true;
    const exited = once(worker, 'exit').then(([code]) => {
      running = false;
      return code as number;
    });
    const answers: ToolAnswer[] = [];
    let callsWhileRunning = 0;
    try {
      // Until the worker has drained (an event, not a timer), keep the server busy with reads and writes.
      while (running) {
        answers.push(await call(s, 'get_pipeline_health'));
        const queue = await call(s, 'get_queue', { limit: 5 });
        answers.push(queue);
        const preview = await call(s, 'batch_set_priority', { priority: 3, max_count: 100 });
        answers.push(preview);
        if (preview.doc.preview_token) {
          answers.push(await call(s, 'batch_set_priority', { priority: 3, max_count: 100, execute: true, preview_token: preview.doc.preview_token }));
        }
        answers.push(await call(s, 'list_pipelines', { limit: 20 }));
        if (running) callsWhileRunning++;
      }
      expect(await exited).toBe(0);
    } finally {
      await s.close();
    }
    expect(callsWhileRunning).toBeGreaterThan(0);
    expect(answers.filter((a) => a.isError).map((a) => a.text)).toEqual([]);
    expect(`${workerErr}\n${s.stderr()}`).not.toMatch(/SQLITE_BUSY|database is locked/);
    const end = await startMcp(db);
    try {
      const health = await call(end, 'get_pipeline_health');
      expect(health.doc.pending_approval).toBe(8);
    } finally {
      await end.close();
    }
  });
});
