/**
 * The console's keyset windows (WindowOps) on every engine: the Queue in claim order, the Failed
 * list newest first and the Audit log newest first, with the filters as the console sends them.
 * What a person sees — which rows, in which order (ties included), the positions and the capped
 * counts — must not depend on the engine behind the console.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src/db/engine.js';
import type { PipelineRow } from '../../../src/db/pipeline-row.js';
import type { AuditEntryInput } from '../../../src/db/audit.js';
import type { PipelineState } from '../../../src/domain/states.js';
import {
  compareFailed,
  DENSE_PREFIX_COUNT_CAP,
  FILTERED_COUNT_CAP,
  type BookTerm,
  type FailedFilter,
  type FailedKey,
  type QueueKey,
} from '../../../src/db/ops/windows.js';
import { ENGINES, type Opened } from './engines.js';
import { openEngine } from '../../../src/db/open.js';
import { pgAvailable, pgCluster } from '../../helpers/pg-cluster.js';
import { claimOrder } from '../helpers.js';

const hexId = (prefix: string, n: number) => prefix + n.toString(16).padStart(32 - prefix.length, '0');
const qkey = (r: PipelineRow): QueueKey => ({ priority: r.priority, created_at: r.created_at, id: r.id });
const fkey = (r: PipelineRow): FailedKey => ({ state_entered_at: r.state_entered_at, id: r.id });
const ids = (rows: readonly { id: string }[]) => rows.map((r) => r.id);
const text = (value: string): BookTerm => ({ kind: 'text', value });

describe.each(ENGINES)('$name engine: windows', (under) => {
  if (under.skipReason) {
    it.skip(under.skipReason, () => undefined);
    return;
  }
  let o: Opened;
  let e: Engine;
  beforeEach(async () => {
    o = await under.open();
    e = o.engine;
  });
  afterEach(async () => {
    await o.close();
  });

  const seed = (id: string, state: PipelineState = 'detected', priority = 5, path = `/books/${id.slice(-4)}.epub`) =>
    e.pipelines.insert({ id, source_path: path, state, priority, actor: 'system:test' });
  /** Columns a worker would have written (title, type, error), set under the interface. */
  const patch = (id: string, set: Record<string, string>) =>
    o.exec(`UPDATE pipelines SET ${Object.entries(set).map(([k, v]) => `${k} = '${v.replace(/'/g, "''")}'`).join(', ')} WHERE id = '${id}'`);
  /** `n` books in one statement, ids `prefix` + a hex counter, all in `state` at the clock's time. */
  const bulk = (n: number, prefix: string, state: PipelineState, path: string) => {
    const at = o.clock();
    return under.name === 'sqlite'
      ? o.exec(`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${n})
          INSERT INTO pipelines (id, source_path, state, created_at, updated_at, state_entered_at)
          SELECT '${prefix}' || printf('%0${32 - prefix.length}x', i), '${path}', '${state}', ${at}, ${at}, ${at} FROM s`)
      : o.exec(`INSERT INTO pipelines (id, source_path, state, created_at, updated_at, state_entered_at)
          SELECT '${prefix}' || lpad(to_hex(i), ${32 - prefix.length}, '0'), '${path}', '${state}', ${at}, ${at}, ${at}
          FROM generate_series(1, ${n}) AS i`);
  };

  describe('queue', () => {
    /** Nine queued books (three priorities, ties on created_at broken by id) and two that are not. */
    async function queue(): Promise<string[]> {
      const rows: PipelineRow[] = [];
      rows.push(await seed(hexId('b', 2), 'detected', 5));
      rows.push(await seed(hexId('b', 1), 'needs_retry', 5)); // same millisecond: id decides
      rows.push(await seed(hexId('a', 9), 'approved', 3));
      o.clock.advance(10);
      rows.push(await seed(hexId('c', 1), 'detected', 5));
      rows.push(await seed(hexId('a', 1), 'detected', 5));
      rows.push(await seed(hexId('d', 1), 'detected', 3));
      o.clock.advance(10);
      rows.push(await seed(hexId('e', 1), 'detected', 7));
      rows.push(await seed(hexId('e', 2), 'detected', 1));
      rows.push(await seed(hexId('f', 3), 'approved', 5));
      await seed(hexId('9', 1), 'hashing', 1);
      await seed(hexId('9', 2), 'complete', 1);
      return claimOrder(rows);
    }

    it('pages forwards and backwards through ties in claim order; From and Position agree', async () => {
      const order = await queue();
      const forward: PipelineRow[] = [];
      for (let page = await e.windows.queueAfter(undefined, 4, []); page.length > 0; page = await e.windows.queueAfter(qkey(page.at(-1)!), 4, [])) {
        forward.push(...page);
      }
      expect(ids(forward)).toEqual(order);

      const backward: PipelineRow[] = [];
      for (let page = await e.windows.queueBefore(undefined, 4, []); page.length > 0; page = await e.windows.queueBefore(qkey(page[0]!), 4, [])) {
        expect(page.length).toBeLessThanOrEqual(4);
        backward.unshift(...page);
      }
      expect(ids(backward)).toEqual(order);
      expect(ids(await e.windows.queueBefore(undefined, 2, []))).toEqual(order.slice(-2));

      for (const [i, row] of forward.entries()) {
        expect(await e.windows.queuePosition(qkey(row), [])).toBe(i);
        expect(ids(await e.windows.queueFrom(qkey(row), 3, []))).toEqual(order.slice(i, i + 3));
      }
      expect(await e.windows.queueTotal([])).toEqual({ count: 9, capped: false });
      expect(await e.windows.queueAfter(undefined, 0, [])).toEqual([]);
      expect(await e.windows.queueBefore(undefined, 0, [])).toEqual([]);
      expect(await e.windows.queueFrom(qkey(forward[0]!), 0, [])).toEqual([]);
      // A key between rows (a book that has left the queue) still places the window.
      const gone = { priority: 5, created_at: forward[4]!.created_at, id: hexId('b', 0) };
      expect(ids(await e.windows.queueFrom(gone, 2, []))).toEqual(ids(await e.windows.queueAfter(gone, 2, [])));

      expect((await e.windows.queuedBook(order[0]!))?.id).toBe(order[0]);
      expect(await e.windows.queuedBook(hexId('9', 1))).toBeUndefined(); // hashing: claimed
      expect(await e.windows.queuedBook(hexId('9', 2))).toBeUndefined();
      expect(await e.windows.queuedBook('f'.repeat(32))).toBeUndefined();
      expect(await e.windows.queueAfter(undefined, 50, [])).toEqual(await Promise.all(order.map(async (id) => (await e.pipelines.get(id))!)));
    });

    it('filters by words (path, state, title), priority, state, type and id prefix, with SQLite LIKE semantics', async () => {
      await seed(hexId('a', 1), 'detected', 5, '/books/Dune 100%_done.epub');
      await seed(hexId('a', 2), 'detected', 5, '/books/dune-100x-done.epub');
      await seed(hexId('a', 3), 'needs_retry', 3, '/library/Émile.pdf');
      await seed(hexId('b', 1), 'approved', 5, '/library/a\\b.txt');
      await seed(hexId('b', 2), 'detected', 2, '/library/plain.md');
      await seed(hexId('c', 1), 'complete', 5, '/books/dune-complete.epub'); // not queued
      await patch(hexId('b', 2), { profile_json: '{"title":"The Élan of DUNE","author":"x"}', book_type: 'fiction' });
      await patch(hexId('a', 2), { book_type: 'fiction' });
      await patch(hexId('a', 3), { book_type: 'Fiction' });
      const q = async (terms: BookTerm[]) => ids(await e.windows.queueAfter(undefined, 50, terms)).sort();

      expect(await q([text('DUNE')])).toEqual([hexId('a', 1), hexId('a', 2), hexId('b', 2)]); // ASCII folds
      expect(await q([text('élan')])).toEqual([]); // non-ASCII does not fold (SQLite's LIKE)
      expect(await q([text('Élan')])).toEqual([hexId('b', 2)]);
      expect(await q([text('émile')])).toEqual([]);
      expect(await q([text('100%')])).toEqual([hexId('a', 1)]); // % and _ are literal
      expect(await q([text('%_d')])).toEqual([hexId('a', 1)]);
      expect(await q([text('100?')])).toEqual([hexId('a', 1), hexId('a', 2)]); // ? is one character
      expect(await q([text('dune*done')])).toEqual([hexId('a', 1), hexId('a', 2)]); // * any run
      expect(await q([text('a\\b')])).toEqual([hexId('b', 1)]); // a backslash is literal
      expect(await q([text('ab')])).toEqual([]);
      expect(await q([text('retry')])).toEqual([hexId('a', 3)]); // the state
      expect(await q([text('approv')])).toEqual([hexId('b', 1)]);
      expect(await q([text('author')])).toEqual([]); // the title only, not the whole profile
      expect(await q([{ kind: 'priority', value: 5 }])).toEqual([hexId('a', 1), hexId('a', 2), hexId('b', 1)]);
      expect(await q([{ kind: 'priority', value: 3.5 }])).toEqual([]);
      expect(await q([{ kind: 'priority', value: Number.NaN }])).toEqual([]);
      expect(await q([{ kind: 'priority', value: 2 ** 40 }])).toEqual([]);
      expect(await q([{ kind: 'state', value: 'needs_retry' }])).toEqual([hexId('a', 3)]);
      expect(await q([{ kind: 'state', value: 'complete' }])).toEqual([]); // not queued
      expect(await q([{ kind: 'type', value: 'fiction' }])).toEqual([hexId('a', 2), hexId('b', 2)]); // exact: case matters
      expect(await q([{ kind: 'idPrefix', value: 'b' }])).toEqual([hexId('b', 1), hexId('b', 2)]);
      expect(await q([{ kind: 'idPrefix', value: hexId('a', 2) }])).toEqual([hexId('a', 2)]);
      expect(await q([text('dune'), { kind: 'type', value: 'fiction' }])).toEqual([hexId('a', 2), hexId('b', 2)]);
      expect(await q([text('dune'), text('done'), { kind: 'priority', value: 5 }, { kind: 'idPrefix', value: 'a' }])).toEqual([hexId('a', 1), hexId('a', 2)]);
      // As SQLite's builder: a repeated exact kind takes its last value for every occurrence.
      expect(await q([{ kind: 'type', value: 'Fiction' }, { kind: 'type', value: 'fiction' }])).toEqual([hexId('a', 2), hexId('b', 2)]);

      const dune: BookTerm[] = [text('dune')];
      const all = await e.windows.queueAfter(undefined, 50, dune);
      expect(ids(all)).toEqual(claimOrder(all)); // b2 (priority 2) first
      expect(await e.windows.queueTotal(dune)).toEqual({ count: 3, capped: false });
      for (const [i, row] of all.entries()) {
        expect(await e.windows.queuePosition(qkey(row), dune)).toBe(i);
        expect(ids(await e.windows.queueFrom(qkey(row), 50, dune))).toEqual(ids(all.slice(i)));
        expect(ids(await e.windows.queueBefore(qkey(row), 50, dune))).toEqual(ids(all.slice(0, i)));
      }
      expect(ids(await e.windows.queueBefore(undefined, 2, dune))).toEqual(ids(all.slice(-2)));
      expect(await e.windows.queueTotal([text('nothing-like-this')])).toEqual({ count: 0, capped: false });
    });
  });

  describe('failed', () => {
    /** Failed and waiting books entering their state at three times, ties on the same millisecond. */
    async function failed(): Promise<PipelineRow[]> {
      const rows: PipelineRow[] = [];
      rows.push(await seed(hexId('a', 1), 'failed'));
      rows.push(await seed(hexId('c', 1), 'needs_retry'));
      o.clock.advance(5);
      rows.push(await seed(hexId('b', 1), 'failed'));
      rows.push(await seed(hexId('b', 3), 'needs_retry'));
      rows.push(await seed(hexId('b', 2), 'failed'));
      o.clock.advance(5);
      rows.push(await seed(hexId('d', 1), 'needs_retry'));
      await seed(hexId('9', 1), 'complete');
      await seed(hexId('9', 2), 'detected');
      return rows.sort(compareFailed);
    }
    const both: FailedFilter = { states: ['failed', 'needs_retry'], terms: [] };

    it('pages older and newer through ties, newest first; positions and totals agree', async () => {
      const order = await failed();
      const older: PipelineRow[] = [];
      for (let page = await e.windows.failedOlder(undefined, 4, both); page.length > 0; page = await e.windows.failedOlder(fkey(page.at(-1)!), 4, both)) {
        older.push(...page);
      }
      expect(ids(older)).toEqual(ids(order));
      const newer: PipelineRow[] = [];
      for (let page = await e.windows.failedNewer(undefined, 4, both); page.length > 0; page = await e.windows.failedNewer(fkey(page[0]!), 4, both)) {
        newer.unshift(...page);
      }
      expect(ids(newer)).toEqual(ids(order));
      for (const [i, row] of order.entries()) {
        expect(await e.windows.failedPosition(fkey(row), both)).toBe(i);
        expect(ids(await e.windows.failedOlder(fkey(row), 2, both, true))).toEqual(ids(order.slice(i, i + 2)));
        expect(ids(await e.windows.failedNewer(fkey(row), 2, both))).toEqual(ids(order.slice(Math.max(0, i - 2), i)));
      }
      expect(await e.windows.failedTotal(both)).toEqual({ count: 6, capped: false });
      const onlyFailed: FailedFilter = { states: ['failed'], terms: [] };
      expect(ids(await e.windows.failedOlder(undefined, 50, onlyFailed))).toEqual(ids(order.filter((r) => r.state === 'failed')));
      expect(await e.windows.failedTotal(onlyFailed)).toEqual({ count: 3, capped: false });
      expect(await e.windows.failedTotal({ states: [], terms: [] })).toEqual({ count: 0, capped: false });
      expect(await e.windows.failedOlder(undefined, 0, both)).toEqual([]);
      expect(await e.windows.failedNewer(undefined, 0, both)).toEqual([]);

      expect((await e.windows.failedBook(hexId('a', 1)))?.state).toBe('failed');
      expect((await e.windows.failedBook(hexId('d', 1)))?.state).toBe('needs_retry');
      expect(await e.windows.failedBook(hexId('9', 1))).toBeUndefined();
      expect(await e.windows.failedBook('f'.repeat(32))).toBeUndefined();
    });

    it('filters by words over the path, the error text and the title, and by type and id prefix', async () => {
      const order = await failed();
      await patch(hexId('b', 1), { error_json: '{"message":"Disk FULL","code":"ENOSPC"}' });
      await patch(hexId('c', 1), { error_json: '{"message":"timeout"}', book_type: 'manual' });
      await patch(hexId('d', 1), { profile_json: '{"title":"Disk Management"}', book_type: 'manual' });
      const f = (terms: BookTerm[]): FailedFilter => ({ states: ['failed', 'needs_retry'], terms });
      const disk = f([text('disk')]);
      expect(ids(await e.windows.failedOlder(undefined, 50, disk))).toEqual([hexId('d', 1), hexId('b', 1)]);
      expect(ids(await e.windows.failedOlder(undefined, 50, f([text('"code":"enospc"')])))).toEqual([hexId('b', 1)]); // the stored text
      expect(ids(await e.windows.failedOlder(undefined, 50, f([{ kind: 'type', value: 'manual' }])))).toEqual([hexId('d', 1), hexId('c', 1)]);
      expect(ids(await e.windows.failedOlder(undefined, 50, f([{ kind: 'idPrefix', value: 'b' }])))).toEqual([hexId('b', 3), hexId('b', 2), hexId('b', 1)]);
      expect(ids(await e.windows.failedOlder(undefined, 50, f([text('failed')])))).toEqual([]); // the state is not a word here
      expect(await e.windows.failedTotal(disk)).toEqual({ count: 2, capped: false });
      expect(await e.windows.failedPosition(fkey(order.find((r) => r.id === hexId('b', 1))!), disk)).toBe(1);
      expect(ids(await e.windows.failedNewer(fkey(order.at(-1)!), 50, disk))).toEqual([hexId('d', 1), hexId('b', 1)]);
      expect(ids(await e.windows.failedNewer(undefined, 1, disk))).toEqual([hexId('b', 1)]); // the oldest
    });
  });

  describe('audit', () => {
    const entry = (action: AuditEntryInput['action'], actor: string, pipeline_id?: string): AuditEntryInput => ({ action, actor, pipeline_id: pipeline_id ?? null });
    /** A log of 12 entries over three books and a few actors; returns the ids oldest first. */
    async function log(): Promise<number[]> {
      await seed(hexId('ab', 1));
      await seed(hexId('ab', 2));
      await seed(hexId('cd', 1));
      return e.audit.appendMany([
        entry('QUEUED', 'system:enqueue', hexId('ab', 1)),
        entry('QUEUED', 'system:enqueue', hexId('ab', 2)),
        entry('QUEUED', 'system:enqueue', hexId('cd', 1)),
        entry('APPROVED', 'human:ana', hexId('ab', 1)),
        entry('REJECTED', 'human:bob', hexId('cd', 1)),
        entry('APPROVED', 'human:anna', hexId('ab', 2)),
        entry('PRIORITY_CHANGED', 'mcp:claude', hexId('ab', 1)),
        entry('APPROVED', 'auto:high-confidence', hexId('cd', 1)),
        entry('APPROVED', 'human:ana'),
        entry('REJECTED', 'human:a*b'),
        entry('QUEUED', 'human:ana', hexId('ab', 2)),
        entry('REJECTED', 'human:Ana', hexId('ab', 1)),
      ]);
    }
    const auditIds = (rows: readonly { id: number }[]) => rows.map((r) => r.id);

    it('reads windows newest first: older from an id, newer than an id (the nearest), the oldest', async () => {
      const all = (await log()).reverse();
      expect(auditIds(await e.windows.auditOlderFrom(undefined, 5, {}))).toEqual(all.slice(0, 5));
      expect(auditIds(await e.windows.auditOlderFrom(all[3], 3, {}))).toEqual(all.slice(3, 6));
      expect(auditIds(await e.windows.auditNewerThan(all[6]!, 3, {}))).toEqual(all.slice(3, 6));
      expect(auditIds(await e.windows.auditNewerThan(all[0]!, 3, {}))).toEqual([]);
      expect(auditIds(await e.windows.auditOldest(4, {}))).toEqual(all.slice(-4));
      expect(await e.windows.auditOlderFrom(undefined, 0, {})).toEqual([]);
      expect(await e.windows.auditNewerThan(0, 0, {})).toEqual([]);
      expect(await e.windows.auditOldest(0, {})).toEqual([]);
      expect(auditIds(await e.windows.auditOldest(-1, {}))).toEqual(all); // SQLite's LIMIT -1: no limit
      const rows = await e.windows.auditOlderFrom(all[0], 1, {});
      expect(rows).toEqual([await e.audit.get(all[0]!)]);
      expect(await e.windows.auditCount({})).toEqual({ count: 12, capped: false });
      for (const [i, id] of all.entries()) expect(await e.windows.auditCount({}, id)).toEqual({ count: i, capped: false });
      expect(await e.windows.auditCount({}, 0)).toEqual({ count: 12, capped: false });
      expect(await e.windows.auditCount({}, -5)).toEqual({ count: 12, capped: false });
    });

    it('filters by actor (exact, or a glob with * ? and [sets]), action and book (full id or prefix)', async () => {
      const all = (await log()).reverse();
      const newest = async (f: Parameters<Engine['windows']['auditOlderFrom']>[2]) => (await e.windows.auditOlderFrom(undefined, 50, f)).map((r) => `${r.action} ${r.actor}`);
      expect(await newest({ actor: 'human:ana' })).toEqual(['QUEUED human:ana', 'APPROVED human:ana', 'APPROVED human:ana']); // case matters
      expect(await newest({ actor: 'human:an*' })).toEqual(['QUEUED human:ana', 'APPROVED human:ana', 'APPROVED human:anna', 'APPROVED human:ana']);
      expect(await newest({ actor: 'human:?n*' })).toEqual(['REJECTED human:Ana', 'QUEUED human:ana', 'APPROVED human:ana', 'APPROVED human:anna', 'APPROVED human:ana']);
      expect(await newest({ actor: 'human:[A]*' })).toEqual(['REJECTED human:Ana']);
      expect(await newest({ actor: 'human:[^a]*' })).toEqual(['REJECTED human:Ana', 'REJECTED human:bob']);
      expect(await newest({ actor: 'human:[a-b]?*' })).toEqual(['QUEUED human:ana', 'REJECTED human:a*b', 'APPROVED human:ana', 'APPROVED human:anna', 'REJECTED human:bob', 'APPROVED human:ana']);
      expect(await newest({ actor: 'human:a[*]*' })).toEqual(['REJECTED human:a*b']); // a set holds a literal *
      expect(await newest({ actor: 'human:[a*' })).toEqual([]); // an open set matches nothing
      expect(await newest({ actor: 'human:a?' })).toEqual([]); // no *: exact, ? included
      expect(await newest({ actor: '*:*e*' })).toEqual(['APPROVED auto:high-confidence', 'PRIORITY_CHANGED mcp:claude', 'QUEUED system:enqueue', 'QUEUED system:enqueue', 'QUEUED system:enqueue']);
      expect(await newest({ action: 'approved' })).toEqual(['APPROVED human:ana', 'APPROVED auto:high-confidence', 'APPROVED human:anna', 'APPROVED human:ana']);
      expect(await newest({ action: 'approved', actor: 'human:*' })).toEqual(['APPROVED human:ana', 'APPROVED human:anna', 'APPROVED human:ana']);
      expect(await newest({ pipelineId: hexId('ab', 1) })).toEqual(['REJECTED human:Ana', 'PRIORITY_CHANGED mcp:claude', 'APPROVED human:ana', 'QUEUED system:enqueue']);
      expect(await newest({ pipelineId: hexId('ab', 1) + '0' })).toEqual([]);
      expect(await newest({ pipelineId: 'ab' })).toEqual(['REJECTED human:Ana', 'QUEUED human:ana', 'PRIORITY_CHANGED mcp:claude', 'APPROVED human:anna', 'APPROVED human:ana', 'QUEUED system:enqueue', 'QUEUED system:enqueue']);
      expect(await newest({ pipelineId: 'ab', action: 'QUEUED', actor: 'system:enqueue' })).toEqual(['QUEUED system:enqueue', 'QUEUED system:enqueue']);
      expect(await newest({ pipelineId: 'ef' })).toEqual([]);

      const f = { pipelineId: 'ab' };
      const book = await e.windows.auditOlderFrom(undefined, 50, f);
      expect(await e.windows.auditCount(f)).toEqual({ count: 7, capped: false });
      for (const [i, row] of book.entries()) {
        expect(await e.windows.auditCount(f, row.id)).toEqual({ count: i, capped: false });
        expect(auditIds(await e.windows.auditOlderFrom(row.id, 2, f))).toEqual(auditIds(book.slice(i, i + 2)));
        expect(auditIds(await e.windows.auditNewerThan(row.id, 2, f))).toEqual(auditIds(book.slice(Math.max(0, i - 2), i)));
      }
      expect(auditIds(await e.windows.auditOldest(2, f))).toEqual(auditIds(book.slice(-2)));
      expect(auditIds(await e.windows.auditOlderFrom(all[0], 50, { actor: 'human:*' }))).toHaveLength(7);
      expect(await e.windows.auditCount({ actor: 'nobody:x' })).toEqual({ count: 0, capped: false });
    });

    it('counts stay exact (as COUNT(*)) across retention-style deletions', async () => {
      const all = await log();
      await o.exec(`UPDATE audit_gate SET open = 1 WHERE id = 1; DELETE FROM audit WHERE id IN (${all[1]}, ${all[2]}, ${all[9]}); UPDATE audit_gate SET open = 0 WHERE id = 1`);
      const present = (await o.rows('SELECT id FROM audit ORDER BY id DESC')).map((r) => Number(r.id));
      expect(present).toHaveLength(9);
      expect(await e.windows.auditCount({})).toEqual({ count: 9, capped: false });
      for (const [i, id] of present.entries()) expect(await e.windows.auditCount({}, id)).toEqual({ count: i, capped: false });
      expect(await e.windows.auditCount({}, all[1]!)).toEqual({ count: present.filter((id) => id > all[1]!).length, capped: false });
      expect(auditIds(await e.windows.auditOlderFrom(all[2], 5, {}))).toEqual(present.filter((id) => id <= all[2]!));
      await e.audit.append(entry('QUEUED', 'system:enqueue'));
      expect(await e.windows.auditCount({})).toEqual({ count: 10, capped: false });
    });

    it('stops filtered counts at 10,000, and at 1,000 for a book prefix thousands of books share', async () => {
      await seed(hexId('77', 1));
      const many: AuditEntryInput[] = Array.from({ length: FILTERED_COUNT_CAP + 1 }, () => entry('APPROVED', 'human:cap'));
      const capIds = await e.audit.appendMany(many);
      await e.audit.append(entry('QUEUED', 'system:enqueue', hexId('77', 1)));
      expect(await e.windows.auditCount({ actor: 'human:cap' })).toEqual({ count: FILTERED_COUNT_CAP, capped: true });
      expect(await e.windows.auditCount({ actor: 'human:c*' })).toEqual({ count: FILTERED_COUNT_CAP, capped: true });
      expect(await e.windows.auditCount({ actor: 'human:cap' }, capIds[0])).toEqual({ count: FILTERED_COUNT_CAP, capped: false });
      expect(await e.windows.auditCount({})).toEqual({ count: FILTERED_COUNT_CAP + 2, capped: false });

      // 5,001 books share the prefix '5': its count stops at the dense cap.
      await bulk(5001, '5', 'complete', '/books/dense.epub');
      const book = (i: number) => hexId('5', i);
      await e.audit.appendMany(Array.from({ length: DENSE_PREFIX_COUNT_CAP + 1 }, (_, i) => entry('QUEUED', 'system:enqueue', book((i % 5001) + 1))));
      expect(await e.windows.auditCount({ pipelineId: '5' })).toEqual({ count: DENSE_PREFIX_COUNT_CAP, capped: true });
      expect(await e.windows.auditCount({ pipelineId: '50' })).toEqual({ count: DENSE_PREFIX_COUNT_CAP, capped: true });
      expect(await e.windows.auditCount({ pipelineId: '77' })).toEqual({ count: 1, capped: false });
      expect(await e.windows.auditCount({ pipelineId: book(7) })).toEqual({ count: 1, capped: false });
      const dense = await e.windows.auditOlderFrom(undefined, 3, { pipelineId: '5' });
      expect(dense.map((r) => r.pipeline_id)).toEqual([book(1001), book(1000), book(999)]);
      expect(auditIds(await e.windows.auditNewerThan(dense[2]!.id, 1, { pipelineId: '5' }))).toEqual([dense[1]!.id]);
    });
  });

  it('caps filtered queue and failed counts at 10,000; positions stay exact on the queue', async () => {
    await bulk(FILTERED_COUNT_CAP + 1, 'a', 'detected', '/books/capped.epub');
    await bulk(FILTERED_COUNT_CAP + 1, 'b', 'failed', '/books/capped.epub');
    const capped: BookTerm[] = [text('capped')];
    expect(await e.windows.queueTotal(capped)).toEqual({ count: FILTERED_COUNT_CAP, capped: true });
    expect(await e.windows.queueTotal([])).toEqual({ count: FILTERED_COUNT_CAP + 1, capped: false });
    const last = (await e.windows.queueBefore(undefined, 1, capped))[0]!;
    expect(last.id).toBe(hexId('a', FILTERED_COUNT_CAP + 1));
    expect(await e.windows.queuePosition(qkey(last), capped)).toBe(FILTERED_COUNT_CAP);
    const f: FailedFilter = { states: ['failed', 'needs_retry'], terms: capped };
    expect(await e.windows.failedTotal(f)).toEqual({ count: FILTERED_COUNT_CAP, capped: true });
    expect(await e.windows.failedTotal({ ...f, terms: [] })).toEqual({ count: FILTERED_COUNT_CAP + 1, capped: false });
    const oldest = (await e.windows.failedNewer(undefined, 1, f))[0]!;
    expect(oldest.id).toBe(hexId('b', 1)); // all tied: the smallest id is the oldest
    expect(await e.windows.failedPosition(fkey(oldest), f)).toBe(FILTERED_COUNT_CAP);
    expect(await e.windows.failedPosition(fkey(oldest), { ...f, terms: [] })).toBe(FILTERED_COUNT_CAP);
  });

  it('answers empty lists and zero counts on an empty database', async () => {
    const key: QueueKey = { priority: 5, created_at: o.clock(), id: hexId('a', 1) };
    const fk: FailedKey = { state_entered_at: o.clock(), id: hexId('a', 1) };
    const terms: BookTerm[] = [text('x')];
    const both: FailedFilter = { states: ['failed', 'needs_retry'], terms: [] };
    expect(await e.windows.queueAfter(undefined, 50, [])).toEqual([]);
    expect(await e.windows.queueBefore(key, 50, terms)).toEqual([]);
    expect(await e.windows.queueFrom(key, 50, [])).toEqual([]);
    expect(await e.windows.queueTotal([])).toEqual({ count: 0, capped: false });
    expect(await e.windows.queueTotal(terms)).toEqual({ count: 0, capped: false });
    expect(await e.windows.queuePosition(key, [])).toBe(0);
    expect(await e.windows.failedOlder(undefined, 50, both)).toEqual([]);
    expect(await e.windows.failedNewer(fk, 50, { ...both, terms })).toEqual([]);
    expect(await e.windows.failedTotal(both)).toEqual({ count: 0, capped: false });
    expect(await e.windows.failedPosition(fk, both)).toBe(0);
    expect(await e.windows.auditOlderFrom(undefined, 50, {})).toEqual([]);
    expect(await e.windows.auditNewerThan(0, 50, { actor: 'human:*' })).toEqual([]);
    expect(await e.windows.auditOldest(50, { pipelineId: 'ab' })).toEqual([]);
    expect(await e.windows.auditCount({})).toEqual({ count: 0, capped: false });
    expect(await e.windows.auditCount({}, 0)).toEqual({ count: 0, capped: false });
    expect(await e.windows.auditCount({ action: 'QUEUED' })).toEqual({ count: 0, capped: false });
  });
});

