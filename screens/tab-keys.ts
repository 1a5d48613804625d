/**
 * The contract between the controller and the tabs' key modules (`stuck-keys.ts`,
 * `queue-keys.ts`, `batch-keys.ts`, `audit-keys.ts`). A tab owns what its own bindings do and
 * what the shared list keys mean on it; the controller owns matching keys to bindings, refusing
 * disabled ones, and the plumbing every tab shares (writes, errors, the filter prompt).
 *
 * The Health tab has no keys of its own (only global ones), so it has no module here.
 */
import type { Actor } from '../src/domain/actor.js';
import type { Services } from '../src/services.js';
import type { ConsoleStores } from '../store/stores.js';
import type { Details } from '../store/ui.js';
import type { BindingContext, BindingIdIn, Scope } from './keymap.js';

/** One handler per binding of scope `S`: a missing or unknown id is a type error. */
export type KeyHandlers<S extends Scope> = { readonly [Id in BindingIdIn<S>]: () => void | Promise<void> };

/** What the controller lends a tab's handlers. */
export interface KeyDeps {
  readonly services: Services;
  readonly stores: ConsoleStores;
  readonly actor: Actor;
  /** Table rows on screen now: list windows are loaded this tall. */
  listRows(): number;
  /** Runs `fn`; what it throws (or rejects with) goes to the status bar instead of ending the console. */
  safe(fn: () => void | Promise<void>): Promise<void>;
  /** Closes the dialog, runs a write, reports its result or refusal, and refreshes at once. */
  write(describe: () => string | Promise<string>): Promise<void>;
  /** Opens the filter prompt for the active list tab (the `/` of stuck, queue and audit). */
  askFilter(): void;
}

/** What a tab that shows a list tells the shared list keys (`list.*`, `/`, Esc). */
export interface ListKeys {
  move(delta: number): Promise<void>;
  jump(to: 'top' | 'bottom'): Promise<void>;
  /** The details pane for the selected row (the book as it is now), or null when nothing is selected. */
  selectedDetails(): Promise<Details | null>;
  /** The selection's part of the binding context (row actions are disabled without one). */
  selection(): Omit<BindingContext, 'readOnly'>;
  readonly filterPlaceholder: string;
  filterText(): string;
  /** Sets the filter and reloads the list; may reject (the caller reports it). */
  setFilter(text: string): Promise<void>;
  /** The filter as the status bar names it; '' when there is none. */
  describeFilter(text: string): string;
}
