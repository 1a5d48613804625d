/**
 * The console's behaviour, outside React: what each key binding does, the feeds the poller runs,
 * and the single exit path. Screens draw the stores; the root screen's one `useInput` hands keys
 * to `handleKey`, which resolves them through the keymap registry (so help, footer and behaviour
 * cannot drift) and refuses disabled or read-only bindings with a message.
 *
 * Every write goes through the domain services (BookActions, ops.recovery, ops.batch), then
 * `poller.refreshNow()` — our own commits do not move `PRAGMA data_version`.
 */
import type { Key } from 'ink';
import type { Services } from '../src/services.js';
import type { Actor } from '../src/domain/actor.js';
import type { BatchPreview, OpsServices, RecoveryAction } from '../src/ops/types.js';
import { MAX_PRIORITY, MIN_PRIORITY } from '../src/domain/states.js';
import { shortId } from '../src/cli/format.js';
import { formatCount } from '../components/text.js';
import { Poller, type Feed } from '../store/poller.js';
import type { ConsoleStores } from '../store/stores.js';
import { isModal, type Overlay } from '../store/ui.js';
import { AuditSource, QueueSource, describeAuditFilter, keyOf, parseAuditFilter } from '../store/sources.js';
import { loadQueueWindow, type QueueIntent } from '../store/queue.js';
import { loadAuditWindow, type AuditIntent } from '../store/audit.js';
import { BATCH_FIELDS, formToFilter } from '../store/batch.js';
import {
  bindingsFor,
  cycleTab,
  disabledReason,
  getBinding,
  helpSections,
  keyNameOf,
  tabOfBinding,
  type BindingContext,
  type BindingId,
  type Scope,
  type TabId,
} from './keymap.js';
import { auditDetails, bookDetails, bookLabel, stuckDetails } from './describe.js';
import { helpLineCount } from '../components/HelpOverlay.js';
import { unicodeGlyphs } from '../components/theme.js';

export interface ControllerOptions {
  readonly services: Services;
  readonly stores: ConsoleStores;
  readonly actor: Actor;
  readonly readOnly: boolean;
  readonly refreshMs: number;
  /** How many stuck books to ask the detector for. */
  readonly stuckLimit?: number;
  readonly recheckMs?: number;
}

/** Lines the list screens have for table rows, and for the help overlay; set by the root on resize. */
export interface ConsoleLayout {
  readonly listRows: number;
  readonly helpLines: number;
}

const READ_ONLY_HINT = 'refused (read-only)';

export class ConsoleController {
  readonly services: Services;
  readonly stores: ConsoleStores;
  readonly actor: Actor;
  readonly readOnly: boolean;
  readonly poller: Poller;
  readonly queueSource: QueueSource;
  readonly auditSource: AuditSource;
  private layout: ConsoleLayout = { listRows: 15, helpLines: 15 };
  private exitApp: (() => void) | null = null;
  private exited = false;
  private readonly stuckLimit: number;

  constructor(opts: ControllerOptions) {
    this.services = opts.services;
    this.stores = opts.stores;
    this.actor = opts.actor;
    this.readOnly = opts.readOnly;
    this.stuckLimit = opts.stuckLimit ?? 200;
    this.queueSource = new QueueSource(opts.services);
    this.auditSource = new AuditSource(opts.services);
    this.poller = new Poller({
      db: opts.services.db,
      ui: opts.stores.ui,
      feeds: this.feeds(),
      refreshMs: opts.refreshMs,
      clock: opts.services.clock,
      ...(opts.recheckMs !== undefined ? { recheckMs: opts.recheckMs } : {}),
    });
  }

  get ops(): OpsServices {
    return this.services.ops;
  }

  private get ui() {
    return this.stores.ui.getState();
  }

  // ── lifecycle ──────────────────────────────────────────────────────────────────────────

  /** The root screen registers Ink's `exit` here; `quit` is the only caller. */
  bindExit(exit: () => void): void {
    this.exitApp = exit;
  }

  /** The one way out: stop polling, then unmount Ink (run-console closes the db and the screen). */
  quit(): void {
    if (this.exited) return;
    this.exited = true;
    this.poller.stop();
    this.exitApp?.();
  }

