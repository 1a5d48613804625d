import { describe, expect, it } from 'vitest';
import { addBook, auditCount, DAY, setup } from './helpers.js';
import { BOOK_TYPES, type PipelineState } from '../../src/domain/states.js';
import { effectiveStates, matchesFilter } from '../../src/ops/batch-filter.js';
import type { BatchFilter, BatchOperation } from '../../src/ops/types.js';
import { createRng } from '../../src/demo/genres.js';

/** SQLite GLOB semantics in JS (* ? [..]), independent of the SQL under test. */
function glob(text: string, pattern: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      let body = pattern.slice(i + 1, end);
      if (body.startsWith('^')) body = '^' + body.slice(1);
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(re + '$').test(text);
}


describe('batch filter exactness over 10,000 books', () => {
  const { s, clock } = setup();
  const r = createRng(42);
  const states: PipelineState[] = ['pending_approval', 'pending_approval', 'detected', 'needs_retry', 'failed', 'approved', 'rejected', 'complete'];
  const dirs = ['tech', 'fiction', 'ref', 'misc'];
  const now = clock();
  const insert = s.db.transaction(() => {
    for (let i = 0; i < 10_000; i++) {
      const created = now - Math.floor(r() * 30 * DAY);
      addBook(s, {
        state: states[Math.floor(r() * states.length)]!,
        priority: 1 + Math.floor(r() * 10),
        created_at: created,
        state_entered_at: created,
        book_type: r() < 0.05 ? null : BOOK_TYPES[Math.floor(r() * BOOK_TYPES.length)]!,
        // exact boundary values appear often
        confidence: r() < 0.05 ? null : r() < 0.2 ? [0, 0.5, 0.8, 1][Math.floor(r() * 4)]! : Math.round(r() * 1000) / 1000,
        source_path: `/library/${dirs[Math.floor(r() * dirs.length)]}/${i % 7 === 0 ? 'Vol ' : ''}book-${i}.${r() < 0.5 ? 'epub' : 'pdf'}`,
      });
    }
  });
  insert();
  const all = s.db.prepare('SELECT id, state, book_type, confidence, created_at, source_path, priority FROM pipelines').all() as Parameters<typeof matchesFilter>[0][];
  const someIds = all.slice(0, 40).map((b, i) => (i % 2 ? b.id.slice(0, 3) : b.id));

  const filters: [BatchFilter, BatchOperation][] = [];
  const ops: BatchOperation[] = [{ kind: 'approve' }, { kind: 'reject', reason: 'x' }, { kind: 'retry' }, { kind: 'priority', priority: 3 }];
  for (let k = 0; k < 60; k++) {
    const f: BatchFilter = { max_count: 1_000_000 };
    if (r() < 0.5) f.book_types = BOOK_TYPES.filter(() => r() < 0.3);
    if (f.book_types?.length === 0) delete f.book_types;
    if (r() < 0.5) f.min_confidence = [0, 0.5, 0.8, Math.round(r() * 100) / 100][Math.floor(r() * 4)]!;
    if (r() < 0.5) f.max_confidence = Math.max(f.min_confidence ?? 0, [0.5, 0.8, 1, Math.round(r() * 100) / 100][Math.floor(r() * 4)]!);
    if (r() < 0.4) f.created_before = now - Math.floor(r() * 30 * DAY);
    if (r() < 0.4) f.created_after = now - Math.floor(r() * 30 * DAY);
    if (r() < 0.4) f.path_glob = ['/library/tech/*', '*.pdf', '/library/*/Vol *', '/library/[ft]*/book-1?.epub', '*book-2*'][Math.floor(r() * 5)]!;
    if (r() < 0.3) f.priorities = [1 + Math.floor(r() * 10), 1 + Math.floor(r() * 10)];
    if (r() < 0.15) f.ids = someIds.filter(() => r() < 0.5).concat(someIds[1]!);
    const op = ops[k % ops.length]!;
    if (r() < 0.3) f.states = ['pending_approval', 'approved', 'detected', 'needs_retry', 'failed', 'rejected'].filter((x) => r() < 0.5 || x === 'pending_approval' || x === 'failed' || x === 'detected') as PipelineState[];
    filters.push([f, op]);
  }

  it.each(filters.map((f, i) => [i, f] as const))('filter %i matches exactly what a JS filter over all rows selects', async (_i, [filter, op]) => {
    let expectedStates: PipelineState[];
    try {
      expectedStates = effectiveStates(filter, op.kind);
    } catch {
      await expect(s.ops.batch.preview(filter, op)).rejects.toThrow(/acts only on/);
      return;
    }
    const normal = { ...filter, ids: filter.ids?.map((x) => x.toLowerCase()) };
    const expected = all.filter((row) => matchesFilter(row, normal, expectedStates, glob)).map((b) => b.id).sort();
    const preview = await s.ops.batch.preview(filter, op);
    expect(preview.matched).toBe(expected.length);
    expect(preview.books.map((b) => b.id).sort()).toEqual(expected);
  });

  it('the JS glob agrees with SQLite on the patterns used', () => {
    const q = s.db.prepare('SELECT ? GLOB ? AS m');
    for (const p of ['/library/tech/*', '*.pdf', '/library/*/Vol *', '/library/[ft]*/book-1?.epub', '*book-2*']) {
      for (const row of all.slice(0, 500)) expect(glob(row.source_path, p)).toBe((q.get(row.source_path, p) as { m: number }).m === 1);
    }
  });

  it('more matches than max_count: exceeds_max, first rows only, and apply refuses', async () => {
    const preview = await s.ops.batch.preview({ max_count: 50 }, { kind: 'approve' });
    const pending = all.filter((b) => b.state === 'pending_approval').length;
    expect(preview.matched).toBe(pending);
    expect(preview.exceeds_max).toBe(true);
    expect(preview.books.length).toBeLessThanOrEqual(50);
    const before = auditCount(s);
    await expect(s.ops.batch.apply(preview, 'human:alice')).rejects.toThrow(new RegExp(`${pending} books match, more than the maximum of 50`));
    expect(auditCount(s)).toBe(before);
  });

  it('default max count is 50: exactly 50 is allowed, 51 is not', async () => {
    const pend = all.filter((b) => b.state === 'pending_approval').sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1));
    const at50 = await s.ops.batch.preview({ created_before: pend[50]!.created_at }, { kind: 'approve' });
    expect(at50.matched).toBe(50);
    expect(at50.exceeds_max).toBe(false);
    const at51 = await s.ops.batch.preview({ created_before: pend[51]!.created_at }, { kind: 'approve' });
    expect(at51.exceeds_max).toBe(true);
  });

  it('rejects bad filters with one clear message', async () => {
    await expect(s.ops.batch.preview({ min_confidence: 1.5 }, { kind: 'approve' })).rejects.toThrow('min confidence must be between 0 and 1');
    await expect(s.ops.batch.preview({ max_confidence: -0.1 }, { kind: 'approve' })).rejects.toThrow(/between 0 and 1/);
    await expect(s.ops.batch.preview({ min_confidence: 0.9, max_confidence: 0.1 }, { kind: 'approve' })).rejects.toThrow(/above max/);
    await expect(s.ops.batch.preview({ book_types: ['novel'] }, { kind: 'approve' })).rejects.toThrow(/unknown book type 'novel'/);
    await expect(s.ops.batch.preview({ ids: ['xyz'] }, { kind: 'approve' })).rejects.toThrow(/hexadecimal/);
    await expect(s.ops.batch.preview({}, { kind: 'reject', reason: ' ' })).rejects.toThrow(/reason/);
    await expect(s.ops.batch.preview({ states: ['complete'] }, { kind: 'approve' })).rejects.toThrow(/acts only on pending_approval/);
  });
});

