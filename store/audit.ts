/**
 * The Audit tab's window over the log, newest first. Audit ids only grow, so the window is kept
 * by id: in follow mode it stays on the newest entries; otherwise it stays where the person
 * scrolled, and entries arriving meanwhile do not move the rows under the cursor.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { AuditRow } from '../src/store/audit.js';
import { listWindowSlice, type ListWindow, type ListWindowState } from './window-store.js';
import type { AuditFilter, AuditSource } from './sources.js';

export type AuditWindow = ListWindow<AuditRow, number>;

export interface AuditState extends ListWindowState<AuditRow, number> {
  readonly follow: boolean;
  readonly filterText: string;
  readonly filter: AuditFilter;
  setFollow(follow: boolean): void;
  setFilter(text: string, filter: AuditFilter): void;
}

export type AuditStore = StoreApi<AuditState>;

export function createAuditStore(): AuditStore {
  return createStore<AuditState>()((set, get) => ({
    ...listWindowSlice(set, get),
    follow: true,
    filterText: '',
    filter: {},
    setFollow: (follow) => {
      if (get().follow !== follow) set({ follow });
    },
    setFilter: (filterText, filter) => set({ filterText, filter }),
  }));
}

export type AuditIntent =
  | { readonly kind: 'refresh' }
  | { readonly kind: 'top' }
  | { readonly kind: 'bottom' }
  | { readonly kind: 'move'; readonly delta: number };

interface Current {
  readonly rows: readonly AuditRow[];
  readonly selectedId: number | null;
  readonly filter: AuditFilter;
  readonly follow: boolean;
}

export function loadAuditWindow(source: AuditSource, cur: Current, intent: AuditIntent, capacity: number): AuditWindow {
  const cap = Math.max(1, capacity);
  const f = cur.filter;
  const { count: total, capped: totalCapped } = source.count(f);
  const selIndex = cur.selectedId === null ? -1 : cur.rows.findIndex((r) => r.id === cur.selectedId);
  const screenRow = Math.max(0, Math.min(selIndex, cap - 1));

  const top = (): AuditWindow => {
    const rows = source.olderFrom(undefined, cap, f);
    return { rows, windowStart: 0, total, totalCapped, selectedId: rows[0]?.id ?? null };
  };

  /** Entries around `id` (inclusive, or the next older one) with it on screen row `r`. */
  const placeAt = (id: number, r: number, wantId: number | null): AuditWindow => {
    let newer = source.newerThan(id, r, f);
    const older = source.olderFrom(id, cap - newer.length, f);
    if (newer.length + older.length < cap && newer.length === r) {
      const first = newer[0] ?? older[0];
      if (first) newer = [...source.newerThan(first.id, cap - newer.length - older.length, f), ...newer];
    }
    const rows = [...newer, ...older];
    if (rows.length === 0) return top();
    const selectedId = wantId !== null && rows.some((x) => x.id === wantId) ? wantId : (older[0] ?? rows[rows.length - 1])!.id;
    const windowStart = Math.min(source.count(f, rows[0]!.id).count, total);
    return { rows, windowStart, total, totalCapped, selectedId };
  };

  switch (intent.kind) {
    case 'top':
      return top();
    case 'bottom': {
      const rows = source.oldest(cap, f);
      // With a capped count the oldest entries' position is unknown: "beyond 10,000".
      const windowStart = totalCapped ? total : Math.max(0, total - rows.length);
      return { rows, windowStart, total, totalCapped, selectedId: rows[rows.length - 1]?.id ?? null };
    }
    case 'refresh': {
      // Following: the cursor rides on the newest entry, so each new entry takes it.
      if (cur.follow) return top();
      const sel = selIndex >= 0 ? cur.rows[selIndex] : undefined;
      if (!sel) return top();
      return placeAt(sel.id, screenRow, sel.id);
    }
    case 'move': {
      const sel = selIndex >= 0 ? cur.rows[selIndex] : undefined;
      if (!sel) return top();
      const target = selIndex + intent.delta;
      if (target >= 0 && target < cur.rows.length) return placeAt(cur.rows[0]!.id, 0, cur.rows[target]!.id);
      if (intent.delta > 0) {
        const last = cur.rows[cur.rows.length - 1]!;
        const further = source.olderFrom(last.id - 1, target - (cur.rows.length - 1), f);
        const t = further[further.length - 1];
        if (!t) return placeAt(cur.rows[0]!.id, 0, last.id);
        return placeAt(t.id, intent.delta >= cap ? screenRow : cap - 1, t.id);
      }
      const first = cur.rows[0]!;
      const earlier = source.newerThan(first.id, -target, f);
      const t = earlier[0];
      if (!t) return top();
      return placeAt(t.id, -intent.delta >= cap ? screenRow : 0, t.id);
    }
  }
}
