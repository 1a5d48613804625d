/**
 * The Failed tab's window: failed and needs_retry books, most recently failed first, and the
 * selected book by id. Windows are read by keyset around the selection (store/failed-source.ts),
 * so moving costs the same at row 10 and row 900,000.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { PipelineRow } from '../src/store/pipeline-row.js';
import { listWindowSlice, textFilterSlice, type ListWindow, type ListWindowState, type TextFilterState } from './window-store.js';
import { failedKeyOf, type FailedKey, type FailedSource } from './failed-source.js';

export type FailedWindow = ListWindow<PipelineRow, string>;

export interface FailedState extends ListWindowState<PipelineRow, string>, TextFilterState {}

export type FailedStore = StoreApi<FailedState>;

export function createFailedStore(): FailedStore {
  return createStore<FailedState>()((set, get) => ({ ...listWindowSlice(set, get), ...textFilterSlice(set, get) }));
}

export type FailedIntent =
  | { readonly kind: 'refresh' }
  | { readonly kind: 'top' }
  | { readonly kind: 'bottom' }
  | { readonly kind: 'move'; readonly delta: number };

interface Current {
  readonly rows: readonly PipelineRow[];
  readonly selectedId: string | null;
  readonly filter: string;
}

export function loadFailedWindow(source: FailedSource, cur: Current, intent: FailedIntent, capacity: number): FailedWindow {
  const cap = Math.max(1, capacity);
  const filter = cur.filter;
  const { count: total, capped } = source.total(filter);
  const selIndex = cur.selectedId === null ? -1 : cur.rows.findIndex((r) => r.id === cur.selectedId);
  const screenRow = Math.max(0, Math.min(selIndex, cap - 1));

  const top = (): FailedWindow => {
    const rows = source.older(undefined, cap, filter);
    return { rows, windowStart: 0, total, totalCapped: capped, selectedId: rows[0]?.id ?? null };
  };

  /** Rows around `key` (inclusive, or the next older) with it on screen row `r`. */
  const placeAt = (key: FailedKey, r: number, wantId: string | null): FailedWindow => {
    let newer = source.newer(key, r, filter);
    const older = source.older(key, cap - newer.length, filter, true);
    if (newer.length + older.length < cap && newer.length === r) {
      const first = newer[0] ?? older[0];
      if (first) newer = [...source.newer(failedKeyOf(first), cap - newer.length - older.length, filter), ...newer];
    }
    const rows = [...newer, ...older];
    if (rows.length === 0) return top();
    const selectedId = wantId !== null && rows.some((x) => x.id === wantId) ? wantId : (older[0] ?? rows[rows.length - 1])!.id;
    return { rows, windowStart: source.positionOf(failedKeyOf(rows[0]!), filter), total, totalCapped: capped, selectedId };
  };

  switch (intent.kind) {
    case 'top':
      return top();
    case 'bottom': {
      const rows = source.newer(undefined, cap, filter);
      return { rows, windowStart: Math.max(0, total - rows.length), total, totalCapped: capped, selectedId: rows[rows.length - 1]?.id ?? null };
    }
    case 'refresh': {
      const sel = selIndex >= 0 ? cur.rows[selIndex] : undefined;
      if (!sel) return top();
      // Retried or rejected since: keep the place, select the book that took its row.
      const now = source.current(sel.id);
      return now ? placeAt(failedKeyOf(now), screenRow, now.id) : placeAt(failedKeyOf(sel), screenRow, null);
    }
    case 'move': {
      const sel = selIndex >= 0 ? cur.rows[selIndex] : undefined;
      if (!sel) return top();
      const target = selIndex + intent.delta;
      if (target >= 0 && target < cur.rows.length) return placeAt(failedKeyOf(cur.rows[0]!), 0, cur.rows[target]!.id);
      if (intent.delta > 0) {
        const last = cur.rows[cur.rows.length - 1]!;
        const further = source.older(failedKeyOf(last), target - (cur.rows.length - 1), filter);
        const t = further[further.length - 1];
        if (!t) return placeAt(failedKeyOf(cur.rows[0]!), 0, last.id);
        return placeAt(failedKeyOf(t), intent.delta >= cap ? screenRow : cap - 1, t.id);
      }
      const earlier = source.newer(failedKeyOf(cur.rows[0]!), -target, filter);
      const t = earlier[0];
      if (!t) return top();
      return placeAt(failedKeyOf(t), -intent.delta >= cap ? screenRow : 0, t.id);
    }
  }
}