  get hasQuit(): boolean {
    return this.exited;
  }

  setLayout(layout: ConsoleLayout): void {
    const changed = layout.listRows !== this.layout.listRows;
    this.layout = layout;
    if (changed && this.poller.hasPolled) this.reloadActive();
  }

  get listRows(): number {
    return Math.max(1, this.layout.listRows);
  }

  // ── feeds ──────────────────────────────────────────────────────────────────────────────

  private feeds(): Feed[] {
    const s = this.stores;
    const tab = (): TabId => s.ui.getState().tab;
    const frozen = (): boolean => isModal(s.ui.getState().overlay);
    return [
      {
        name: 'health',
        wanted: () => true,
        load: () => s.health.getState().applySnapshot(this.ops.health.report()),
        fail: (m) => s.health.getState().setError(m),
      },
      {
        name: 'stuck',
        wanted: () => tab() === 'stuck' && !frozen(),
        load: () => s.stuck.getState().applySnapshot(this.ops.stuck.detect({ limit: this.stuckLimit })),
        fail: (m) => s.stuck.getState().setError(m),
      },
      {
        name: 'queue',
        wanted: () => tab() === 'queue' && !frozen(),
        load: () => this.loadQueue({ kind: 'refresh' }),
        fail: (m) => s.queue.getState().setError(m),
      },
      {
        name: 'batch',
        wanted: () => tab() === 'batch' && !frozen(),
        load: () => this.loadPreview(),
        fail: (m) => s.batch.getState().applyPreview(null, m),
      },
      {
        name: 'audit',
        wanted: () => tab() === 'audit' && !frozen(),
        load: () => this.loadAudit({ kind: 'refresh' }),
        fail: (m) => s.audit.getState().setError(m),
      },
    ];
  }

  private loadQueue(intent: QueueIntent): void {
    const q = this.stores.queue.getState();
    q.applyWindow(loadQueueWindow(this.queueSource, q, intent, this.listRows));
  }

  private loadAudit(intent: AuditIntent): void {
    const a = this.stores.audit.getState();
    a.applyWindow(loadAuditWindow(this.auditSource, a, intent, this.listRows));
  }

  /** Runs the batch preview for the form as it is now (an approve preview: what `a` applies). */
  loadPreview(): void {
    const b = this.stores.batch.getState();
    let filter;
    try {
      filter = formToFilter(b.form, this.services.clock());
    } catch (err) {
      b.applyPreview(null, (err as Error).message);
      return;
    }
    b.applyPreview(this.ops.batch.preview(filter, { kind: 'approve' }), null);
  }

  private reloadActive(): void {
    this.poller.refreshNow();
  }

  // ── keys ───────────────────────────────────────────────────────────────────────────────

  /** The scope keys are matched in now: the open overlay, else the active tab. */
  activeScope(): Scope {
    const o = this.ui.overlay;
    if (o.kind === 'help') return 'help';
    if (o.kind === 'confirm') return 'confirm';
    if (o.kind === 'prompt') return 'prompt';
    return this.ui.tab;
  }

  bindingContext(tab: TabId = this.ui.tab): BindingContext {
    const s = this.stores;
    if (tab === 'stuck') return { readOnly: this.readOnly, hasSelection: s.stuck.getState().selectedId !== null };
    if (tab === 'queue') {
      const q = s.queue.getState();
      const row = q.rows.find((r) => r.id === q.selectedId);
      return { readOnly: this.readOnly, hasSelection: row !== undefined, ...(row ? { selectedPriority: row.priority } : {}) };
    }
    if (tab === 'audit') return { readOnly: this.readOnly, hasSelection: s.audit.getState().selectedId !== null };
    return { readOnly: this.readOnly };
  }

