/**
 * The console's one keymap registry.
 *
 * Every key the console answers to is a row in `KEYMAP`: an id its handler is keyed by, the keys,
 * where it applies, a help description, a short footer label, whether it changes data (so
 * read-only mode can refuse it with a reason), and an optional reason it is disabled right now.
 * The help overlay (`helpSections`) and the footer (`footerHints`) are rendered from this data,
 * and screens find out what a keypress means with `matchBinding` / `resolveBinding`; nothing else
 * hard-codes a key. To add a key: add a row here, then handle its id where its scope is handled:
 * a tab's scope in `screens/<tab>-keys.ts`, the others in `controller.ts`. Until then `tsc` fails,
 * because the controller's handler table must have an entry for every id.
 *
 * Scopes. `global` keys work on every tab. `list` holds the table navigation shared by the tabs
 * that show a list (LIST_TAB_IDS). A tab's scope chain is tab → list (if any) → global, and
 * no key may appear twice in one chain (a test checks). The overlay scopes — `help`, `confirm`,
 * `prompt` — are modal: while one is open only its keys apply, plus the few global bindings
 * marked `inOverlays` (Ctrl-C quits from anywhere).
 *
 * Where keys are handled: the root screen has one `useInput`; the controller splits what it
 * reports into keys (one read can hold several: key repeat, a paste and its Enter) and matches
 * each against the scope open when it arrives (the open overlay if any, else the active tab).
 * Confirm and prompt keys (typing, the typed count) are carried out by the controller with the
 * dialogs' own pure rules (`confirmStep`, `editLine`); the dialogs only draw. Their rows here
 * describe those keys for help and footer, and a test checks that they are honoured.
 *
 * Priority: 1 is claimed first, so "raise" lowers the number.
 */
import type { Key } from 'ink'; // type only: importing this module does not load Ink or chalk
import type { HintItem } from '../components/FooterHints.js';
import type { HelpSection } from '../components/HelpOverlay.js';
import type { Glyphs } from '../components/theme.js';
import { MAX_PRIORITY, MIN_PRIORITY } from '../src/domain/states.js';

export const TAB_IDS = ['health', 'stuck', 'queue', 'batch', 'audit', 'failed'] as const;
export type TabId = (typeof TAB_IDS)[number];

/**
 * The tabs that show a list, declared once: they get the shared list keys (`list` scope), the
 * `/` filter and details, and the footer follows their selection. The controller's table of
 * list keys is a Record over these, so a list tab without one does not compile.
 */
export const LIST_TAB_IDS = ['stuck', 'queue', 'audit', 'failed'] as const satisfies readonly TabId[];
export type ListTabId = (typeof LIST_TAB_IDS)[number];

export function isListTab(tab: string): tab is ListTabId {
  return (LIST_TAB_IDS as readonly string[]).includes(tab);
}

export const OVERLAY_SCOPES = ['help', 'confirm', 'prompt'] as const;
export type OverlayScope = (typeof OVERLAY_SCOPES)[number];

export type Scope = 'global' | 'list' | TabId | OverlayScope;

/**
 * Canonical key names: a single printable character as typed (`'g'` and `'G'` differ), or one of
 * `up down left right pageup pagedown home end tab shift-tab escape return space backspace`,
 * or `ctrl-<letter>`.
 */
export type KeyName = string;

export const NAMED_KEYS = [
  'up',
  'down',
  'left',
  'right',
  'pageup',
  'pagedown',
  'home',
  'end',
  'tab',
  'shift-tab',
  'escape',
  'return',
  'space',
  'backspace',
] as const;

/** What a binding's availability may depend on. Screens fill in what they know. */
export interface BindingContext {
  /** The console was opened read-only: every `mutates` binding is refused. */
  readonly readOnly: boolean;
  /** Whether the active list has a selected book (false: row actions are disabled). */
  readonly hasSelection?: boolean;
  /** Priority of the selected book, to disable raising past 1 or lowering past 10. */
  readonly selectedPriority?: number;
  /** State of the selected book, where it decides what may be done (Failed: only needs_retry can be rejected). */
  readonly selectedState?: string;
}

