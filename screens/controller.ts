/**
 * The console's behaviour, outside React: matching keys to bindings, the plumbing every tab
 * shares, the feeds the poller runs, and the single exit path. Screens draw the stores; the root
 * screen's one `useInput` hands keys to `handleKey`, which resolves them through the keymap
 * registry (so help, footer and behaviour cannot drift), refuses disabled or read-only bindings
 * with a message, and runs the binding's handler.
 *
 * Handlers: each tab's own bindings live in its key module (`stuck-keys.ts`, `queue-keys.ts`,
 * `batch-keys.ts`, `audit-keys.ts`); the global, list, help and dialog bindings are here. The
 * handler table is typed over every binding id, so a binding without a handler does not compile.
 *
 * Every write goes through the domain services (BookActions, ops.recovery, ops.batch), then
 * `poller.refreshNow()` — our own commits do not move the engine's change version.
 *
 * Reads and writes are async (the engine's), so keys are handled one at a time on one line of
 * work (`serial`), each to its end before the next, and the poller's timer ticks join the same
 * line: a refresh never lands between a key and the window it asked for.
 */
import type { Key } from 'ink';
import type { Services } from '../src/services.js';
import type { Actor } from '../src/domain/actor.js';
import type { OpsServices } from '../src/ops/types.js';
import { createSerial, Poller, type Feed, type Serial } from '../store/poller.js';
import type { ConsoleStores } from '../store/stores.js';
import { isModal, type ConfirmOverlay, type PromptOverlay } from '../store/ui.js';
import { BLANK_KEY, charKeys, splitKeys } from '../components/key-chunks.js';
import { editLine, digitsOnly } from '../components/TextPrompt.js';
import { confirmStep } from '../components/ConfirmDialog.js';
import {
  bindingsFor,
  cycleTab,
  disabledReason,
  getBinding,
  helpSections,
  keyNameOf,
  tabOfBinding,
  isListTab,
  type BindingContext,
  type BindingId,
  type ListTabId,
  type Scope,
  type TabId,
} from './keymap.js';
import { helpLineCount } from '../components/HelpOverlay.js';
import { unicodeGlyphs } from '../components/theme.js';
import type { KeyDeps, KeyHandlers, ListKeys } from './tab-keys.js';
import { stuckKeys } from './stuck-keys.js';
import { queueKeys, type QueueKeys } from './queue-keys.js';
import { batchKeys, type BatchKeys } from './batch-keys.js';
import { auditKeys, type AuditKeys } from './audit-keys.js';
import { failedKeys, type FailedKeys } from './failed-keys.js';
import { keyValueLines } from '../components/KeyValueList.js';
import { detailsBodyLines } from './DetailsPane.js';

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
  /** Width and height of the tab body (the details pane scrolls within it). */
  readonly width?: number;
  readonly bodyLines?: number;
}

/** `global.tab.*`: routed by `tabOfBinding`, so they need no entry in the handler table. */
type TabSwitchId = `global.tab.${TabId}`;

type HandlerTable = { readonly [Id in Exclude<BindingId, TabSwitchId>]: () => void | Promise<void> };

const READ_ONLY_HINT = 'refused (read-only)';

/** Confirm and prompt keys are carried out by `confirmKey`/`promptKey` (typing, the typed count); see keymap.ts. */
const DIALOG_HANDLERS: KeyHandlers<'confirm'> & KeyHandlers<'prompt'> = {
  'confirm.accept': () => {},
  'confirm.cancel': () => {},
  'confirm.deleteDigit': () => {},
  'prompt.submit': () => {},
  'prompt.cancel': () => {},
  'prompt.deleteChar': () => {},
  'prompt.clear': () => {},
};

export class ConsoleController {
  readonly services: Services;
  readonly stores: ConsoleStores;
  readonly actor: Actor;
  readonly readOnly: boolean;
  readonly poller: Poller;
  private layout: ConsoleLayout = { listRows: 15, helpLines: 15 };
  private exitApp: (() => void) | null = null;
  private exited = false;
  private readonly stuckLimit: number;
  private readonly queue: QueueKeys;
  private readonly batch: BatchKeys;
  private readonly audit: AuditKeys;
  private readonly failed: FailedKeys;
  /** The tabs that show a list (LIST_TAB_IDS), for the shared list keys. */
  private readonly listKeys: Record<ListTabId, ListKeys>;
  private readonly handlers: HandlerTable;
  /** The one line keys and timer ticks run on (see the header). */
  private readonly serial: Serial = createSerial();
  private handled = 0;

