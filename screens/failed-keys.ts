/**
 * The Failed tab's keys: retry or reject the selected book through `ops.batch` (the service the
 * Batch tab applies with: a preview of exactly this book and its version, then apply, which
 * skips it if it changed meanwhile and writes the audit rows in the same transaction), and the
 * list keys over a keyset window.
 */
import { shortId } from '../src/cli/format.js';
import type { BatchOperation } from '../src/ops/types.js';
import { FailedSource } from '../store/failed-source.js';
import { loadFailedWindow, type FailedIntent } from '../store/failed.js';
import { bookLabel } from './describe.js';
import { bookListKeys, selectedBook } from './book-list-keys.js';
import type { KeyDeps, KeyHandlers, ListKeys } from './tab-keys.js';
import { reasonPrompt } from './reason-prompt.js';

export interface FailedKeys {
  readonly handlers: KeyHandlers<'failed'>;
  readonly list: ListKeys;
  load(intent: FailedIntent): Promise<void>;
}

export function failedKeys(deps: KeyDeps): FailedKeys {
  const source = new FailedSource(deps.services);
  const ui = () => deps.stores.ui.getState();
  const failed = () => deps.stores.failed.getState();
  const selectedRow = () => selectedBook(failed());

  async function load(intent: FailedIntent): Promise<void> {
    const w = await loadFailedWindow(source, failed(), intent, deps.listRows());
    failed().applyWindow(w);
  }

  async function act(kind: 'retry' | 'reject'): Promise<void> {
    const row = selectedRow();
    if (!row) return;
    const verb = kind === 'retry' ? 'Retry' : 'Reject';
    const confirm = async (op: BatchOperation, reason?: string): Promise<void> => {
      // The book as it is now and its version: apply skips it if it moves before the answer.
      const preview = await deps.services.ops.batch.preview({ ids: [row.id], states: [row.state], max_count: 1 }, op);
      if (preview.books.length !== 1) {
        ui().setMessage({ text: `${verb}: ${bookLabel(row)} is no longer ${row.state}`, tone: 'warning' });
        return;
      }
      ui().setOverlay({
        kind: 'confirm',
        action: verb,
        subject: `book ${bookLabel(row)}`,
        count: 1,
        detail: reason !== undefined ? `Reason: ${reason}` : `It is ${row.state}; attempts start over and it is queued again.`,
        destructive: kind === 'reject',
        onConfirm: () =>
          deps.write(async () => {
            const r = await deps.services.ops.batch.apply(preview, deps.actor);
            if (r.affected === 0) throw new Error(`${verb}: ${shortId(row.id)} changed since, nothing done (${r.skipped[0]?.why ?? 'skipped'})`);
            const now = await deps.services.engine.pipelines.get(row.id);
            return `${verb} ${shortId(row.id)}: now ${now?.state ?? '?'} (audit #${r.audit_id ?? '-'})`;
          }),
      });
    };
    await deps.safe(() => {
      if (kind === 'retry') return confirm({ kind: 'retry' });
      ui().setOverlay(
        reasonPrompt({
          subject: bookLabel(row),
          onReason: (reason) => deps.safe(() => confirm({ kind: 'reject', reason }, reason)),
          onCancel: () => ui().closeOverlay(),
        }),
      );
    });
  }

  const list = bookListKeys(deps, { tab: 'failed', state: failed, load, selected: (row) => ({ selectedState: row.state }) });

  return {
    handlers: {
      'failed.retry': () => act('retry'),
      'failed.reject': () => act('reject'),
      'failed.filter': () => deps.askFilter(),
    },
    list,
    load,
  };
}
