/**
 * The Audit tab's reads on a real file: a book prefix shared by thousands of books is read by
 * scanning the log (a window must not wait for thousands of trail walks), a rare one by its
 * books' trails — both give exactly the rows a plain filter would; filtered counts stop at their
 * cap and say so ("of 1,000+").
 */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DENSE_BOOK_PREFIX } from '../../src/db/audit.js';
import { AuditSource, DENSE_PREFIX_COUNT_CAP, FILTERED_COUNT_CAP, parseAuditFilter } from '../../store/sources.js';
import { loadAuditWindow } from '../../store/audit.js';
import { scrollIndicator } from '../../components/WindowedTable.js';
import { unicodeGlyphs } from '../../components/theme.js';
import { openTest } from '../db/helpers.js';

/** `n` books whose ids start with `prefix`, each with `perBook` audit rows (interleaved in time). */
function booksWithAudit(s: ReturnType<typeof openTest>, prefix: string, n: number, perBook: number): string[] {
  const ids: string[] = [];
  s.db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const id = (prefix + crypto.randomBytes(16).toString('hex')).slice(0, 32);
      ids.push(s.pipelines.insert({ id, source_path: `/b/${id}.txt`, actor: 'system:test' }).id);
    }
    for (let k = 0; k < perBook; k++) {
      for (const id of ids) s.audit.append({ action: k % 2 ? 'PRIORITY_CHANGED' : 'QUEUED', actor: 'human:ana', pipeline_id: id });
    }
  })();
  return ids;
}

function plainFilter(s: ReturnType<typeof openTest>, prefix: string, limit: number): number[] {
  return s.db
    .prepare(`SELECT id FROM audit WHERE substr(pipeline_id, 1, ?) = ? ORDER BY id DESC LIMIT ?`)
    .pluck()
    .all(prefix.length, prefix, limit) as number[];
}

describe('AuditSource book prefixes', () => {
  it('a prefix shared by thousands of books: the same newest rows as a plain filter, and a capped count', async () => {
    const s = openTest();
    booksWithAudit(s, 'a', DENSE_BOOK_PREFIX + 50, 1);
    const rare = booksWithAudit(s, 'b7', 3, 2);
    booksWithAudit(s, 'a', 20, 1); // newer rows of the dense prefix, after the rare ones
    const source = new AuditSource(s);

    const dense = parseAuditFilter('book:a');
    expect((await source.olderFrom(undefined, 40, dense)).map((r) => r.id)).toEqual(plainFilter(s, 'a', 40));
    const below = plainFilter(s, 'a', 100)[60]!;
    expect((await source.olderFrom(below, 25, dense)).map((r) => r.id)).toEqual(
      (s.db.prepare(`SELECT id FROM audit WHERE pipeline_id LIKE 'a%' AND id <= ? ORDER BY id DESC LIMIT 25`).pluck().all(below) as number[]),
    );
    expect(await source.count(dense)).toEqual({ count: DENSE_PREFIX_COUNT_CAP, capped: true });

    const sparse = parseAuditFilter('book:b7');
    expect((await source.olderFrom(undefined, 40, sparse)).map((r) => r.id)).toEqual(plainFilter(s, 'b7', 40));
    expect(await source.count(sparse)).toEqual({ count: 6, capped: false });
    expect((await source.olderFrom(undefined, 40, parseAuditFilter(`book:${rare[0]!}`))).map((r) => r.pipeline_id)).toEqual([rare[0], rare[0]]);
    s.close();
  });

  it('the window says when its count stopped at the cap, and an unfiltered count stays exact', async () => {
    const s = openTest();
    booksWithAudit(s, 'c', 40, FILTERED_COUNT_CAP / 20 + 1); // 20,040 rows, half of them QUEUED
    const source = new AuditSource(s);
    const start = { rows: [], selectedId: null, follow: true } as const;
    const all = await loadAuditWindow(source, { ...start, filter: {} }, { kind: 'top' }, 30);
    expect(all).toMatchObject({ total: 20_040, totalCapped: false, windowStart: 0 });
    const queued = await loadAuditWindow(source, { ...start, filter: parseAuditFilter('action:queued') }, { kind: 'top' }, 30);
    expect(queued).toMatchObject({ total: FILTERED_COUNT_CAP, totalCapped: true, windowStart: 0 });
    expect(queued.rows.every((r) => r.action === 'QUEUED')).toBe(true);
    const oldest = await loadAuditWindow(source, { ...start, filter: parseAuditFilter('action:queued') }, { kind: 'bottom' }, 30);
    expect(oldest).toMatchObject({ totalCapped: true, windowStart: FILTERED_COUNT_CAP });
    expect(scrollIndicator(queued.windowStart, 30, queued.total, unicodeGlyphs, true)).toBe(' ↓ 1–30 of 10,000+');
    expect(scrollIndicator(oldest.windowStart, 30, oldest.total, unicodeGlyphs, true)).toBe('↑↓ beyond 10,000');
    s.close();
  });
});