  /**
   * Root input handler. Confirm and prompt overlays read their own keys (ConfirmDialog,
   * TextPrompt); here only the bindings marked `inOverlays` (Ctrl-C) pass through them.
   */
  handleKey(input: string, key: Key, overlayAtRender: Overlay['kind'] = this.ui.overlay.kind): void {
    const name = keyNameOf(input, key);
    if (name === null) return;
    // A dialog that handled this very key may already have closed itself (Esc, Enter): the key
    // was its, so judge by what was on screen when the key arrived.
    const dialogOpen = overlayAtRender === 'confirm' || overlayAtRender === 'prompt';
    const scope = dialogOpen ? overlayAtRender : this.activeScope();
    const binding = bindingsFor(scope).find((b) => b.keys.includes(name));
    if (!binding) return;
    if ((scope === 'confirm' || scope === 'prompt') && binding.inOverlays !== true) return;
    this.run(binding.id as BindingId);
  }

  /** Runs a binding by id, refusing it (with the reason in the status bar) when disabled. */
  run(id: BindingId): void {
    const binding = getBinding(id);
    const reason = disabledReason(binding, this.bindingContext());
    if (reason !== null) {
      this.ui.setMessage({
        text: `${binding.label}: ${reason === 'read-only' ? READ_ONLY_HINT : reason}`,
        tone: 'warning',
      });
      return;
    }
    const tab = tabOfBinding(id);
    if (tab) return this.switchTab(tab);
    switch (id) {
      case 'global.nextTab':
        return this.switchTab(cycleTab(this.ui.tab, 1));
      case 'global.prevTab':
        return this.switchTab(cycleTab(this.ui.tab, -1));
      case 'global.help':
        return this.ui.setOverlay({ kind: 'help', offset: 0 });
      case 'global.pause': {
        const paused = !this.ui.paused;
        this.ui.setPaused(paused);
        this.ui.setMessage(paused ? { text: 'Refresh paused (Space resumes)', tone: 'warning' } : { text: 'Refresh resumed' });
        if (!paused) this.poller.refreshNow();
        else this.poller.updateAges();
        return;
      }
      case 'global.refresh':
        this.poller.refreshNow();
        this.ui.setMessage({ text: 'Refreshed' });
        return;
      case 'global.back':
        return this.back();
      case 'global.quit':
      case 'global.forceQuit':
        return this.quit();
      case 'list.down':
        return this.move(1);
      case 'list.up':
        return this.move(-1);
      case 'list.pageDown':
        return this.move(this.listRows);
      case 'list.pageUp':
        return this.move(-this.listRows);
      case 'list.top':
        return this.jump('top');
      case 'list.bottom':
        return this.jump('bottom');
      case 'list.details':
        return this.openDetails();
      case 'stuck.reset':
        return this.askRecovery('reset');
      case 'stuck.retry':
        return this.askRecovery('retry');
      case 'stuck.reject':
        return this.askRecovery('reject');
      case 'stuck.filter':
      case 'queue.filter':
      case 'audit.filter':
        return this.askFilter();
      case 'queue.raisePriority':
        return this.bumpPriority(-1);
      case 'queue.lowerPriority':
        return this.bumpPriority(1);
      case 'queue.setPriority':
        return this.askPriority();
      case 'batch.nextField':
        return this.stores.batch.getState().setField(this.stores.batch.getState().field + 1);
      case 'batch.prevField':
        return this.stores.batch.getState().setField(this.stores.batch.getState().field - 1);
      case 'batch.edit':
        return this.editField();
      case 'batch.clearField': {
        const b = this.stores.batch.getState();
        const field = BATCH_FIELDS[b.field];
        if (field) b.setValue(field.id, '');
        this.safe(() => this.loadPreview());
        return;
      }
      case 'batch.approve':
        return this.askBatch('approve');
      case 'batch.reject':
        return this.askBatch('reject');
      case 'audit.follow': {
        const a = this.stores.audit.getState();
        a.setFollow(!a.follow);
        if (!a.follow) this.safe(() => this.loadAudit({ kind: 'top' }));
        this.ui.setMessage({ text: a.follow ? 'Follow off' : 'Following new entries' });
        return;
      }
      case 'help.close':
        return this.ui.closeOverlay();
      case 'help.down':
        return this.scrollHelp(1);
      case 'help.up':
        return this.scrollHelp(-1);
      case 'help.pageDown':
        return this.scrollHelp(this.layout.helpLines);
      case 'help.pageUp':
        return this.scrollHelp(-this.layout.helpLines);
      // Read by ConfirmDialog / TextPrompt themselves (see keymap.ts).
      case 'confirm.accept':
      case 'confirm.cancel':
      case 'confirm.deleteDigit':
      case 'prompt.submit':
      case 'prompt.cancel':
      case 'prompt.deleteChar':
      case 'prompt.clear':
        return;
    }
  }

