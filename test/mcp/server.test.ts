/**
 * End to end: the real `agentic-pipeline mcp` process driven by the SDK's Client over stdio, on a
 * database whose books went through the real worker.
 */
import path from 'node:path';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliJson } from '../helpers/cli.js';
import { buildLibrary, call, dump, startMcp, type Library, type McpSession } from './support.js';

let lib: Library;
let s: McpSession;

beforeAll(async () => {
  lib = buildLibrary();
  s = await startMcp(lib.db);
}, 120_000);

afterAll(async () => {
  await s?.close();
});

const ids = (db: string): { id: string; state: string; book_type: string | null; version: number }[] =>
  (runCliJson<{ pipelines: { id: string; state: string; book_type: string | null; version: number }[] }>(['list', '--limit', '100', '--db', db]).doc).pipelines;

describe('tools/list', () => {
  it('offers the issue\'s tools with their schemas and honest annotations (snapshotted)', async () => {
    const { tools } = await s.client.listTools();
    expect(tools.length).toBeLessThan(25);
    const shape = tools.map((t) => ({ name: t.name, annotations: t.annotations, inputSchema: t.inputSchema, outputSchema: t.outputSchema }));
    expect(shape).toMatchSnapshot();
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const name of ['get_pipeline_health', 'get_stuck_pipelines', 'get_audit_log', 'get_pipeline', 'list_pipelines', 'get_queue', 'verify_audit']) {
      expect(byName.get(name)?.annotations?.readOnlyHint, name).toBe(true);
    }
    const destructive = tools.filter((t) => t.annotations?.destructiveHint).map((t) => t.name).sort();
    expect(destructive).toEqual(['batch_reject', 'recover_stuck_pipeline', 'reject_pipeline']);
    for (const t of tools) expect(t.outputSchema, t.name).toBeDefined();
    expect(Object.keys(byName.get('batch_approve')!.inputSchema.properties ?? {}).sort()).toEqual(
      ['book_type', 'created_after', 'created_before', 'execute', 'max_confidence', 'max_count', 'min_confidence', 'preview_token', 'source_path_pattern', 'state'],
    );
  });
});

