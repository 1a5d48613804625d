/**
 * The Queue tab's window: the rows on screen, where they sit in the whole queue, and the
 * selected book (by id). `loadQueueWindow` computes the next window for a navigation intent by
 * keyset queries around the selected book, so the cost is the same at row 10 and row 999,990.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { PipelineRow } from '../src/db/pipeline-row.js';
import { listWindowSlice, textFilterSlice, type ListWindow, type ListWindowState, type TextFilterState } from './window-store.js';
import { windowNav, type ListIntent, type ListReads, type OnScreen } from './window-nav.js';
import { keyOf, type CappedCount, type QueueKey, type QueueSource } from './sources.js';

export type QueueWindow = ListWindow<PipelineRow, string>;

export interface QueueState extends ListWindowState<PipelineRow, string>, TextFilterState {}

export type QueueStore = StoreApi<QueueState>;

export function createQueueStore(): QueueStore {
  return createStore<QueueState>()((set, get) => ({ ...listWindowSlice(set, get), ...textFilterSlice(set, get) }));
}

export type QueueIntent =
  | ListIntent
  /** Keep `id` selected at its current screen row (after its priority moved it). */
  | { readonly kind: 'follow'; readonly id: string; readonly key?: QueueKey };

interface Current extends OnScreen<PipelineRow, string> {
  readonly filter: string;
}

/** The queue in claim order as keyset reads with the filter bound. */
function queueReads(source: QueueSource, filter: string, count: CappedCount): ListReads<PipelineRow, QueueKey> {
  return {
    keyOf,
    after: (key, limit) => source.after(key, limit, filter),
    from: (key, limit) => source.from(key, limit, filter),
    before: (key, limit) => source.before(key, limit, filter),
    positionOf: (key) => source.positionOf(key, filter),
    bottomStart: async (rows) => (count.capped && rows[0] ? source.positionOf(keyOf(rows[0]), filter) : Math.max(0, count.count - rows.length)),
  };
}

/**
 * The window for `intent` given what is on screen. `capacity` is how many rows fit.
 */
export async function loadQueueWindow(source: QueueSource, cur: Current, intent: QueueIntent, capacity: number): Promise<QueueWindow> {
  const count = await source.total(cur.filter);
  const nav = windowNav(queueReads(source, cur.filter, count), cur, count, capacity);
  switch (intent.kind) {
    case 'follow': {
      const row = await source.queued(intent.id);
      if (row) return nav.placeAt(keyOf(row), nav.screenRow, row.id);
      if (intent.key) return nav.placeAt(intent.key, nav.screenRow, null);
      return nav.top();
    }
    case 'refresh': {
      const sel = nav.selected;
      if (!sel) return cur.rows.length === 0 ? nav.top() : nav.placeAt(keyOf(cur.rows[0]!), 0, null);
      const now = await source.queued(sel.id);
      // Gone (claimed, rejected): keep the place, select the book that took its row.
      return now ? nav.placeAt(keyOf(now), nav.screenRow, now.id) : nav.placeAt(keyOf(sel), nav.screenRow, null);
    }
    default:
      return nav.go(intent);
  }
}