describe.skipIf(!pgAvailable())('postgres engine: the audit count aggregate', () => {
  it('is seeded from the log when an older database is upgraded, and counts what retention removes', async () => {
    const url = await pgCluster().createDatabase();
    let e = await openEngine(url);
    const ids = await e.audit.appendMany(Array.from({ length: 6 }, () => ({ action: 'QUEUED' as const, actor: 'system:test' })));
    const exec = async (sql: string) => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(sql);
      } finally {
        await c.end();
      }
    };
    await exec(`UPDATE audit_gate SET open = 1 WHERE id = 1; DELETE FROM audit WHERE id IN (${ids[0]}, ${ids[3]}); UPDATE audit_gate SET open = 0 WHERE id = 1`);
    expect(await e.windows.auditCount({})).toEqual({ count: 4, capped: false });
    await e.close();
    // The database as schema 2 left it, with rows already removed: the upgrade counts them.
    await exec('DROP TABLE audit_removed; DROP FUNCTION audit_removed_count() CASCADE; UPDATE schema_version SET version = 2');
    e = await openEngine(url);
    expect(await e.upkeep.schemaVersion()).toBe(3);
    expect(await e.windows.auditCount({})).toEqual({ count: 4, capped: false });
    expect(await e.windows.auditCount({}, ids[2])).toEqual({ count: 2, capped: false });
    await exec(`UPDATE audit_gate SET open = 1 WHERE id = 1; DELETE FROM audit WHERE id >= ${ids[4]}; UPDATE audit_gate SET open = 0 WHERE id = 1`);
    expect(await e.windows.auditCount({})).toEqual({ count: 2, capped: false });
    expect(await e.windows.auditCount({}, ids[1])).toEqual({ count: 1, capped: false });
    await e.close();
  });
});
