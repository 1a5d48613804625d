/**
 * The list keys of a tab that lists books by a text filter (Queue, Failed): moves and jumps load
 * a keyset window, details read the selected book as it is now, and a new filter starts again
 * from the top. The tab adds its own row keys and what its selection enables.
 */
import type { PipelineRow } from '../src/db/pipeline-row.js';
import { FILTER_GRAMMAR_HINT } from '../store/filter-grammar.js';
import type { ListIntent } from '../store/window-nav.js';
import { bookStory } from './book-story.js';
import type { BindingContext, TabId } from './keymap.js';
import type { KeyDeps, ListKeys } from './tab-keys.js';

/** What the list keys read and write of the tab's store. */
export interface BookListState {
  readonly rows: readonly PipelineRow[];
  readonly selectedId: string | null;
  readonly filter: string;
  setFilter(filter: string): void;
}

export interface BookListOptions {
  readonly tab: TabId;
  readonly state: () => BookListState;
  readonly load: (intent: ListIntent) => Promise<void>;
  /** The selection's part of the binding context beyond having one. */
  readonly selected: (row: PipelineRow) => Omit<BindingContext, 'readOnly' | 'hasSelection'>;
}

/** The selected row as the window holds it (a poll old at most). */
export function selectedBook(s: Pick<BookListState, 'rows' | 'selectedId'>): PipelineRow | undefined {
  return s.rows.find((r) => r.id === s.selectedId);
}

export function bookListKeys(deps: KeyDeps, o: BookListOptions): ListKeys {
  return {
    move: (delta) => o.load({ kind: 'move', delta }),
    jump: (to) => o.load({ kind: to }),
    selectedDetails: async () => {
      // The window row may be a poll old: details read the book as it is now.
      const id = o.state().selectedId;
      const row = id ? await deps.services.engine.pipelines.get(id) : undefined;
      return row ? bookStory(deps.services, row, o.tab) : null;
    },
    selection: () => {
      const row = selectedBook(o.state());
      return { hasSelection: row !== undefined, ...(row ? o.selected(row) : {}) };
    },
    filterPlaceholder: FILTER_GRAMMAR_HINT,
    filterText: () => o.state().filter,
    setFilter: (text) => {
      o.state().setFilter(text);
      return o.load({ kind: 'top' });
    },
    describeFilter: (text) => text.trim(),
  };
}
