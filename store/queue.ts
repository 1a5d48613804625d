/**
 * The Queue tab's window: the rows on screen, where they sit in the whole queue, and the
 * selected book (by id). `loadQueueWindow` computes the next window for a navigation intent by
 * keyset queries around the selected book, so the cost is the same at row 10 and row 999,990.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { PipelineRow } from '../src/store/pipeline-row.js';
import { sameData } from './equal.js';
import { listWindowSlice, textFilterSlice, type ListWindow, type ListWindowState, type TextFilterState } from './window-store.js';
import { keyOf, type QueueKey, type QueueSource } from './sources.js';

export type QueueWindow = ListWindow<PipelineRow, string>;

export interface QueueState extends ListWindowState<PipelineRow, string>, TextFilterState {}

export type QueueStore = StoreApi<QueueState>;

export function createQueueStore(): QueueStore {
  return createStore<QueueState>()((set, get) => ({ ...listWindowSlice(set, get), ...textFilterSlice(set, get) }));
}

export type QueueIntent =
  | { readonly kind: 'refresh' }
  | { readonly kind: 'top' }
  | { readonly kind: 'bottom' }
  | { readonly kind: 'move'; readonly delta: number }
  /** Keep `id` selected at its current screen row (after its priority moved it). */
  | { readonly kind: 'follow'; readonly id: string; readonly key?: QueueKey };

interface Current {
  readonly rows: readonly PipelineRow[];
  readonly selectedId: string | null;
  readonly filter: string;
}

/**
 * The window for `intent` given what is on screen. `capacity` is how many rows fit.
 */
export function loadQueueWindow(source: QueueSource, cur: Current, intent: QueueIntent, capacity: number): QueueWindow {
  const cap = Math.max(1, capacity);
  const filter = cur.filter;
  const { count: total, capped } = source.total(filter);
  const selIndex = cur.selectedId === null ? -1 : cur.rows.findIndex((r) => r.id === cur.selectedId);
  const screenRow = Math.max(0, Math.min(selIndex, cap - 1));

  const top = (): QueueWindow => {
    const rows = source.after(undefined, cap, filter);
    return { rows, windowStart: 0, total, totalCapped: capped, selectedId: rows[0]?.id ?? null };
  };

  /** Rows around `key` with the row at/after it on screen row `r`. */
  const placeAt = (key: QueueKey, r: number, wantId: string | null): QueueWindow => {
    let before = source.before(key, r, filter);
    const from = source.from(key, cap - before.length, filter);
    if (before.length + from.length < cap && before.length === r) {
      // Near the end: fill the screen from above.
      const first = before[0] ?? from[0];
      if (first) before = [...source.before(keyOf(first), cap - before.length - from.length, filter), ...before];
    }
    const rows = [...before, ...from];
    if (rows.length === 0) return top();
    let selectedId = wantId !== null && rows.some((x) => x.id === wantId) ? wantId : null;
    if (selectedId === null) selectedId = (from[0] ?? rows[rows.length - 1])!.id;
    const windowStart = rows[0] ? source.positionOf(keyOf(rows[0]), filter) : 0;
    return { rows, windowStart, total, totalCapped: capped, selectedId };
  };

  switch (intent.kind) {
    case 'top':
      return top();
    case 'bottom': {
      const rows = source.before(undefined, cap, filter);
      const windowStart = capped && rows[0] ? source.positionOf(keyOf(rows[0]), filter) : Math.max(0, total - rows.length);
      return { rows, windowStart, total, totalCapped: capped, selectedId: rows[rows.length - 1]?.id ?? null };
    }
    case 'follow': {
      const row = source.queued(intent.id);
      if (row) return placeAt(keyOf(row), screenRow, row.id);
      if (intent.key) return placeAt(intent.key, screenRow, null);
      return top();
    }
    case 'refresh': {
      const sel = selIndex >= 0 ? cur.rows[selIndex] : undefined;
      if (!sel) return cur.rows.length === 0 ? top() : placeAt(keyOf(cur.rows[0]!), 0, null);
      const now = source.queued(sel.id);
      // Gone (claimed, rejected): keep the place, select the book that took its row.
      return now ? placeAt(keyOf(now), screenRow, now.id) : placeAt(keyOf(sel), screenRow, null);
    }
    case 'move': {
      const sel = selIndex >= 0 ? cur.rows[selIndex] : undefined;
      if (!sel) return top();
      const target = selIndex + intent.delta;
      if (target >= 0 && target < cur.rows.length) {
        const t = cur.rows[target]!;
        // Same rows (no scrolling): only the selection moves.
        return placeAt(keyOf(cur.rows[0]!), 0, t.id);
      }
      if (intent.delta > 0) {
        const last = cur.rows[cur.rows.length - 1]!;
        const further = source.after(keyOf(last), target - (cur.rows.length - 1), filter);
        const t = further[further.length - 1];
        if (!t) return placeAt(keyOf(cur.rows[0]!), 0, last.id);
        const r = Math.min(cap - 1, intent.delta >= cap ? screenRow : cap - 1);
        return placeAt(keyOf(t), r, t.id);
      }
      const first = cur.rows[0]!;
      const earlier = source.before(keyOf(first), -target, filter);
      const t = earlier[0];
      if (!t) return top();
      const r = -intent.delta >= cap ? screenRow : 0;
      return placeAt(keyOf(t), r, t.id);
    }
  }
}

export function sameWindow(a: QueueWindow, b: QueueWindow): boolean {
  return sameData(a, b);
}