  private safe(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.ui.setMessage({ text: err instanceof Error ? err.message : String(err), tone: 'critical' });
    }
  }

  switchTab(tab: TabId): void {
    if (this.ui.tab === tab) return;
    this.ui.setTab(tab);
    this.poller.refreshNow();
  }

  private scrollHelp(delta: number): void {
    const o = this.ui.overlay;
    if (o.kind !== 'help') return;
    const total = helpLineCount(helpSections(this.bindingContext(), unicodeGlyphs, this.ui.tab));
    const max = Math.max(0, total - this.layout.helpLines);
    const offset = Math.max(0, Math.min(max, o.offset + delta));
    if (offset !== o.offset) this.ui.setOverlay({ kind: 'help', offset });
  }

  private back(): void {
    const ui = this.ui;
    if (ui.details) return ui.setDetails(null);
    const tab = ui.tab;
    if (tab === 'stuck' && this.stores.stuck.getState().filter !== '') return this.applyFilter('stuck', '');
    if (tab === 'queue' && this.stores.queue.getState().filter !== '') return this.applyFilter('queue', '');
    if (tab === 'audit' && this.stores.audit.getState().filterText !== '') return this.applyFilter('audit', '');
    if (ui.message) ui.setMessage(null);
  }

  // ── lists ──────────────────────────────────────────────────────────────────────────────

  private move(delta: number): void {
    const tab = this.ui.tab;
    this.safe(() => {
      if (tab === 'stuck') {
        const st = this.stores.stuck.getState();
        const i = st.books.findIndex((b) => b.id === st.selectedId);
        const next = st.books[Math.max(0, Math.min(st.books.length - 1, i + delta))];
        if (next) st.select(next.id);
      } else if (tab === 'queue') {
        this.loadQueue({ kind: 'move', delta });
      } else if (tab === 'audit') {
        this.stores.audit.getState().setFollow(false);
        this.loadAudit({ kind: 'move', delta });
      }
    });
  }

  private jump(to: 'top' | 'bottom'): void {
    const tab = this.ui.tab;
    this.safe(() => {
      if (tab === 'stuck') {
        const st = this.stores.stuck.getState();
        const b = to === 'top' ? st.books[0] : st.books[st.books.length - 1];
        if (b) st.select(b.id);
      } else if (tab === 'queue') {
        this.loadQueue({ kind: to });
      } else if (tab === 'audit') {
        if (to === 'bottom') this.stores.audit.getState().setFollow(false);
        this.loadAudit({ kind: to });
      }
    });
  }

  private openDetails(): void {
    const tab = this.ui.tab;
    const now = this.services.clock();
    this.safe(() => {
      if (tab === 'stuck') {
        const st = this.stores.stuck.getState();
        const b = st.books.find((x) => x.id === st.selectedId);
        if (b) this.ui.setDetails({ tab, id: b.id, title: `Stuck book ${bookLabel(b)}`, items: stuckDetails(b) });
      } else if (tab === 'queue') {
        const q = this.stores.queue.getState();
        const row = q.selectedId ? this.services.pipelines.get(q.selectedId) : undefined;
        if (row) this.ui.setDetails({ tab, id: row.id, title: `Book ${bookLabel(row)}`, items: bookDetails(row, now) });
      } else if (tab === 'audit') {
        const a = this.stores.audit.getState();
        const row = a.selectedId !== null ? this.auditSource.get(a.selectedId) : undefined;
        if (row) this.ui.setDetails({ tab, id: String(row.id), title: `Audit entry #${row.id}`, items: auditDetails(row) });
      }
    });
  }

  private askFilter(): void {
    const tab = this.ui.tab;
    if (tab !== 'stuck' && tab !== 'queue' && tab !== 'audit') return;
    const before =
      tab === 'stuck'
        ? this.stores.stuck.getState().filter
        : tab === 'queue'
          ? this.stores.queue.getState().filter
          : this.stores.audit.getState().filterText;
    const placeholder =
      tab === 'stuck'
        ? 'state, reason or part of the path'
        : tab === 'queue'
          ? 'detected, needs_retry, approved, p3, or part of the path'
          : 'actor:human:ana  action:approved  book:3f2a9c1e';
    this.ui.setOverlay({
      kind: 'prompt',
      label: 'Filter',
      initialValue: before,
      placeholder,
      onChange: (v) => this.applyFilter(tab, v),
      onSubmit: (v) => {
        this.ui.closeOverlay();
        this.applyFilter(tab, v);
      },
      onCancel: () => {
        this.ui.closeOverlay();
        this.applyFilter(tab, '');
      },
    });
  }

  private applyFilter(tab: 'stuck' | 'queue' | 'audit', text: string): void {
    this.safe(() => {
      if (tab === 'stuck') this.stores.stuck.getState().setFilter(text);
      else if (tab === 'queue') {
        this.stores.queue.getState().setFilter(text);
        this.loadQueue({ kind: 'top' });
      } else {
        this.stores.audit.getState().setFilter(text, parseAuditFilter(text));
        this.loadAudit({ kind: 'top' });
      }
    });
    const shown = tab === 'audit' ? describeAuditFilter(parseAuditFilter(text)) : text.trim();
    this.ui.setMessage(shown === '' ? null : { text: `Filter: ${shown} (Esc clears)` });
  }

  // ── actions ────────────────────────────────────────────────────────────────────────────

  private confirm(o: Omit<Extract<Overlay, { kind: 'confirm' }>, 'kind'>): void {
    this.ui.setOverlay({ kind: 'confirm', ...o });
  }

  /** Runs a write, reports success or the refusal, and refreshes at once. */
  private write(describe: () => string): void {
    this.ui.closeOverlay();
    this.ui.setBusy(true);
    try {
      const text = describe();
      this.ui.setMessage({ text, tone: 'ok' });
    } catch (err) {
      this.ui.setMessage({ text: err instanceof Error ? err.message : String(err), tone: 'critical' });
    } finally {
      this.ui.setBusy(false);
    }
    this.poller.refreshNow();
  }

  private askRecovery(action: RecoveryAction): void {
    const st = this.stores.stuck.getState();
    const book = st.books.find((b) => b.id === st.selectedId);
    if (!book) return;
    const verbs: Record<RecoveryAction, { verb: string; detail: string }> = {
      reset: { verb: 'Reset', detail: `Releases the claim and starts it over (it is ${book.state}).` },
      retry: { verb: 'Retry', detail: `Queues it again as needs_retry (it is ${book.state}).` },
      reject: { verb: 'Reject', detail: '' },
    };
    const ask = (reason?: string): void =>
      this.confirm({
        action: verbs[action].verb,
        subject: `book ${bookLabel(book)}`,
        count: 1,
        detail: reason !== undefined ? `Reason: ${reason}` : verbs[action].detail,
        destructive: action !== 'retry',
        onConfirm: () =>
          this.write(() => {
            const r = this.ops.recovery.recover(book.id, action, this.actor, reason);
            return `${verbs[action].verb} ${shortId(book.id)}: now ${r.pipeline.state} (audit #${r.audit_id})`;
          }),
      });
    if (action === 'reject') {
      this.ui.setOverlay({
        kind: 'prompt',
        label: `Reason for rejecting ${bookLabel(book)}`,
        placeholder: 'why (recorded in the audit log)',
        validate: (v) => (v.trim() === '' ? 'A reason is required' : null),
        onSubmit: (v) => ask(v.trim()),
        onCancel: () => this.ui.closeOverlay(),
      });
      return;
    }
    ask();
  }

  private selectedQueueRow() {
    const q = this.stores.queue.getState();
    return q.rows.find((r) => r.id === q.selectedId);
  }

  private bumpPriority(delta: number): void {
    const row = this.selectedQueueRow();
    if (!row) return;
    const next = Math.max(MIN_PRIORITY, Math.min(MAX_PRIORITY, row.priority + delta));
    this.setPriority(row.id, next);
  }

  private setPriority(id: string, priority: number): void {
    const row = this.selectedQueueRow();
    this.write(() => {
      const r = this.services.actions.setPriority(id, priority, this.actor);
      return `Priority of ${shortId(id)} set to ${priority} (audit #${r.auditId})`;
    });
    // The cursor follows the book to its new place in claim order.
    this.safe(() => this.loadQueue({ kind: 'follow', id, ...(row ? { key: keyOf(row) } : {}) }));
  }

  private askPriority(): void {
    const row = this.selectedQueueRow();
    if (!row) return;
    this.ui.setOverlay({
      kind: 'prompt',
      label: `Priority for ${bookLabel(row)} (1 = first)`,
      initialValue: String(row.priority),
      digitsOnly: true,
      validate: (v) => {
        const n = Number(v);
        return Number.isInteger(n) && n >= MIN_PRIORITY && n <= MAX_PRIORITY ? null : 'Type a number from 1 to 10';
      },
      onSubmit: (v) => this.setPriority(row.id, Number(v)),
      onCancel: () => this.ui.closeOverlay(),
    });
  }

  private editField(): void {
    const b = this.stores.batch.getState();
    const field = BATCH_FIELDS[b.field];
    if (!field) return;
    this.ui.setOverlay({
      kind: 'prompt',
      label: field.label,
      initialValue: b.form[field.id],
      placeholder: field.hint,
      onSubmit: (v) => {
        this.ui.closeOverlay();
        this.stores.batch.getState().setValue(field.id, v.trim());
        this.stores.batch.getState().setApplied(null);
        this.safe(() => this.loadPreview());
      },
      onCancel: () => this.ui.closeOverlay(),
    });
  }

  private askBatch(kind: 'approve' | 'reject'): void {
    const b = this.stores.batch.getState();
    // The preview on screen now is the one that will be applied, object and all.
    const preview = b.preview;
    if (!preview) {
      this.ui.setMessage({ text: b.previewError ?? 'No preview yet', tone: 'warning' });
      return;
    }
    if (preview.exceeds_max) {
      this.ui.setMessage({
        text: `${formatCount(preview.matched)} books match, over the max count ${formatCount(preview.filter.max_count ?? 50)}: narrow the filter or raise Max count`,
        tone: 'warning',
      });
      return;
    }
    if (preview.books.length === 0) {
      this.ui.setMessage({ text: 'No books match the filter', tone: 'warning' });
      return;
    }
    const count = preview.books.length;
    const ask = (toApply: BatchPreview, reason?: string): void =>
      this.confirm({
        action: kind === 'approve' ? 'Approve' : 'Reject',
        subject: `the ${formatCount(count)} previewed book${count === 1 ? '' : 's'}`,
        count,
        ...(reason !== undefined ? { detail: `Reason: ${reason}` } : {}),
        destructive: kind === 'reject',
        onConfirm: () =>
          this.write(() => {
            const result = this.ops.batch.apply(toApply, this.actor);
            this.stores.batch.getState().setApplied({ verb: kind === 'approve' ? 'approved' : 'rejected', result });
            const skipped = result.skipped.length > 0 ? `, ${result.skipped.length} skipped (changed since the preview)` : '';
            return `${kind === 'approve' ? 'Approved' : 'Rejected'} ${formatCount(result.affected)} books${skipped} (audit #${result.audit_id ?? '-'})`;
          }),
      });
    if (kind === 'approve') return ask(preview);
    this.ui.setOverlay({
      kind: 'prompt',
      label: `Reason for rejecting ${formatCount(count)} books`,
      placeholder: 'why (recorded in the audit log)',
      validate: (v) => (v.trim() === '' ? 'A reason is required' : null),
      // The same books and versions as previewed; only the operation differs.
      onSubmit: (v) => ask({ ...preview, operation: { kind: 'reject', reason: v.trim() } }, v.trim()),
      onCancel: () => this.ui.closeOverlay(),
    });
  }
}