export interface Binding {
  readonly id: string;
  readonly keys: readonly KeyName[];
  readonly scope: Scope;
  /** One sentence for the help overlay. */
  readonly description: string;
  /** One or two words for the footer. */
  readonly label: string;
  /** Changes data in the database: refused in read-only mode. */
  readonly mutates: boolean;
  /** Shown in the footer hint line of its scope. */
  readonly footer?: boolean;
  /** A global binding that also works while an overlay is open. */
  readonly inOverlays?: boolean;
  /** Why the binding does nothing right now, or null. (Read-only is handled for all.) */
  readonly disabledReason?: (ctx: BindingContext) => string | null;
}

const needsSelection = (ctx: BindingContext): string | null => (ctx.hasSelection === false ? 'no book selected' : null);

export const KEYMAP = [
  // ── global ──────────────────────────────────────────────────────────────────────────────
  { id: 'global.tab.health', keys: ['1'], scope: 'global', description: 'Go to the Health tab', label: 'health', mutates: false },
  { id: 'global.tab.stuck', keys: ['2'], scope: 'global', description: 'Go to the Stuck tab', label: 'stuck', mutates: false },
  { id: 'global.tab.queue', keys: ['3'], scope: 'global', description: 'Go to the Queue tab', label: 'queue', mutates: false },
  { id: 'global.tab.batch', keys: ['4'], scope: 'global', description: 'Go to the Batch tab', label: 'batch', mutates: false },
  { id: 'global.tab.audit', keys: ['5'], scope: 'global', description: 'Go to the Audit tab', label: 'audit', mutates: false },
  { id: 'global.tab.failed', keys: ['6'], scope: 'global', description: 'Go to the Failed tab', label: 'failed', mutates: false },
  { id: 'global.nextTab', keys: ['tab'], scope: 'global', description: 'Next tab', label: 'next tab', mutates: false },
  { id: 'global.prevTab', keys: ['shift-tab'], scope: 'global', description: 'Previous tab', label: 'prev tab', mutates: false },
  { id: 'global.help', keys: ['?'], scope: 'global', description: 'Show all keys', label: 'help', mutates: false, footer: true },
  {
    id: 'global.pause',
    keys: ['space'],
    scope: 'global',
    description: 'Pause or resume automatic refresh (the screen stops changing under you)',
    label: 'pause',
    mutates: false,
    footer: true,
  },
  { id: 'global.refresh', keys: ['r'], scope: 'global', description: 'Refresh now', label: 'refresh', mutates: false },
  {
    id: 'global.back',
    keys: ['escape'],
    scope: 'global',
    description: 'Back: close details, clear the filter',
    label: 'back',
    mutates: false,
  },
  { id: 'global.quit', keys: ['q'], scope: 'global', description: 'Quit the console', label: 'quit', mutates: false, footer: true },
  {
    id: 'global.forceQuit',
    keys: ['ctrl-c'],
    scope: 'global',
    description: 'Quit the console, from anywhere (also inside dialogs)',
    label: 'quit',
    mutates: false,
    inOverlays: true,
  },

  // ── lists (LIST_TAB_IDS) ────────────────────────────────────────────────────────────────
  { id: 'list.down', keys: ['j', 'down'], scope: 'list', description: 'Move down one row', label: 'down', mutates: false },
  { id: 'list.up', keys: ['k', 'up'], scope: 'list', description: 'Move up one row', label: 'up', mutates: false },
  { id: 'list.top', keys: ['g', 'home'], scope: 'list', description: 'Go to the first row', label: 'top', mutates: false },
  { id: 'list.bottom', keys: ['G', 'end'], scope: 'list', description: 'Go to the last row', label: 'bottom', mutates: false },
  { id: 'list.pageDown', keys: ['pagedown'], scope: 'list', description: 'Move down one page', label: 'page down', mutates: false },
  { id: 'list.pageUp', keys: ['pageup'], scope: 'list', description: 'Move up one page', label: 'page up', mutates: false },
  {
    id: 'list.details',
    keys: ['return'],
    scope: 'list',
    description: 'Show details of the selected row',
    label: 'details',
    mutates: false,
    footer: true,
    disabledReason: needsSelection,
  },

  // ── stuck ───────────────────────────────────────────────────────────────────────────────
  {
    id: 'stuck.reset',
    keys: ['R'],
    scope: 'stuck',
    description: 'Reset the selected book: release its claim and start it over from detected (asks first)',
    label: 'reset',
    mutates: true,
    footer: true,
    disabledReason: needsSelection,
  },
  {
    id: 'stuck.retry',
    keys: ['t'],
    scope: 'stuck',
    description: 'Retry the selected book: queue it again as needs_retry (asks first)',
    label: 'retry',
    mutates: true,
    footer: true,
    disabledReason: needsSelection,
  },
  {
    id: 'stuck.reject',
    keys: ['x'],
    scope: 'stuck',
    description: 'Reject the selected book, with a reason (asks first)',
    label: 'reject',
    mutates: true,
    footer: true,
    disabledReason: needsSelection,
  },
  { id: 'stuck.filter', keys: ['/'], scope: 'stuck', description: 'Filter stuck books by state or title', label: 'filter', mutates: false, footer: true },

  // ── queue ───────────────────────────────────────────────────────────────────────────────
  {
    id: 'queue.raisePriority',
    keys: ['+', '='],
    scope: 'queue',
    description: 'Raise the priority of the selected book by one (towards 1, claimed first)',
    label: 'raise',
    mutates: true,
    footer: true,
    disabledReason: (ctx) =>
      needsSelection(ctx) ?? (ctx.selectedPriority !== undefined && ctx.selectedPriority <= MIN_PRIORITY ? `already ${MIN_PRIORITY}` : null),
  },
  {
    id: 'queue.lowerPriority',
    keys: ['-'],
    scope: 'queue',
    description: 'Lower the priority of the selected book by one (towards 10)',
    label: 'lower',
    mutates: true,
    footer: true,
    disabledReason: (ctx) =>
      needsSelection(ctx) ?? (ctx.selectedPriority !== undefined && ctx.selectedPriority >= MAX_PRIORITY ? `already ${MAX_PRIORITY}` : null),
  },
  {
    id: 'queue.setPriority',
    keys: ['p'],
    scope: 'queue',
    description: 'Set the priority of the selected book to a number from 1 to 10',
    label: 'priority',
    mutates: true,
    footer: true,
    disabledReason: needsSelection,
  },
  { id: 'queue.filter', keys: ['/'], scope: 'queue', description: 'Filter the queue: words match title, path, state (* and ? wildcards); state:X p:3 type:X id:3f2a exact', label: 'filter', mutates: false, footer: true },

  // ── batch ───────────────────────────────────────────────────────────────────────────────
  { id: 'batch.nextField', keys: ['j', 'down'], scope: 'batch', description: 'Next field of the batch filter', label: 'next field', mutates: false },
  { id: 'batch.prevField', keys: ['k', 'up'], scope: 'batch', description: 'Previous field of the batch filter', label: 'prev field', mutates: false },
  { id: 'batch.edit', keys: ['return', 'e'], scope: 'batch', description: 'Edit the selected field', label: 'edit', mutates: false, footer: true },
  { id: 'batch.clearField', keys: ['d'], scope: 'batch', description: 'Clear the selected field', label: 'clear', mutates: false },
  {
    id: 'batch.approve',
    keys: ['a'],
    scope: 'batch',
    description: 'Approve every book that matches the filter (asks first, naming the count)',
    label: 'approve',
    mutates: true,
    footer: true,
  },
  {
    id: 'batch.reject',
    keys: ['x'],
    scope: 'batch',
    description: 'Reject every book that matches the filter, with a reason (asks first, naming the count)',
    label: 'reject',
    mutates: true,
    footer: true,
  },

  // ── audit ───────────────────────────────────────────────────────────────────────────────
  { id: 'audit.follow', keys: ['f'], scope: 'audit', description: 'Follow new entries as they arrive (on/off)', label: 'follow', mutates: false, footer: true },
  { id: 'audit.filter', keys: ['/'], scope: 'audit', description: 'Filter: words match the action; actor:X action:X book:3f2a exact', label: 'filter', mutates: false, footer: true },

  // ── failed ──────────────────────────────────────────────────────────────────────────────
  {
    id: 'failed.retry',
    keys: ['t'],
    scope: 'failed',
    description: 'Retry the selected book: attempts start over and it is queued again (asks first)',
    label: 'retry',
    mutates: true,
    footer: true,
    disabledReason: needsSelection,
  },
  {
    id: 'failed.reject',
    keys: ['x'],
    scope: 'failed',
    description: 'Reject the selected book, with a reason (asks first); a failed book is retried or left, not rejected',
    label: 'reject',
    mutates: true,
    footer: true,
    disabledReason: (ctx) => needsSelection(ctx) ?? (ctx.selectedState === 'failed' ? 'failed: retry it first' : null),
  },
  { id: 'failed.filter', keys: ['/'], scope: 'failed', description: 'Filter by title, path, error text; state:failed, type:X, id:3f2a', label: 'filter', mutates: false, footer: true },

  // ── help overlay ────────────────────────────────────────────────────────────────────────
  { id: 'help.close', keys: ['escape', '?', 'q'], scope: 'help', description: 'Close help', label: 'close', mutates: false, footer: true },
  { id: 'help.down', keys: ['j', 'down'], scope: 'help', description: 'Scroll down', label: 'down', mutates: false },
  { id: 'help.up', keys: ['k', 'up'], scope: 'help', description: 'Scroll up', label: 'up', mutates: false },
  { id: 'help.pageDown', keys: ['pagedown', 'space'], scope: 'help', description: 'Scroll down one page', label: 'page down', mutates: false },
  { id: 'help.pageUp', keys: ['pageup'], scope: 'help', description: 'Scroll up one page', label: 'page up', mutates: false },

  // ── confirm dialog (keys read by ConfirmDialog itself) ──────────────────────────────────
  {
    id: 'confirm.accept',
    keys: ['y', 'return'],
    scope: 'confirm',
    description: 'Confirm. Over the threshold y does nothing: type the exact count, then Enter',
    label: 'confirm',
    mutates: false,
    footer: true,
  },
  { id: 'confirm.cancel', keys: ['n', 'escape'], scope: 'confirm', description: 'Cancel: nothing changes', label: 'cancel', mutates: false, footer: true },
  { id: 'confirm.deleteDigit', keys: ['backspace'], scope: 'confirm', description: 'Delete the last typed digit', label: 'delete', mutates: false },

  // ── text prompt (keys read by TextPrompt itself) ────────────────────────────────────────
  { id: 'prompt.submit', keys: ['return'], scope: 'prompt', description: 'Submit the text', label: 'submit', mutates: false, footer: true },
  { id: 'prompt.cancel', keys: ['escape'], scope: 'prompt', description: 'Cancel: nothing changes', label: 'cancel', mutates: false, footer: true },
  { id: 'prompt.deleteChar', keys: ['backspace'], scope: 'prompt', description: 'Delete the last character', label: 'delete', mutates: false },
  { id: 'prompt.clear', keys: ['ctrl-u'], scope: 'prompt', description: 'Clear the line', label: 'clear', mutates: false },
] as const satisfies readonly Binding[];

