/**
 * What the list tabs (Queue, Failed, Audit) hold in common: the keyset window on screen, its
 * place in the whole list, the selection by id, and whether it has loaded or failed. Each tab's
 * store is this slice plus its own filter; each tab's loader computes the next `ListWindow`.
 *
 * Every setter here leaves the store untouched when nothing changed, so an idle refresh hands
 * React the same objects, renders nothing and Ink writes 0 bytes.
 */
import { keepIfSame } from './equal.js';

export interface ListWindow<Row, Id> {
  readonly rows: readonly Row[];
  /** Position of rows[0] in the (filtered) list. */
  readonly windowStart: number;
  readonly total: number;
  /** `total` (and a `windowStart` that reached it) is a count that stopped at its cap: there are more. */
  readonly totalCapped: boolean;
  readonly selectedId: Id | null;
}

export interface ListWindowState<Row, Id> extends ListWindow<Row, Id> {
  readonly loaded: boolean;
  readonly error: string | null;
  applyWindow(w: ListWindow<Row, Id>): void;
  setError(error: string | null): void;
}

/** zustand's `set` and `get`, narrowed to the fields a slice writes and reads. */
type Set<S> = (partial: Partial<S>) => void;
type Get<S> = () => S;

/** The shared window fields and setters, for spreading into a tab store's initialiser. */
export function listWindowSlice<Row, Id>(set: Set<ListWindowState<Row, Id>>, get: Get<ListWindowState<Row, Id>>): ListWindowState<Row, Id> {
  return {
    rows: [],
    windowStart: 0,
    total: 0,
    totalCapped: false,
    selectedId: null,
    loaded: false,
    error: null,
    applyWindow: (w) => {
      const s = get();
      const rows = keepIfSame(s.rows, w.rows);
      if (
        s.loaded &&
        s.error === null &&
        rows === s.rows &&
        s.windowStart === w.windowStart &&
        s.total === w.total &&
        s.totalCapped === w.totalCapped &&
        s.selectedId === w.selectedId
      ) {
        return;
      }
      set({ ...w, rows, loaded: true, error: null });
    },
    setError: (error) => {
      if (get().error !== error) set({ error });
    },
  };
}

/** The filter text of a tab whose filter is the typed text itself (Queue, Failed). */
export interface TextFilterState {
  readonly filter: string;
  setFilter(filter: string): void;
}

export function textFilterSlice(set: Set<TextFilterState>, get: Get<TextFilterState>): TextFilterState {
  return {
    filter: '',
    setFilter: (filter) => {
      if (get().filter !== filter) set({ filter });
    },
  };
}
