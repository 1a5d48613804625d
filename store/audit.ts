/**
 * The Audit tab's window over the log, newest first. Audit ids only grow, so the window is kept
 * by id: in follow mode it stays on the newest entries; otherwise it stays where the person
 * scrolled, and entries arriving meanwhile do not move the rows under the cursor.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { AuditRow } from '../src/db/audit.js';
import { listWindowSlice, type ListWindow, type ListWindowState } from './window-store.js';
import { windowNav, type ListIntent, type ListReads, type OnScreen } from './window-nav.js';
import type { AuditFilter, AuditSource, CappedCount } from './sources.js';

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

export type AuditIntent = ListIntent;

interface Current extends OnScreen<AuditRow, number> {
  readonly filter: AuditFilter;
  readonly follow: boolean;
}

/** The log newest first, keyed by id (ids only grow), with the filter bound. */
function auditReads(source: AuditSource, f: AuditFilter, count: CappedCount): ListReads<AuditRow, number> {
  return {
    keyOf: (r) => r.id,
    after: (id, limit) => source.olderFrom(id === undefined ? undefined : id - 1, limit, f),
    from: (id, limit) => source.olderFrom(id, limit, f),
    before: (id, limit) => (id === undefined ? source.oldest(limit, f) : source.newerThan(id, limit, f)),
    positionOf: async (id) => Math.min((await source.count(f, id)).count, count.count),
    // With a capped count the oldest entries' position is unknown: "beyond 10,000".
    bottomStart: async (rows) => (count.capped ? count.count : Math.max(0, count.count - rows.length)),
  };
}

export async function loadAuditWindow(source: AuditSource, cur: Current, intent: AuditIntent, capacity: number): Promise<AuditWindow> {
  const count = await source.count(cur.filter);
  const nav = windowNav(auditReads(source, cur.filter, count), cur, count, capacity);
  switch (intent.kind) {
    case 'refresh': {
      // Following: the cursor rides on the newest entry, so each new entry takes it.
      if (cur.follow) return nav.top();
      const sel = nav.selected;
      if (!sel) return nav.top();
      return nav.placeAt(sel.id, nav.screenRow, sel.id);
    }
    default:
      return nav.go(intent);
  }
}
