/**
 * The Queue tab's keys: a person's priority for the selected book (raise, lower, set) through
 * BookActions, and the list keys over a keyset window, so only the visible rows are read at any
 * depth of the queue.
 */
import { MAX_PRIORITY, MIN_PRIORITY } from '../src/domain/states.js';
import { shortId } from '../src/cli/format.js';
import { QueueSource, keyOf } from '../store/sources.js';
import { loadQueueWindow, type QueueIntent } from '../store/queue.js';
import { bookLabel } from './describe.js';
import { bookListKeys, selectedBook } from './book-list-keys.js';
import type { KeyDeps, KeyHandlers, ListKeys } from './tab-keys.js';

export interface QueueKeys {
  readonly handlers: KeyHandlers<'queue'>;
  readonly list: ListKeys;
  /** Loads the window `intent` asks for (also the poller's queue feed). */
  load(intent: QueueIntent): Promise<void>;
}

export function queueKeys(deps: KeyDeps): QueueKeys {
  const source = new QueueSource(deps.services);
  const ui = () => deps.stores.ui.getState();
  const queue = () => deps.stores.queue.getState();
  const selectedRow = () => selectedBook(queue());

  async function load(intent: QueueIntent): Promise<void> {
    const q = queue();
    const w = await loadQueueWindow(source, q, intent, deps.listRows());
    queue().applyWindow(w);
  }

  async function setPriority(id: string, priority: number): Promise<void> {
    const row = selectedRow();
    await deps.write(async () => {
      const r = await deps.services.actions.setPriority(id, priority, deps.actor);
      return r.changed ? `Priority of ${shortId(id)} set to ${priority} (audit #${r.auditId})` : `Priority of ${shortId(id)} is already ${priority}; nothing changed`;
    });
    // The cursor follows the book to its new place in claim order.
    await deps.safe(() => load({ kind: 'follow', id, ...(row ? { key: keyOf(row) } : {}) }));
  }

  async function bumpPriority(delta: number): Promise<void> {
    const row = selectedRow();
    if (!row) return;
    await setPriority(row.id, Math.max(MIN_PRIORITY, Math.min(MAX_PRIORITY, row.priority + delta)));
  }

  function askPriority(): void {
    const row = selectedRow();
    if (!row) return;
    ui().setOverlay({
      kind: 'prompt',
      label: `Priority for ${bookLabel(row)} (1 = first)`,
      initialValue: String(row.priority),
      digitsOnly: true,
      validate: (v) => {
        const n = Number(v);
        return Number.isInteger(n) && n >= MIN_PRIORITY && n <= MAX_PRIORITY ? null : `Type a number from ${MIN_PRIORITY} to ${MAX_PRIORITY}`;
      },
      onSubmit: (v) => setPriority(row.id, Number(v)),
      onCancel: () => ui().closeOverlay(),
    });
  }

  const list = bookListKeys(deps, { tab: 'queue', state: queue, load, selected: (row) => ({ selectedPriority: row.priority }) });

  return {
    handlers: {
      // Priority 1 is claimed first, so raising lowers the number.
      'queue.raisePriority': () => bumpPriority(-1),
      'queue.lowerPriority': () => bumpPriority(1),
      'queue.setPriority': () => askPriority(),
      'queue.filter': () => deps.askFilter(),
    },
    list,
    load,
  };
}