describe('batch apply', () => {
  it('approves exactly the previewed books, with one audit row each and a batch row holding filter and ids', async () => {
    const { s } = setup();
    const a = addBook(s, { state: 'pending_approval', book_type: 'fiction', confidence: 0.95 });
    const b = addBook(s, { state: 'pending_approval', book_type: 'fiction', confidence: 0.9 });
    addBook(s, { state: 'pending_approval', book_type: 'fiction', confidence: 0.5 });
    addBook(s, { state: 'pending_approval', book_type: 'textbook', confidence: 0.99 });
    const filter = { book_types: ['fiction'], min_confidence: 0.9 };
    const preview = await s.ops.batch.preview(filter, { kind: 'approve' });
    expect(preview.books.map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
    const r = await s.ops.batch.apply(preview, 'human:alice');
    expect(r.affected).toBe(2);
    expect(r.skipped).toEqual([]);
    for (const id of [a.id, b.id]) expect(s.pipelines.require(id)).toMatchObject({ state: 'approved', approved_by: 'human:alice' });
    const batchRow = s.audit.get(r.audit_id!)!;
    expect(batchRow).toMatchObject({ action: 'BATCH_APPROVED', actor: 'human:alice', pipeline_id: null, count: 2 });
    expect(JSON.parse(batchRow.filter_json!)).toMatchObject(filter);
    expect(JSON.parse(batchRow.ids_json!).sort()).toEqual([a.id, b.id].sort());
    const members = s.audit.batchMembers(r.audit_id!);
    expect(members.map((m) => [m.action, m.pipeline_id]).sort()).toEqual([['APPROVED', a.id], ['APPROVED', b.id]].sort());
    expect(s.audit.verify().modified).toEqual([]);
    s.close();
  });

  it('skips and reports a book changed since the preview, never forcing it', async () => {
    const { s } = setup({ batch: { chunk_size: 2 } });
    const books = Array.from({ length: 5 }, () => addBook(s, { state: 'pending_approval' }));
    const preview = await s.ops.batch.preview({}, { kind: 'approve' });
    // One is rejected by someone else, one is re-prioritised (still pending, but its version moved).
    await s.actions.reject(books[1]!.id, 'human:bob', 'dup');
    await s.actions.setPriority(books[3]!.id, 2, 'human:bob');
    const r = await s.ops.batch.apply(preview, 'human:alice');
    expect(r.affected).toBe(3);
    expect(r.skipped.map((x) => x.id).sort()).toEqual([books[1]!.id, books[3]!.id].sort());
    expect(r.skipped.find((x) => x.id === books[1]!.id)?.why).toMatch(/changed since the preview \(now rejected\)/);
    expect(s.pipelines.require(books[1]!.id).state).toBe('rejected');
    expect(s.pipelines.require(books[3]!.id).state).toBe('pending_approval');
    // The header names the first chunk's books; later chunks close with their own rows.
    const skipped = new Set([books[1]!.id, books[3]!.id]);
    const firstChunk = preview.books.slice(0, 2).map((b) => b.id).filter((id) => !skipped.has(id));
    expect(JSON.parse(s.audit.get(r.audit_id!)!.ids_json!)).toEqual(firstChunk);
    expect(s.audit.batchApplied(r.audit_id!)).toBe(3);
    expect(s.audit.batchMembers(r.audit_id!)).toHaveLength(3);
    s.close();
  });

  it('skips a book that changes between chunks', async () => {
    const { s } = setup({ batch: { chunk_size: 1 } });
    const books = Array.from({ length: 3 }, (_, i) => addBook(s, { state: 'pending_approval', created_at: s.clock() - (10 - i) * 1000 }));
    const preview = await s.ops.batch.preview({}, { kind: 'approve' });
    // Simulate a concurrent writer between the first and second chunk by wrapping the audit
    // appends (call 1: the batch row; call 2: the first chunk's per-book rows).
    const appendMany = s.audit.appendMany.bind(s.audit);
    let calls = 0;
    s.audit.appendMany = (e) => {
      const ids = appendMany(e);
      if (++calls === 2) s.db.prepare('UPDATE pipelines SET version = version + 1 WHERE id = ?').run(books[2]!.id);
      return ids;
    };
    const r = await s.ops.batch.apply(preview, 'human:alice');
    expect(r.affected).toBe(2);
    expect(r.skipped).toEqual([{ id: books[2]!.id, why: 'changed since the preview (now pending_approval)' }]);
    s.close();
  });

  it('reject, retry and priority', async () => {
    const { s } = setup();
    const p = addBook(s, { state: 'pending_approval' });
    const rj = await s.ops.batch.apply(await s.ops.batch.preview({ ids: [p.id.slice(0, 6)] }, { kind: 'reject', reason: 'low quality' }), 'human:alice');
    expect(rj.affected).toBe(1);
    expect(s.pipelines.require(p.id).state).toBe('rejected');
    expect(s.audit.batchMembers(rj.audit_id!)[0]).toMatchObject({ action: 'REJECTED', reason: 'low quality' });

    const failed = addBook(s, { state: 'failed', attempts: 5 });
    const waiting = addBook(s, { state: 'needs_retry', attempts: 2 });
    s.db.prepare('UPDATE pipelines SET next_attempt_at = ? WHERE id = ?').run(s.clock() + DAY, waiting.id);
    const rt = await s.ops.batch.apply(await s.ops.batch.preview({}, { kind: 'retry' }), 'human:alice');
    expect(rt.affected).toBe(2);
    expect(s.pipelines.require(failed.id)).toMatchObject({ state: 'needs_retry', attempts: 0 });
    expect(s.pipelines.require(waiting.id)).toMatchObject({ state: 'needs_retry', attempts: 0, next_attempt_at: null });
    // rejected → detected only when asked for explicitly
    const rr = await s.ops.batch.apply(await s.ops.batch.preview({ states: ['rejected'] }, { kind: 'retry' }), 'human:alice');
    expect(rr.affected).toBe(1);
    expect(s.pipelines.require(p.id).state).toBe('detected');

    const q = addBook(s, { state: 'detected', priority: 7 });
    const pr = await s.ops.batch.apply(await s.ops.batch.preview({ priorities: [7] }, { kind: 'priority', priority: 2 }), 'human:alice');
    expect(pr.affected).toBe(1);
    expect(s.pipelines.require(q.id)).toMatchObject({ priority: 2, base_priority: 2 });
    expect(s.audit.batchMembers(pr.audit_id!)[0]).toMatchObject({ action: 'BATCH_PRIORITY_CHANGED', before_value: '7', after_value: '2' });
    s.close();
  });

  it('retry skips a failed book whose content is live again in another pipeline', async () => {
    const { s } = setup();
    const old = addBook(s, { state: 'failed', content_hash: 'same' });
    addBook(s, { state: 'detected', content_hash: 'same' });
    const r = await s.ops.batch.apply(await s.ops.batch.preview({ states: ['failed'] }, { kind: 'retry' }), 'human:alice');
    expect(r.affected).toBe(0);
    expect(r.skipped[0]).toMatchObject({ id: old.id });
    expect(r.skipped[0]!.why).toMatch(/already holds the same content/);
    s.close();
  });
});
