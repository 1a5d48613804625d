/**
 * How a list tab's window moves, the same for the Queue, Failed and Audit tabs: every window is
 * read by keyset around a row (a screenful before it, a screenful from it), never by offset, so
 * moving costs the same at row 10 and row 900,000. Each tab describes its list as `ListReads`
 * (its keys, its queries, its filter already bound) and keeps only what is its own: what a
 * refresh keeps selected, and (Queue) following a book whose priority moved it.
 */
import type { CappedCount } from './sources.js';
import type { ListWindow } from './window-store.js';

/** What a person asks of a list tab's window (the Queue adds following one book). */
export type ListIntent =
  | { readonly kind: 'refresh' }
  | { readonly kind: 'top' }
  | { readonly kind: 'bottom' }
  | { readonly kind: 'move'; readonly delta: number };

/** A list in its display order ("down" is the way positions grow), read around a key. */
export interface ListReads<Row, Key> {
  keyOf(row: Row): Key;
  /** Up to `limit` rows after `key` (exclusive), in list order; from the first row when undefined. */
  after(key: Key | undefined, limit: number): Promise<Row[]>;
  /** Up to `limit` rows from `key` (inclusive, or the next one down) on, in list order. */
  from(key: Key, limit: number): Promise<Row[]>;
  /** Up to `limit` rows just before `key` (exclusive), in list order; the last rows when undefined. */
  before(key: Key | undefined, limit: number): Promise<Row[]>;
  /** 0-based position of `key` in the list. */
  positionOf(key: Key): Promise<number>;
  /** Where the last screenful (`rows`) starts; a capped count cannot always say. */
  bottomStart(rows: readonly Row[]): Promise<number>;
}

/** What is on screen now. */
export interface OnScreen<Row, Id> {
  readonly rows: readonly Row[];
  readonly selectedId: Id | null;
}

export interface WindowNav<Row, Key, Id> {
  /** The selected row, if it is on screen. */
  readonly selected: Row | undefined;
  /** The selected row's screen row (0 when none), kept when the window is read again. */
  readonly screenRow: number;
  /** The first screenful, its first row selected. */
  top(): Promise<ListWindow<Row, Id>>;
  /** The last screenful, its last row selected. */
  bottom(): Promise<ListWindow<Row, Id>>;
  /**
   * Rows around `key` with the row at (or after) it on screen row `r`, `wantId` selected if it is
   * among them, else the row at `key`. Near the end the screen is filled from above.
   */
  placeAt(key: Key, r: number, wantId: Id | null): Promise<ListWindow<Row, Id>>;
  /** The selection `delta` rows down (up when negative), scrolling only as far as needed. */
  move(delta: number): Promise<ListWindow<Row, Id>>;
  /** The window for a jump or a move, alike on every list tab (a refresh is each tab's own). */
  go(intent: Exclude<ListIntent, { readonly kind: 'refresh' }>): Promise<ListWindow<Row, Id>>;
}

export function windowNav<Row extends { readonly id: Id }, Key, Id>(
  reads: ListReads<Row, Key>,
  cur: OnScreen<Row, Id>,
  count: CappedCount,
  capacity: number,
): WindowNav<Row, Key, Id> {
  const cap = Math.max(1, capacity);
  const { count: total, capped: totalCapped } = count;
  const selIndex = cur.selectedId === null ? -1 : cur.rows.findIndex((r) => r.id === cur.selectedId);
  const selected = selIndex >= 0 ? cur.rows[selIndex] : undefined;
  const screenRow = Math.max(0, Math.min(selIndex, cap - 1));
  const { keyOf } = reads;

  const top = async (): Promise<ListWindow<Row, Id>> => {
    const rows = await reads.after(undefined, cap);
    return { rows, windowStart: 0, total, totalCapped, selectedId: rows[0]?.id ?? null };
  };

  const bottom = async (): Promise<ListWindow<Row, Id>> => {
    const rows = await reads.before(undefined, cap);
    return { rows, windowStart: await reads.bottomStart(rows), total, totalCapped, selectedId: rows[rows.length - 1]?.id ?? null };
  };

  const placeAt = async (key: Key, r: number, wantId: Id | null): Promise<ListWindow<Row, Id>> => {
    let before = await reads.before(key, r);
    const from = await reads.from(key, cap - before.length);
    if (before.length + from.length < cap && before.length === r) {
      // Near the end: fill the screen from above.
      const first = before[0] ?? from[0];
      if (first) before = [...(await reads.before(keyOf(first), cap - before.length - from.length)), ...before];
    }
    const rows = [...before, ...from];
    if (rows.length === 0) return top();
    const selectedId = wantId !== null && rows.some((x) => x.id === wantId) ? wantId : (from[0] ?? rows[rows.length - 1])!.id;
    return { rows, windowStart: await reads.positionOf(keyOf(rows[0]!)), total, totalCapped, selectedId };
  };

  const move = async (delta: number): Promise<ListWindow<Row, Id>> => {
    if (!selected) return top();
    const target = selIndex + delta;
    // Same rows (no scrolling): only the selection moves.
    if (target >= 0 && target < cur.rows.length) return placeAt(keyOf(cur.rows[0]!), 0, cur.rows[target]!.id);
    if (delta > 0) {
      const last = cur.rows[cur.rows.length - 1]!;
      const further = await reads.after(keyOf(last), target - (cur.rows.length - 1));
      const t = further[further.length - 1];
      if (!t) return placeAt(keyOf(cur.rows[0]!), 0, last.id);
      return placeAt(keyOf(t), delta >= cap ? screenRow : cap - 1, t.id);
    }
    const earlier = await reads.before(keyOf(cur.rows[0]!), -target);
    const t = earlier[0];
    if (!t) return top();
    return placeAt(keyOf(t), -delta >= cap ? screenRow : 0, t.id);
  };

  const go = (intent: Exclude<ListIntent, { readonly kind: 'refresh' }>): Promise<ListWindow<Row, Id>> =>
    intent.kind === 'top' ? top() : intent.kind === 'bottom' ? bottom() : move(intent.delta);

  return { selected, screenRow, top, bottom, placeAt, move, go };
}
