/**
 * The Stuck tab's keys: reset, retry or reject the selected book through `ops.recovery`, and what
 * the list keys mean on a list that is held in memory (the detector returns at most a few hundred).
 */
import type { RecoveryAction } from '../src/ops/types.js';
import { shortId } from '../src/cli/format.js';
import { bookLabel, stuckDetails } from './describe.js';
import { bookStory } from './book-story.js';
import type { KeyDeps, KeyHandlers, ListKeys } from './tab-keys.js';
import { reasonPrompt } from './reason-prompt.js';

export interface StuckKeys {
  readonly handlers: KeyHandlers<'stuck'>;
  readonly list: ListKeys;
}

const RECOVERY_VERBS: Record<RecoveryAction, string> = { reset: 'Reset', retry: 'Retry', reject: 'Reject' };

export function stuckKeys(deps: KeyDeps): StuckKeys {
  const ui = () => deps.stores.ui.getState();
  const stuck = () => deps.stores.stuck.getState();
  const selected = () => {
    const st = stuck();
    return st.books.find((b) => b.id === st.selectedId);
  };

  function askRecovery(action: RecoveryAction): void {
    const book = selected();
    if (!book) return;
    const verb = RECOVERY_VERBS[action];
    const detail: Record<RecoveryAction, string> = {
      reset: `Releases the claim and starts it over (it is ${book.state}).`,
      retry: `Queues it again as needs_retry (it is ${book.state}).`,
      reject: '',
    };
    const ask = (reason?: string): void =>
      ui().setOverlay({
        kind: 'confirm',
        action: verb,
        subject: `book ${bookLabel(book)}`,
        count: 1,
        detail: reason !== undefined ? `Reason: ${reason}` : detail[action],
        destructive: action !== 'retry',
        onConfirm: () =>
          deps.write(async () => {
            const r = await deps.services.ops.recovery.recover(book.id, action, deps.actor, reason);
            return `${verb} ${shortId(book.id)}: now ${r.pipeline.state} (audit #${r.audit_id})`;
          }),
      });
    if (action !== 'reject') return ask();
    // A rejection is final for the book, so the audit log must say why.
    ui().setOverlay(reasonPrompt({ subject: bookLabel(book), onReason: (reason) => ask(reason), onCancel: () => ui().closeOverlay() }));
  }

  const list: ListKeys = {
    move: async (delta) => {
      const st = stuck();
      const i = st.books.findIndex((b) => b.id === st.selectedId);
      const next = st.books[Math.max(0, Math.min(st.books.length - 1, i + delta))];
      if (next) st.select(next.id);
    },
    jump: async (to) => {
      const st = stuck();
      const b = to === 'top' ? st.books[0] : st.books[st.books.length - 1];
      if (b) st.select(b.id);
    },
    selectedDetails: async () => {
      const b = selected();
      if (!b) return null;
      // Why it is stuck first, then the book's whole story (states, audit) as on every tab.
      const row = await deps.services.engine.pipelines.get(b.id);
      const story = row ? await bookStory(deps.services, row, 'stuck') : null;
      const why = stuckDetails(b);
      const said = new Set(why.map((i) => i.label));
      const rest = (story?.items ?? []).filter((i) => i.heading === true || !said.has(i.label) || i.label === '');
      return { tab: 'stuck', id: b.id, title: `Stuck book ${bookLabel(b)}`, items: [...why, ...rest], offset: 0 };
    },
    selection: () => ({ hasSelection: stuck().selectedId !== null }),
    filterPlaceholder: 'state, reason or part of the path',
    filterText: () => stuck().filter,
    setFilter: async (text) => stuck().setFilter(text),
    describeFilter: (text) => text.trim(),
  };

  return {
    handlers: {
      'stuck.reset': () => askRecovery('reset'),
      'stuck.retry': () => askRecovery('retry'),
      'stuck.reject': () => askRecovery('reject'),
      'stuck.filter': () => deps.askFilter(),
    },
    list,
  };
}