export type BindingId = (typeof KEYMAP)[number]['id'];

/** The ids of one scope's bindings: what that scope's key module must handle (tsc checks). */
export type BindingIdIn<S extends Scope> = Extract<(typeof KEYMAP)[number], { readonly scope: S }>['id'];

const byId = new Map<string, Binding>(KEYMAP.map((b) => [b.id, b]));

export function getBinding(id: BindingId): Binding {
  const b = byId.get(id);
  if (!b) throw new Error(`unknown binding ${id}`);
  return b;
}

export function isTabId(s: string): s is TabId {
  return (TAB_IDS as readonly string[]).includes(s);
}

export function isOverlayScope(s: Scope): s is OverlayScope {
  return (OVERLAY_SCOPES as readonly string[]).includes(s);
}

/** Scopes searched for a key, most specific first. */
export function scopeChain(scope: Scope): readonly Scope[] {
  if (isOverlayScope(scope)) return [scope];
  if (scope === 'global') return ['global'];
  if (scope === 'list') return ['list', 'global'];
  if (isListTab(scope)) return [scope, 'list', 'global'];
  return [scope, 'global'];
}

/** Every binding active in `scope`, most specific first (overlays: theirs + `inOverlays` ones). */
export function bindingsFor(scope: Scope): readonly Binding[] {
  const chain = scopeChain(scope);
  const own: Binding[] = chain.flatMap((s) => KEYMAP.filter((b) => b.scope === s));
  if (isOverlayScope(scope)) own.push(...KEYMAP.filter((b: Binding) => b.inOverlays === true));
  return own;
}