  constructor(opts: ControllerOptions) {
    this.services = opts.services;
    this.stores = opts.stores;
    this.actor = opts.actor;
    this.readOnly = opts.readOnly;
    this.stuckLimit = opts.stuckLimit ?? 200;
    const deps: KeyDeps = {
      services: opts.services,
      stores: opts.stores,
      actor: opts.actor,
      listRows: () => this.listRows,
      safe: (fn) => this.safe(fn),
      write: (describe) => this.write(describe),
      askFilter: () => this.askFilter(),
    };
    const stuck = stuckKeys(deps);
    this.queue = queueKeys(deps);
    this.batch = batchKeys(deps);
    this.audit = auditKeys(deps);
    this.failed = failedKeys(deps);
    this.listKeys = { stuck: stuck.list, queue: this.queue.list, audit: this.audit.list, failed: this.failed.list };
    this.handlers = {
      ...this.globalHandlers(),
      ...this.listHandlers(),
      ...this.helpHandlers(),
      ...DIALOG_HANDLERS,
      ...stuck.handlers,
      ...this.queue.handlers,
      ...this.batch.handlers,
      ...this.audit.handlers,
      ...this.failed.handlers,
    };
    this.poller = new Poller({
      changes: opts.services.engine.changes,
      serial: this.serial,
      ui: opts.stores.ui,
      feeds: this.feeds(),
      gate: opts.stores.gate,
      refreshMs: opts.refreshMs,
      clock: opts.services.clock,
      ...(opts.recheckMs !== undefined ? { recheckMs: opts.recheckMs } : {}),
    });
  }