describe('read tools answer with the CLI\'s JSON', () => {
  it('get_pipeline_health is the health --json document', async () => {
    const a = await call(s, 'get_pipeline_health');
    const cli = runCliJson<Record<string, unknown>>(['health', '--db', lib.db]).doc;
    expect(a.isError).toBe(false);
    // The two reports are taken moments apart: what moves with the clock or the disk is set aside.
    const stable = (d: Record<string, unknown>) => ({
      ...d,
      generated_at: 0,
      oldest_queued_seconds: 0,
      workers: [],
      disk_free_bytes: 0,
      alerts: (d.alerts as { message: string }[]).map((x) => ({ ...x, message: x.message.replace(/\d+/g, '#') })),
    });
    expect(stable(a.doc)).toEqual(stable(cli));
    expect(a.doc.pending_approval).toBe(lib.pending);
  });

  it('get_stuck_pipelines is the stuck --json document', async () => {
    const a = await call(s, 'get_stuck_pipelines', { limit: 5 });
    const { next_cursor: next, ...doc } = a.doc;
    expect(doc).toEqual(runCliJson(['stuck', '--limit', '5', '--db', lib.db]).doc);
    expect(next).toBeNull();
  });

  it('get_pipeline shows one book by prefix with its history and audit', async () => {
    const book = ids(lib.db).find((p) => p.state === 'pending_approval')!;
    const a = await call(s, 'get_pipeline', { pipeline_id: book.id.slice(0, 10) });
    expect(a.doc.id).toBe(book.id);
    const { history: _h, ...status } = runCliJson<Record<string, unknown>>(['status', book.id, '--db', lib.db]).doc;
    expect(a.doc).toMatchObject(status);
    expect((a.doc.history as { to: string }[]).map((h) => h.to)).toContain('pending_approval');
    expect((a.doc.audit as { action: string }[]).map((e) => e.action)).toContain('QUEUED');
  });

  it('list_pipelines pages with a cursor through every book exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pageNo = 0; pageNo < 20; pageNo++) {
      const a = await call(s, 'list_pipelines', { limit: 5, ...(cursor ? { cursor } : {}) });
      seen.push(...(a.doc.pipelines as { id: string }[]).map((p) => p.id));
      cursor = (a.doc.next_cursor as string | null) ?? undefined;
      if (!cursor) break;
    }
    expect(seen).toEqual(ids(lib.db).map((p) => p.id));
    const pending = await call(s, 'list_pipelines', { state: 'pending_approval', limit: 500 });
    expect(pending.doc.total).toBe(lib.pending);
    expect(pending.doc.next_cursor).toBeNull();
  });

  it('get_queue lists the next books in claim order, paged', async () => {
    const first = await call(s, 'get_queue', { limit: 3 });
    const cli = runCliJson<{ total: number; next: { id: string }[] }>(['queue', '--limit', '8', '--db', lib.db]).doc;
    expect(first.doc.total).toBe(cli.total);
    const second = await call(s, 'get_queue', { limit: 5, cursor: first.doc.next_cursor });
    const both = [...(first.doc.next as { id: string; position: number }[]), ...(second.doc.next as { id: string; position: number }[])];
    expect(both.map((b) => b.id)).toEqual(cli.next.map((b) => b.id));
    expect(both.map((b) => b.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('get_audit_log filters and pages newest first; verify_audit reports the chain intact', async () => {
    const queued = await call(s, 'get_audit_log', { action: 'QUEUED', limit: 7 });
    expect(queued.doc.count).toBe(7);
    const rest = await call(s, 'get_audit_log', { action: 'QUEUED', limit: 100, cursor: queued.doc.next_cursor });
    const all = [...(queued.doc.entries as { id: number }[]), ...(rest.doc.entries as { id: number }[])].map((e) => e.id);
    const cli = runCliJson<{ entries: { id: number }[] }>(['audit', '--action', 'QUEUED', '--last', '1000', '--db', lib.db]).doc;
    expect(all).toEqual(cli.entries.map((e) => e.id));
    const v = await call(s, 'verify_audit');
    expect(v.doc.intact).toBe(true);
  });
});

describe('bad input: isError with one sentence naming the field, nothing changed', () => {
  it.each([
    ['unknown id', 'approve_pipeline', { pipeline_id: 'ffffffffffffffffffffffffffffffff' }, /no pipeline matches id/],
    ['priority 0', 'set_pipeline_priority', { pipeline_id: 'PENDING', priority: 0 }, /priority must be a whole number from 1/],
    ['priority 11', 'set_pipeline_priority', { pipeline_id: 'PENDING', priority: 11 }, /priority must be a whole number from 1/],
    ['confidence 1.5', 'batch_approve', { min_confidence: 1.5 }, /min_confidence must be between 0 and 1/],
    ['unknown book type', 'batch_approve', { book_type: 'cookbook-ish' }, /book_type 'cookbook-ish' is not a known book type/],
    ['missing folder', 'batch_queue_folder', { path: '/nonexistent/folder/for/mcp' }, /folder not found/],
    ['illegal transition', 'approve_pipeline', { pipeline_id: 'DETECTED' }, /detected/],
    ['empty reason', 'reject_pipeline', { pipeline_id: 'PENDING', reason: '  ' }, /reason/],
    ['execute without token', 'batch_approve', { execute: true }, /execute: true needs preview_token/],
    ['garbage cursor', 'list_pipelines', { cursor: 'not-a-cursor' }, /cursor is not one this server gave/],
  ])('%s', async (_label, tool, rawArgs, message) => {
    const rows = ids(lib.db);
    const args = Object.fromEntries(
      Object.entries(rawArgs).map(([k, v]) => [k, v === 'PENDING' ? rows.find((p) => p.state === 'pending_approval')!.id : v === 'DETECTED' ? rows.find((p) => p.state === 'detected')!.id : v]),
    );
    const before = dump(lib.db);
    const a = await call(s, tool, args);
    expect(a.isError).toBe(true);
    expect(a.text).toMatch(message);
    expect(a.text.split('\n')).toHaveLength(1);
    expect(dump(lib.db)).toBe(before);
  });

  it('an ambiguous prefix names the prefix and changes nothing', async () => {
    const sorted = ids(lib.db).map((p) => p.id).sort();
    // 18 ids over 16 first characters: two share one.
    const shared = sorted.find((id, i) => i > 0 && sorted[i - 1]![0] === id[0])![0]!;
    const before = dump(lib.db);
    const a = await call(s, 'set_pipeline_priority', { pipeline_id: shared, priority: 2 });
    expect(a.isError).toBe(true);
    expect(a.text).toMatch(new RegExp(`id prefix '${shared}' is ambiguous`));
    expect(dump(lib.db)).toBe(before);
  });
});

describe('two-step batch approve, bound to the preview', () => {
  it('executes exactly the previewed set, skipping a book changed in between, audited as mcp:<client>', async () => {
    const preview = await call(s, 'batch_approve', { max_count: 50 });
    expect(preview.isError).toBe(false);
    expect(preview.doc.dry_run).toBe(true);
    expect(preview.doc.matched).toBe(lib.pending);
    const token = preview.doc.preview_token as string;
    expect(token).toMatch(/^pt_/);
    const previewed = (preview.doc.books as { id: string }[]).map((b) => b.id);

    // Another filter's token, and a token from another server process, are foreign.
    const other = await call(s, 'batch_approve', { max_count: 49, execute: true, preview_token: token });
    expect(other.isError).toBe(true);
    expect(other.text).toMatch(/preview_token is foreign/);
    const s2 = await startMcp(lib.db);
    try {
      const before = dump(lib.db);
      const foreign = await call(s2, 'batch_approve', { max_count: 50, execute: true, preview_token: token });
      expect(foreign.text).toMatch(/preview_token is foreign/);
      expect(dump(lib.db)).toBe(before);
    } finally {
      await s2.close();
    }

    // A person changes one book between preview and execute; one more book arrives matching the filter.
    const changed = previewed[0]!;
    expect(runCli(['priority', changed, '2', '--db', lib.db]).code).toBe(0);

    const done = await call(s, 'batch_approve', { max_count: 50, execute: true, preview_token: token });
    expect(done.isError, done.text).toBe(false);
    expect(done.doc.affected).toBe(lib.pending - 1);
    expect((done.doc.skipped as { id: string }[]).map((x) => x.id)).toEqual([changed]);
    expect((done.doc.affected_ids as string[]).sort()).toEqual(previewed.slice(1).sort());
    const states = new Map(ids(lib.db).map((p) => [p.id, p.state]));
    expect(states.get(changed)).toBe('pending_approval');
    for (const id of previewed.slice(1)) expect(states.get(id)).toBe('approved');
    const audit = runCliJson<{ entries: { actor: string; action: string }[] }>(['audit', '--action', 'APPROVED', '--db', lib.db]).doc;
    expect(audit.entries).toHaveLength(lib.pending - 1);
    expect(new Set(audit.entries.map((e) => e.actor))).toEqual(new Set(['mcp:test-client']));

    // The token is spent.
    const again = await call(s, 'batch_approve', { max_count: 50, execute: true, preview_token: token });
    expect(again.isError).toBe(true);
  });

  it('single-book tools write their audit rows as mcp:<client>', async () => {
    const rows = ids(lib.db);
    const pending = rows.find((p) => p.state === 'pending_approval')!;
    const r = await call(s, 'reject_pipeline', { pipeline_id: pending.id, reason: 'not a book we want' });
    expect(r.isError, r.text).toBe(false);
    expect(r.doc.before).toBe('pending_approval');
    const detected = rows.find((p) => p.state === 'detected')!;
    const p = await call(s, 'set_pipeline_priority', { pipeline_id: detected.id.slice(0, 12), priority: 1 });
    expect(p.doc).toMatchObject({ id: detected.id, after: 1, changed: true });
    const trail = runCliJson<{ entries: { actor: string; action: string }[] }>(['audit', '--actor', 'mcp:*', '--db', lib.db]).doc.entries;
    expect(trail.map((e) => e.action)).toEqual(expect.arrayContaining(['REJECTED', 'PRIORITY_CHANGED', 'BATCH_APPROVED']));
  });

  it('process_file and batch_queue_folder queue real files', async () => {
    const folder = path.join(lib.dir, 'lib');
    const again = await call(s, 'batch_queue_folder', { path: folder, priority: 4 });
    expect(again.isError, again.text).toBe(false);
    const file = fs.readdirSync(folder).map((f) => path.join(folder, f))[0]!;
    const one = await call(s, 'process_file', { path: file, priority: 3 });
    expect(one.isError, one.text).toBe(false);
    expect(one.doc.outcome).toBe('already_queued');
  });
});

describe('--read-only and --actor', () => {
  it('lists only read tools and refuses a mutation even when called', async () => {
    const ro = await startMcp(lib.db, ['--read-only']);
    try {
      const { tools } = await ro.client.listTools();
      expect(tools.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
      expect(tools.map((t) => t.name)).not.toContain('approve_pipeline');
      const book = ids(lib.db).find((p) => p.state === 'detected')!;
      const before = dump(lib.db);
      const a = await call(ro, 'set_pipeline_priority', { pipeline_id: book.id, priority: 9 });
      expect(a.isError).toBe(true);
      expect(dump(lib.db)).toBe(before);
      expect((await call(ro, 'get_pipeline_health')).isError).toBe(false);
    } finally {
      await ro.close();
    }
  });

  it('--actor mcp:NAME replaces the client name', async () => {
    const named = await startMcp(lib.db, ['--actor', 'mcp:ops-bot']);
    try {
      const book = ids(lib.db).find((p) => p.state === 'detected')!;
      const a = await call(named, 'set_pipeline_priority', { pipeline_id: book.id, priority: 8 });
      expect(a.isError, a.text).toBe(false);
      const last = runCliJson<{ entries: { actor: string }[] }>(['audit', '--last', '1', '--db', lib.db]).doc.entries[0]!;
      expect(last.actor).toBe('mcp:ops-bot');
    } finally {
      await named.close();
    }
  });
});

describe('every call is recorded', () => {
  it('each call, read or refused, leaves one JSON line on stderr with the tool, the actor and the outcome', async () => {
    const logged = await startMcp(lib.db, [], 'call-log-client');
    try {
      expect((await call(logged, 'get_pipeline_health')).isError).toBe(false);
      expect((await call(logged, 'get_pipeline', { pipeline_id: 'ffffffffffff' })).isError).toBe(true);
      const lines = logged
        .stderr()
        .split('\n')
        .filter((l) => l.includes('"mcp call"'))
        .map((l) => JSON.parse(l) as { tool: string; actor: string; outcome: string; error?: string });
      expect(lines.map((l) => [l.tool, l.actor, l.outcome])).toEqual([
        ['get_pipeline_health', 'mcp:call-log-client', 'ok'],
        ['get_pipeline', 'mcp:call-log-client', 'error'],
      ]);
      expect(lines[1]!.error).toBeTruthy();
    } finally {
      await logged.close();
    }
  });
});
