/**
 * Stuck books (the detector's longest N, a screenful or two) with how many are stuck in all,
 * read at the same instant (StuckDetector.survey), and the selection by id.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { StuckBook } from '../src/ops/types.js';
import { keepIfSame, sameData } from './equal.js';

export interface StuckState {
  readonly books: readonly StuckBook[];
  /** All stuck books, before the `/` filter. */
  readonly all: readonly StuckBook[];
  /** How many books are stuck in all (≥ all.length; the list holds only the longest). */
  readonly count: number;
  /** `count` stopped at the detector's cap ("10,000+"). */
  readonly countCapped: boolean;
  readonly filter: string;
  readonly selectedId: string | null;
  readonly loaded: boolean;
  readonly error: string | null;
  /** `total` defaults to the list itself (nothing beyond it). */
  applySnapshot(books: readonly StuckBook[], total?: { count: number; capped: boolean }): void;
  setFilter(filter: string): void;
  select(id: string | null): void;
  setError(error: string | null): void;
}

export type StuckStore = StoreApi<StuckState>;

export function matchesStuckFilter(b: StuckBook, filter: string): boolean {
  const f = filter.trim().toLowerCase();
  if (f === '') return true;
  return b.state === f || b.reason === f || b.source_path.toLowerCase().includes(f) || b.id.startsWith(f);
}

/** The selection after the list changed: the same book if still there, else the row at its index. */
export function followSelection<T extends { id: string }>(
  prev: readonly T[],
  next: readonly T[],
  selectedId: string | null,
): string | null {
  if (next.length === 0) return null;
  if (selectedId !== null && next.some((b) => b.id === selectedId)) return selectedId;
  const oldIndex = selectedId === null ? 0 : Math.max(0, prev.findIndex((b) => b.id === selectedId));
  return next[Math.min(oldIndex, next.length - 1)]?.id ?? null;
}

export function createStuckStore(): StuckStore {
  return createStore<StuckState>()((set, get) => {
    const derive = (all: readonly StuckBook[], filter: string, prevBooks: readonly StuckBook[], selectedId: string | null) => {
      const books = keepIfSame(prevBooks, all.filter((b) => matchesStuckFilter(b, filter)));
      return { books, selectedId: followSelection(prevBooks, books, selectedId) };
    };
    return {
      books: [],
      all: [],
      count: 0,
      countCapped: false,
      filter: '',
      selectedId: null,
      loaded: false,
      error: null,
      applySnapshot: (incoming, total) => {
        const s = get();
        const count = Math.max(incoming.length, total?.count ?? incoming.length);
        const countCapped = total?.capped ?? false;
        const sameTotal = s.count === count && s.countCapped === countCapped;
        if (s.loaded && s.error === null && sameTotal && sameData(s.all, incoming)) return;
        const all = keepIfSame(s.all, incoming);
        set({ all, count, countCapped, loaded: true, error: null, ...derive(all, s.filter, s.books, s.selectedId) });
      },
      setFilter: (filter) => {
        const s = get();
        if (s.filter === filter) return;
        set({ filter, ...derive(s.all, filter, s.books, s.selectedId) });
      },
      select: (id) => {
        if (get().selectedId !== id) set({ selectedId: id });
      },
      setError: (error) => {
        if (get().error !== error) set({ error });
      },
    };
  });
}