  /** The active (or given) tab's list keys; undefined on a tab without a list. */
  private listOf(tab: TabId): ListKeys | undefined {
    return isListTab(tab) ? this.listKeys[tab] : undefined;
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
    if (changed && this.poller.hasPolled) void this.serial(() => this.reloadActive());
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
        load: async () => s.health.getState().applySnapshot(await this.ops.health.report()),
        fail: (m) => s.health.getState().setError(m),
      },
      {
        name: 'stuck',
        wanted: () => tab() === 'stuck' && !frozen(),
        load: async () => { const r = await this.ops.stuck.survey({ limit: this.stuckLimit }); s.stuck.getState().applySnapshot(r.books, r); },
        fail: (m) => s.stuck.getState().setError(m),
      },
      {
        name: 'queue',
        wanted: () => tab() === 'queue' && !frozen(),
        load: () => this.queue.load({ kind: 'refresh' }),
        fail: (m) => s.queue.getState().setError(m),
      },
      {
        name: 'batch',
        wanted: () => tab() === 'batch' && !frozen(),
        load: () => this.batch.loadPreview(),
        fail: (m) => s.batch.getState().applyPreview(null, m, s.batch.getState().form),
      },
      {
        name: 'audit',
        wanted: () => tab() === 'audit' && !frozen(),
        load: () => this.audit.load({ kind: 'refresh' }),
        fail: (m) => s.audit.getState().setError(m),
      },
      {
        name: 'failed',
        wanted: () => tab() === 'failed' && !frozen(),
        load: () => this.failed.load({ kind: 'refresh' }),
        fail: (m) => s.failed.getState().setError(m),
      },
    ];
  }

  private async reloadActive(): Promise<void> {
    await this.poller.refreshNow();
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
    return { readOnly: this.readOnly, ...this.listOf(tab)?.selection() };
  }

  /**
   * Root input handler: the one place keys arrive. What `useInput` reported may be several keys
   * (one read holding "jjjjj", or a paste and its Enter): each is handled in order against the
   * scope that is open when it arrives, so "/" then "p3" then Enter in one read opens the filter
   * prompt, types into it and submits it. Text typed into an open prompt goes in as one edit.
   * Confirm and prompt overlays get their keys here too (their components only draw); only the
   * bindings marked `inOverlays` (Ctrl-C) pass through them.
   *
   * Resolves once these keys are handled (after the keys before them: see `serial`).
   */
  handleKey(input: string, key: Key): Promise<void> {
    return this.serial(async () => {
      await this.safe(() => this.handleKeyNow(input, key));
      this.handled++;
    });
  }

  /** Reads `useInput` has handed over and that are fully handled: a test waits on it instead of sleeping. */
  get keysHandled(): number {
    return this.handled;
  }

  private async handleKeyNow(input: string, key: Key): Promise<void> {
    for (const ev of splitKeys(input, key)) {
      if (!ev.text) {
        await this.handleOne(ev.input, ev.key);
        continue;
      }
      const chars = [...ev.input];
      for (let i = 0; i < chars.length && !this.exited; i++) {
        if (this.activeScope() === 'prompt') {
          await this.promptKey(chars.slice(i).join(''), BLANK_KEY);
          break;
        }
        const one = charKeys(chars[i]!)[0]!;
        await this.handleOne(one.input, one.key);
      }
    }
  }

  private async handleOne(input: string, key: Key): Promise<void> {
    if (this.exited) return;
    const scope = this.activeScope();
    const name = keyNameOf(input, key);
    if (scope === 'confirm' || scope === 'prompt') {
      const passthrough = name === null ? undefined : bindingsFor(scope).find((b) => b.inOverlays === true && b.keys.includes(name));
      if (passthrough) return this.run(passthrough.id as BindingId);
      return scope === 'prompt' ? this.promptKey(input, key) : this.confirmKey(input, key);
    }
    if (name === null) return;
    const binding = bindingsFor(scope).find((b) => b.keys.includes(name));
    if (binding) await this.run(binding.id as BindingId);
  }

  /** One key (or a pasted run) in the open text prompt: the rules are TextPrompt's `editLine`. */
  private async promptKey(input: string, key: Key): Promise<void> {
    const o = this.ui.overlay;
    if (o.kind !== 'prompt') return;
    const value = o.value ?? o.initialValue ?? '';
    const step = editLine(value, input, key, o.digitsOnly ? { accept: digitsOnly } : {});
    if (step.kind === 'cancel') {
      if (o.onCancel) await o.onCancel();
      else this.ui.closeOverlay();
    } else if (step.kind === 'submit') {
      const problem = o.validate?.(step.value) ?? null;
      if (problem !== null) this.ui.setOverlay({ ...o, value, error: problem } satisfies PromptOverlay);
      else await o.onSubmit(step.value);
    } else if (step.kind === 'edit') {
      this.ui.setOverlay({ ...o, value: step.value, error: null } satisfies PromptOverlay);
      await o.onChange?.(step.value);
    }
  }

  /** One key in the open confirmation: the rules are ConfirmDialog's `confirmStep`. */
  private async confirmKey(input: string, key: Key): Promise<void> {
    const o = this.ui.overlay;
    if (o.kind !== 'confirm') return;
    const step = confirmStep({ typed: o.typed ?? '', error: o.error ?? null }, input, key, { count: o.count });
    if (step.kind === 'confirm') await o.onConfirm();
    else if (step.kind === 'cancel') {
      this.ui.closeOverlay();
      this.ui.setMessage({ text: 'Cancelled: nothing changed' });
    } else if (step.kind === 'edit') {
      this.ui.setOverlay({ ...o, typed: step.state.typed, error: step.state.error } satisfies ConfirmOverlay);
    }
  }

  /** Runs a binding by id, refusing it (with the reason in the status bar) when disabled. */
  async run(id: BindingId): Promise<void> {
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
    await this.handlers[id as Exclude<BindingId, TabSwitchId>]();
  }

  private globalHandlers(): Omit<KeyHandlers<'global'>, TabSwitchId> {
    return {
      'global.nextTab': () => this.switchTab(cycleTab(this.ui.tab, 1)),
      'global.prevTab': () => this.switchTab(cycleTab(this.ui.tab, -1)),
      'global.help': () => this.ui.setOverlay({ kind: 'help', offset: 0 }),
      'global.pause': () => this.togglePause(),
      'global.refresh': async () => {
        await this.poller.refreshNow();
        this.ui.setMessage({ text: 'Refreshed' });
      },
      'global.back': () => this.back(),
      'global.quit': () => this.quit(),
      'global.forceQuit': () => this.quit(),
    };
  }

  private listHandlers(): KeyHandlers<'list'> {
    return {
      'list.down': () => this.move(1),
      'list.up': () => this.move(-1),
      'list.pageDown': () => this.move(this.listRows),
      'list.pageUp': () => this.move(-this.listRows),
      'list.top': () => this.jump('top'),
      'list.bottom': () => this.jump('bottom'),
      'list.details': () => this.openDetails(),
    };
  }

  private helpHandlers(): KeyHandlers<'help'> {
    return {
      'help.close': () => this.ui.closeOverlay(),
      'help.down': () => this.scrollHelp(1),
      'help.up': () => this.scrollHelp(-1),
      'help.pageDown': () => this.scrollHelp(this.layout.helpLines),
      'help.pageUp': () => this.scrollHelp(-this.layout.helpLines),
    };
  }

  private async safe(fn: () => void | Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.ui.setMessage({ text: err instanceof Error ? err.message : String(err), tone: 'critical' });
    }
  }

  async switchTab(tab: TabId): Promise<void> {
    if (this.ui.tab === tab) return;
    this.ui.setTab(tab);
    await this.poller.refreshNow();
  }

  private async togglePause(): Promise<void> {
    const paused = !this.ui.paused;
    this.ui.setPaused(paused);
    this.ui.setMessage(paused ? { text: 'Refresh paused (Space resumes)', tone: 'warning' } : { text: 'Refresh resumed' });
    if (!paused) await this.poller.refreshNow();
    else this.poller.updateAges();
  }

  private scrollHelp(delta: number): void {
    const o = this.ui.overlay;
    if (o.kind !== 'help') return;
    const total = helpLineCount(helpSections(this.bindingContext(), unicodeGlyphs, this.ui.tab));
    const max = Math.max(0, total - this.layout.helpLines);
    const offset = Math.max(0, Math.min(max, o.offset + delta));
    if (offset !== o.offset) this.ui.setOverlay({ kind: 'help', offset });
  }

  private async back(): Promise<void> {
    const ui = this.ui;
    if (ui.details) return ui.setDetails(null);
    const list = this.listOf(ui.tab);
    if (list && list.filterText() !== '') return this.applyFilter(list, '');
    if (ui.message) ui.setMessage(null);
  }

  // ── lists: the shared keys, carried out by the active tab's ListKeys ────────────────────

  private async move(delta: number): Promise<void> {
    if (this.scrollDetails(delta)) return;
    const list = this.listOf(this.ui.tab);
    if (list) await this.safe(() => list.move(delta));
  }

  private async jump(to: 'top' | 'bottom'): Promise<void> {
    if (this.scrollDetails(to === 'top' ? -Infinity : Infinity)) return;
    const list = this.listOf(this.ui.tab);
    if (list) await this.safe(() => list.jump(to));
  }

  /** While a details pane is open the list keys scroll it (the list under it stays put). */
  private scrollDetails(delta: number): boolean {
    const d = this.ui.details;
    if (!d || d.tab !== this.ui.tab) return false;
    const room = detailsBodyLines(this.layout.bodyLines ?? this.listRows + 2);
    const total = keyValueLines(d.items, this.layout.width ?? 80).length;
    const max = Math.max(0, total - room);
    const offset = Math.max(0, Math.min(max, (d.offset ?? 0) + delta));
    if (offset !== (d.offset ?? 0)) this.ui.setDetails({ ...d, offset });
    return true;
  }

  private async openDetails(): Promise<void> {
    const list = this.listOf(this.ui.tab);
    if (!list) return;
    await this.safe(async () => {
      const details = await list.selectedDetails();
      if (details) this.ui.setDetails(details);
    });
  }

  private askFilter(): void {
    const list = this.listOf(this.ui.tab);
    if (!list) return;
    this.ui.setOverlay({
      kind: 'prompt',
      label: 'Filter',
      initialValue: list.filterText(),
      placeholder: list.filterPlaceholder,
      // Live: the list narrows as the person types.
      onChange: (v) => this.applyFilter(list, v),
      onSubmit: (v) => {
        this.ui.closeOverlay();
        return this.applyFilter(list, v);
      },
      onCancel: () => {
        this.ui.closeOverlay();
        return this.applyFilter(list, '');
      },
    });
  }

  private async applyFilter(list: ListKeys, text: string): Promise<void> {
    await this.safe(() => list.setFilter(text));
    const shown = list.describeFilter(text);
    this.ui.setMessage(shown === '' ? null : { text: `Filter: ${shown} (Esc clears)` });
  }

  // ── writes ─────────────────────────────────────────────────────────────────────────────

  /** Runs a write, reports success or the refusal, and refreshes at once. */
  private async write(describe: () => string | Promise<string>): Promise<void> {
    this.ui.closeOverlay();
    try {
      const text = await describe();
      this.ui.setMessage({ text, tone: 'ok' });
    } catch (err) {
      this.ui.setMessage({ text: err instanceof Error ? err.message : String(err), tone: 'critical' });
    }
    await this.poller.refreshNow();
  }
}