/**
 * The canonical name of what `useInput` reported, or null for input no binding can have
 * (pastes, Alt-combinations, unknown escape sequences).
 */
export function keyNameOf(input: string, key: Key): KeyName | null {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.tab) return key.shift ? 'shift-tab' : 'tab';
  // Ink marks Esc as meta too, so test it before rejecting meta combinations.
  if (key.escape) return 'escape';
  if (key.return) return 'return';
  // Most terminals send 0x7f for Backspace, which Ink calls `delete`.
  if (key.backspace || key.delete) return 'backspace';
  if (key.ctrl) return input.length === 1 ? `ctrl-${input.toLowerCase()}` : null;
  if (key.meta) return null;
  if (input === ' ') return 'space';
  if ([...input].length === 1) return input;
  return null;
}

/** The binding a keypress means in `scope`, or null. Disabled bindings still match. */
export function matchBinding(input: string, key: Key, scope: Scope): BindingId | null {
  const name = keyNameOf(input, key);
  if (name === null) return null;
  const b = bindingsFor(scope).find((x) => x.keys.includes(name));
  return b ? (b.id as BindingId) : null;
}

/** Why `binding` cannot run now ("read-only", "no book selected", …), or null if it can. */
export function disabledReason(binding: Binding, ctx: BindingContext): string | null {
  if (binding.mutates && ctx.readOnly) return 'read-only';
  return binding.disabledReason?.(ctx) ?? null;
}

