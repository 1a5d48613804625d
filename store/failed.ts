/**
 * The Failed tab's window: failed and needs_retry books, most recently failed first, and the
 * selected book by id. Windows are read by keyset around the selection (store/failed-source.ts),
 * so moving costs the same at row 10 and row 900,000.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { PipelineRow } from '../src/db/pipeline-row.js';
import { listWindowSlice, textFilterSlice, type ListWindow, type ListWindowState, type TextFilterState } from './window-store.js';
import { windowNav, type ListIntent, type ListReads, type OnScreen } from './window-nav.js';
import { failedKeyOf, type FailedKey, type FailedSource } from './failed-source.js';

export type FailedWindow = ListWindow<PipelineRow, string>;

export interface FailedState extends ListWindowState<PipelineRow, string>, TextFilterState {}

export type FailedStore = StoreApi<FailedState>;

export function createFailedStore(): FailedStore {
  return createStore<FailedState>()((set, get) => ({ ...listWindowSlice(set, get), ...textFilterSlice(set, get) }));
}

export type FailedIntent = ListIntent;

interface Current extends OnScreen<PipelineRow, string> {
  readonly filter: string;
}

/** The Failed list (newest first) as keyset reads with the filter bound. */
function failedReads(source: FailedSource, filter: string, total: number): ListReads<PipelineRow, FailedKey> {
  return {
    keyOf: failedKeyOf,
    after: (key, limit) => source.older(key, limit, filter),
    from: (key, limit) => source.older(key, limit, filter, true),
    before: (key, limit) => source.newer(key, limit, filter),
    positionOf: (key) => source.positionOf(key, filter),
    bottomStart: async (rows) => Math.max(0, total - rows.length),
  };
}

export async function loadFailedWindow(source: FailedSource, cur: Current, intent: FailedIntent, capacity: number): Promise<FailedWindow> {
  const count = await source.total(cur.filter);
  const nav = windowNav(failedReads(source, cur.filter, count.count), cur, count, capacity);
  switch (intent.kind) {
    case 'refresh': {
      const sel = nav.selected;
      if (!sel) return nav.top();
      // Retried or rejected since: keep the place, select the book that took its row.
      const now = await source.current(sel.id);
      return now ? nav.placeAt(failedKeyOf(now), nav.screenRow, now.id) : nav.placeAt(failedKeyOf(sel), nav.screenRow, null);
    }
    default:
      return nav.go(intent);
  }
}
