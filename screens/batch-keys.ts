/**
 * The Batch tab's keys: edit the filter form, and approve or reject exactly the books the preview
 * on screen shows (ops.batch applies the previewed ids and versions, skipping any that changed).
 */
import type { BatchPreview } from '../src/ops/types.js';
import { formatCount, plural } from '../src/text/format.js';
import { DEFAULT_BATCH_MAX_COUNT } from '../src/domain/batch-limits.js';
import { BATCH_FIELDS, describeBatchFilter, formToFilter, previewIsCurrent } from '../store/batch.js';
import type { KeyDeps, KeyHandlers } from './tab-keys.js';
import { reasonPrompt } from './reason-prompt.js';

export interface BatchKeys {
  readonly handlers: KeyHandlers<'batch'>;
  /** Runs the preview for the form as it is now (also the poller's batch feed). */
  loadPreview(): Promise<void>;
}

export function batchKeys(deps: KeyDeps): BatchKeys {
  const ui = () => deps.stores.ui.getState();
  const batch = () => deps.stores.batch.getState();

  // Always an approve preview: it is what `a` applies, and `x` reuses it with the operation swapped.
  // Whatever goes wrong (a bad field, a state approve cannot act on) leaves no preview: the
  // error is what the pane shows and what `a`/`x` answer with.
  async function loadPreview(): Promise<void> {
    const form = batch().form;
    let preview: BatchPreview;
    try {
      preview = await deps.services.ops.batch.preview(formToFilter(form, deps.services.clock()), { kind: 'approve' });
    } catch (err) {
      batch().applyPreview(null, err instanceof Error ? err.message : String(err), form);
      return;
    }
    batch().applyPreview(preview, null, form);
  }

  function editField(): void {
    const b = batch();
    const field = BATCH_FIELDS[b.field];
    if (!field) return;
    ui().setOverlay({
      kind: 'prompt',
      label: field.label,
      initialValue: b.form[field.id],
      placeholder: field.hint,
      onSubmit: (v) => {
        ui().closeOverlay();
        batch().setValue(field.id, v.trim());
        batch().setApplied(null);
        return loadPreview();
      },
      onCancel: () => ui().closeOverlay(),
    });
  }

  async function clearField(): Promise<void> {
    const b = batch();
    const field = BATCH_FIELDS[b.field];
    if (field) b.setValue(field.id, '');
    await loadPreview();
  }

  function askBatch(kind: 'approve' | 'reject'): void {
    const b = batch();
    const label = kind === 'approve' ? 'approve' : 'reject';
    // The preview on screen now is the one that will be applied, object and all, and only when
    // it was made for the form on screen now.
    const preview = b.preview;
    if (!preview || !previewIsCurrent(b)) {
      // Short: the status line is narrow at 80 columns, and the pane already says why.
      ui().setMessage({ text: `${label}: refused, no preview of this filter`, tone: 'warning' });
      return;
    }
    const form = b.form;
    const filterText = describeBatchFilter(preview.filter);
    if (preview.exceeds_max) {
      ui().setMessage({
        text: `${plural(preview.matched, 'book')} match, over the max count ${formatCount(preview.filter.max_count ?? DEFAULT_BATCH_MAX_COUNT)}: narrow the filter or raise Max count`,
        tone: 'warning',
      });
      return;
    }
    if (preview.books.length === 0) {
      ui().setMessage({ text: 'No books match the filter', tone: 'warning' });
      return;
    }
    const count = preview.books.length;
    const ask = (toApply: BatchPreview, reason?: string): void =>
      ui().setOverlay({
        kind: 'confirm',
        action: kind === 'approve' ? 'Approve' : 'Reject',
        subject: `the ${formatCount(count)} previewed book${count === 1 ? '' : 's'}`,
        count,
        detail: `Filter: ${filterText}${reason !== undefined ? `. Reason: ${reason}` : ''}`,
        destructive: kind === 'reject',
        onConfirm: () =>
          deps.write(async () => {
            // Lists are frozen while the dialog is open, but say no rather than act on a stale one.
            if (batch().form !== form || batch().preview !== preview) throw new Error(`${label}: the filter changed; nothing was done`);
            const result = await deps.services.ops.batch.apply(toApply, deps.actor);
            batch().setApplied({ verb: kind === 'approve' ? 'approved' : 'rejected', result });
            const skipped = result.skipped.length > 0 ? `, ${result.skipped.length} skipped (changed since the preview)` : '';
            return `${kind === 'approve' ? 'Approved' : 'Rejected'} ${plural(result.affected, 'book')}${skipped} (audit #${result.audit_id ?? '-'})`;
          }),
      });
    if (kind === 'approve') return ask(preview);
    ui().setOverlay(
      reasonPrompt({
        subject: plural(count, 'book'),
        // The same books and versions as previewed; only the operation differs.
        onReason: (reason) => ask({ ...preview, operation: { kind: 'reject', reason } }, reason),
        onCancel: () => ui().closeOverlay(),
      }),
    );
  }

  return {
    handlers: {
      'batch.nextField': () => batch().setField(batch().field + 1),
      'batch.prevField': () => batch().setField(batch().field - 1),
      'batch.edit': () => editField(),
      'batch.clearField': () => clearField(),
      'batch.approve': () => askBatch('approve'),
      'batch.reject': () => askBatch('reject'),
    },
    loadPreview,
  };
}