export interface ResolvedBinding {
  readonly id: BindingId;
  readonly binding: Binding;
  /** Non-null: refuse, and show this in the status bar. */
  readonly disabledReason: string | null;
}

/** `matchBinding` plus whether the binding may run now. */
export function resolveBinding(input: string, key: Key, scope: Scope, ctx: BindingContext): ResolvedBinding | null {
  const id = matchBinding(input, key, scope);
  if (id === null) return null;
  const binding = getBinding(id);
  return { id, binding, disabledReason: disabledReason(binding, ctx) };
}

/** The tab a `global.tab.*` binding goes to. */
export function tabOfBinding(id: BindingId): TabId | null {
  const m = /^global\.tab\.(\w+)$/.exec(id);
  return m?.[1] !== undefined && isTabId(m[1]) ? m[1] : null;
}

/** The tab `step` places after `current`, wrapping around (for Tab / Shift-Tab). */
export function cycleTab(current: TabId, step: 1 | -1): TabId {
  const i = TAB_IDS.indexOf(current);
  return TAB_IDS[(i + step + TAB_IDS.length) % TAB_IDS.length] ?? current;
}

// ── presentation: key caps, footer, help ───────────────────────────────────────────────────

/** How one key is written in hints and help: "↑" / "Up", "PgDn", "Enter", "^C", "S-Tab". */
export function formatKey(name: KeyName, glyphs: Glyphs): string {
  switch (name) {
    case 'up':
      return glyphs.ascii ? 'Up' : glyphs.arrowUp;
    case 'down':
      return glyphs.ascii ? 'Down' : glyphs.arrowDown;
    case 'left':
      return glyphs.ascii ? 'Left' : glyphs.arrowLeft;
    case 'right':
      return glyphs.ascii ? 'Right' : glyphs.arrowRight;
    case 'pageup':
      return 'PgUp';
    case 'pagedown':
      return 'PgDn';
    case 'home':
      return 'Home';
    case 'end':
      return 'End';
    case 'tab':
      return 'Tab';
    case 'shift-tab':
      return 'S-Tab';
    case 'escape':
      return 'Esc';
    case 'return':
      return glyphs.enterKey;
    case 'space':
      return 'Space';
    case 'backspace':
      return 'Bksp';
    default:
      return name.startsWith('ctrl-') ? `^${name.slice(5).toUpperCase()}` : name;
  }
}

