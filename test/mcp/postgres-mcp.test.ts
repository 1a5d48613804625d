/**
 * The MCP server on PostgreSQL (#15): the real `agentic-pipeline mcp --db postgres://…` process
 * driven by the SDK's Client over stdio, on a throwaway cluster whose books went through a real
 * worker process. Read tools answer from the server database; write tools change it with their
 * audit rows as mcp:<client>; a batch executes exactly its preview; --read-only offers no write
 * tool and the server itself refuses writes on that connection.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { initDb, runCli, runCliJson } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { pgAvailable, pgCluster, pgUnavailableReason } from '../helpers/pg-cluster.js';
import { writeLibrary } from '../fixtures/books.js';
import { call, startMcp } from './support.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const reason = pgUnavailableReason();
if (reason) console.warn(`postgres-mcp: PostgreSQL tests skipped: ${reason}`);

interface Where {
  name: 'sqlite' | 'postgres';
  skip: boolean;
  fresh(): Promise<string>;
}

/**
 * PostgreSQL is what this file is about; the same tests on a SQLite file first show the
 * assertions hold on the reference engine (an answer that differs between them is a bug).
 */
const ENGINES: Where[] = [
  { name: 'sqlite', skip: false, fresh: async () => path.join(tempDir('ap-pgmcp-'), 'pipeline.db') },
  { name: 'postgres', skip: !pgAvailable(), fresh: () => pgCluster().createDatabase() },
];

/** A database with `n` books the real worker took to pending_approval. */
async function serverLibrary(where: Where, n: number): Promise<string> {
  const url = initDb(await where.fresh());
  const dir = tempDir('ap-pgmcp-');
  writeLibrary(path.join(dir, 'lib'), n, { seed: 23 });
  const q = runCli(['batch-queue', path.join(dir, 'lib'), '--db', url]);
  if (q.code !== 0) throw new Error(q.stderr);
  const w = runCli(['worker', '--drain', '--concurrency', '2', '--db', url]);
  if (w.code !== 0) throw new Error(w.stderr);
  return url;
}

describe.each(ENGINES)('the MCP server on $name', (where) => {
  it.skipIf(where.skip)('reads health, lists and one book; approves, re-prioritises and batch-approves with audit rows as mcp:<client>', async () => {
    const url = await serverLibrary(where, 5);
    const s = await startMcp(url, [], 'pg-client');
    try {
      const health = await call(s, 'get_pipeline_health');
      expect(health.isError, health.text).toBe(false);
      expect(health.doc.status).toBeDefined();
      expect(health.doc.pending_approval).toBe(5);

      const list = await call(s, 'list_pipelines', { state: 'pending_approval', limit: 2 });
      expect(list.isError, list.text).toBe(false);
      expect(list.doc).toMatchObject({ state: 'pending_approval', total: 5, count: 2 });
      // Keyset paging over the server's rows: the next page continues, never repeats.
      const next = await call(s, 'list_pipelines', { state: 'pending_approval', limit: 10, cursor: list.doc.next_cursor });
      const ids = [...(list.doc.pipelines as Doc[]), ...(next.doc.pipelines as Doc[])].map((p) => p.id as string);
      expect(new Set(ids).size).toBe(5);

      const [first, second] = ids as [string, string];
      const one = await call(s, 'get_pipeline', { pipeline_id: first.slice(0, 10) });
      expect(one.isError, one.text).toBe(false);
      expect(one.doc).toMatchObject({ id: first, state: 'pending_approval' });
      expect((one.doc.history as Doc[]).map((h) => h.to)).toContain('hashing');

      const approved = await call(s, 'approve_pipeline', { pipeline_id: first });
      expect(approved.isError, approved.text).toBe(false);
      expect(approved.doc.pipeline).toMatchObject({ id: first, state: 'approved' });
      const prio = await call(s, 'set_pipeline_priority', { pipeline_id: second, priority: 1 });
      expect(prio.isError, prio.text).toBe(false);
      expect(prio.doc).toMatchObject({ id: second, after: 1, changed: true });
      // Approving again is refused as a tool error, and changes nothing.
      const twice = await call(s, 'approve_pipeline', { pipeline_id: first });
      expect(twice.isError).toBe(true);

      // A batch: the dry run's token executes exactly what it previewed.
      const dry = await call(s, 'batch_approve', { state: 'pending_approval', execute: false });
      expect(dry.isError, dry.text).toBe(false);
      expect(dry.doc).toMatchObject({ dry_run: true, matched: 4 });
      const done = await call(s, 'batch_approve', { state: 'pending_approval', execute: true, preview_token: dry.doc.preview_token });
      expect(done.isError, done.text).toBe(false);
      expect(done.doc).toMatchObject({ dry_run: false, affected: 4 });

      const log = await call(s, 'get_audit_log', { limit: 50 });
      expect(log.isError, log.text).toBe(false);
      const mine = (log.doc.entries as Doc[]).filter((e) => e.actor === 'mcp:pg-client').map((e) => e.action);
      for (const a of ['APPROVED', 'PRIORITY_CHANGED', 'BATCH_APPROVED']) expect(mine).toContain(a);
      const verified = await call(s, 'verify_audit');
      expect(verified.isError, verified.text).toBe(false);
      expect(verified.doc.intact).toBe(true);
    } finally {
      await s.close();
    }
    // Another process (the CLI) sees the server's changes.
    const after = runCliJson<Doc>(['list', '--state', 'approved', '--db', url]);
    expect(after.doc.total).toBe(5);
  }, 240_000);

  it.skipIf(where.skip)('--read-only offers only read tools and answers them from the server', async () => {
    const url = await serverLibrary(where, 2);
    const s = await startMcp(url, ['--read-only'], 'pg-reader');
    try {
      const tools = (await s.client.listTools()).tools.map((t) => t.name);
      expect(tools).toContain('get_pipeline_health');
      expect(tools).not.toContain('approve_pipeline');
      expect(tools).not.toContain('batch_approve');
      const queue = await call(s, 'get_queue');
      expect(queue.isError, queue.text).toBe(false);
      expect(queue.doc.total).toBe(0);
      const list = await call(s, 'list_pipelines', {});
      expect(list.doc.total).toBe(2);
    } finally {
      await s.close();
    }
  }, 240_000);
});