/**
 * A dialog's key line from its bindings: "y/Enter confirm  n/Esc cancel". Dialogs spell Enter
 * out (a ⏎ beside typed text reads as a character). With `namedOnly` the printable keys are
 * left out: while a count is being typed they are text, not actions.
 */
export function dialogHint(ids: readonly BindingId[], glyphs: Glyphs, options: { namedOnly?: boolean } = {}): string {
  const words: Glyphs = { ...glyphs, enterKey: 'Enter' };
  return ids
    .map((id) => {
      const b = getBinding(id);
      const keys = options.namedOnly ? b.keys.filter((k) => [...k].length > 1) : b.keys;
      return `${formatKeys(keys, words)} ${b.label}`;
    })
    .join('  ');
}

/** All of a binding's keys: "j/↓". */
export function formatKeys(keys: readonly KeyName[], glyphs: Glyphs): string {
  return keys.map((k) => formatKey(k, glyphs)).join('/');
}

/** Footer hints for `scope`: its own `footer` bindings first, then the global ones. */
export function footerHints(scope: Scope, ctx: BindingContext, glyphs: Glyphs): HintItem[] {
  return bindingsFor(scope)
    .filter((b) => b.footer === true)
    .map((b) => ({
      keys: formatKeys(b.keys, glyphs),
      label: b.label,
      disabledReason: disabledReason(b, ctx),
      // Whatever the width, a person can always find help and the way out.
      ...(FOOTER_PINNED.has(b.id) ? { pinned: true } : {}),
    }));
}

const FOOTER_PINNED: ReadonlySet<string> = new Set(['global.help', 'global.quit']);

export const SCOPE_TITLES: Record<Scope, string> = {
  global: 'Everywhere',
  list: `Lists (${LIST_TAB_IDS.map((t) => t[0]!.toUpperCase() + t.slice(1)).join(', ')})`,
  health: 'Health',
  stuck: 'Stuck',
  queue: 'Queue',
  batch: 'Batch',
  audit: 'Audit',
  failed: 'Failed',
  help: 'This help',
  confirm: 'Confirm dialog',
  prompt: 'Text prompt',
};

const HELP_ORDER: readonly Scope[] = ['global', 'list', ...TAB_IDS, 'confirm', 'prompt', 'help'];

/**
 * Every binding grouped by scope, for the help overlay. The sections that apply to `activeScope`
 * (its chain: tab, list, global) come first, so the keys for what is on screen are at the top.
 * Disabled reasons are filled from `ctx`.
 */
export function helpSections(ctx: BindingContext, glyphs: Glyphs, activeScope?: Scope): HelpSection[] {
  // What applies on screen now (the active scope's chain) first, then everything else.
  const first = activeScope === undefined ? [] : scopeChain(activeScope);
  const order = [...first, ...HELP_ORDER.filter((s) => !first.includes(s))];
  return order
    .map((scope) => ({
      title: SCOPE_TITLES[scope],
      entries: KEYMAP.filter((b: Binding) => b.scope === scope).map((b: Binding) => ({
        keys: formatKeys(b.keys, glyphs),
        description: b.description,
        disabledReason: disabledReason(b, ctx),
      })),
    }))
    .filter((s) => s.entries.length > 0);
}
