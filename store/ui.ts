/**
 * What the console is showing, as opposed to the data it shows: the active tab, the single open
 * overlay (help, a confirmation, a text prompt — one at a time, like codex's overlayMode), the
 * details pane, whether refresh is paused, the status message, and the ages in the status bar.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { TabId } from '../screens/keymap.js';
import type { ColourToken } from '../components/theme.js';
import type { KeyValueItem } from '../components/KeyValueList.js';

export interface ConfirmOverlay {
  readonly kind: 'confirm';
  readonly action: string;
  readonly subject: string;
  readonly count: number;
  readonly detail?: string;
  readonly destructive?: boolean;
  readonly onConfirm: () => void | Promise<void>;
  /** What has been typed so far when the count must be typed (kept here: the controller reads the keys). */
  readonly typed?: string;
  readonly error?: string | null;
}

export interface PromptOverlay {
  readonly kind: 'prompt';
  readonly label: string;
  readonly initialValue?: string;
  readonly placeholder?: string;
  readonly digitsOnly?: boolean;
  readonly validate?: (value: string) => string | null;
  readonly onSubmit: (value: string) => void | Promise<void>;
  readonly onChange?: (value: string) => void | Promise<void>;
  /** Called on Esc (e.g. to restore a live filter). */
  readonly onCancel?: () => void | Promise<void>;
  /**
   * The text typed so far and the validation message: the controller edits them key by key, so
   * keys that arrive in one read (a paste and its Enter) are applied in order, none lost to a
   * render that has not happened yet.
   */
  readonly value?: string;
  readonly error?: string | null;
}

export type Overlay = { readonly kind: 'none' } | { readonly kind: 'help'; readonly offset: number } | ConfirmOverlay | PromptOverlay;

export const NO_OVERLAY: Overlay = { kind: 'none' };

export interface StatusMessage {
  readonly text: string;
  readonly tone?: ColourToken;
}

/** A details pane over a list: which tab, and which row (book id or audit id). */
export interface Details {
  readonly tab: TabId;
  readonly id: string;
  readonly title: string;
  readonly items: readonly KeyValueItem[];
  /** First line shown: the pane scrolls (j/k, PgUp/PgDn, g/G) when the story is longer than the screen. */
  readonly offset?: number;
}

export interface UiState {
  readonly tab: TabId;
  readonly overlay: Overlay;
  readonly details: Details | null;
  readonly paused: boolean;
  readonly message: StatusMessage | null;
  /** Quantised to the refresh period (see Poller), so an idle refresh changes nothing here. */
  readonly dataAgeMs: number | null;
  readonly lastPollAgeMs: number | null;
  setTab(tab: TabId): void;
  setOverlay(overlay: Overlay): void;
  closeOverlay(): void;
  setDetails(details: Details | null): void;
  setPaused(paused: boolean): void;
  setMessage(message: StatusMessage | null): void;
  setAges(dataAgeMs: number | null, lastPollAgeMs: number | null): void;
}

export type UiStore = StoreApi<UiState>;

export function createUiStore(initialTab: TabId = 'health'): UiStore {
  return createStore<UiState>()((set, get) => ({
    tab: initialTab,
    overlay: NO_OVERLAY,
    details: null,
    paused: false,
    message: null,
    dataAgeMs: null,
    lastPollAgeMs: null,
    setTab: (tab) => {
      if (get().tab !== tab) set({ tab, details: null });
    },
    setOverlay: (overlay) => set({ overlay }),
    closeOverlay: () => {
      if (get().overlay.kind !== 'none') set({ overlay: NO_OVERLAY });
    },
    setDetails: (details) => set({ details }),
    setPaused: (paused) => {
      if (get().paused !== paused) set({ paused });
    },
    setMessage: (message) => {
      const cur = get().message;
      if (cur?.text === message?.text && cur?.tone === message?.tone) return;
      set({ message });
    },
    setAges: (dataAgeMs, lastPollAgeMs) => {
      const s = get();
      if (s.dataAgeMs === dataAgeMs && s.lastPollAgeMs === lastPollAgeMs) return;
      set({ dataAgeMs, lastPollAgeMs });
    },
  }));
}

/** True while a confirmation or prompt is open: lists are frozen so rows cannot move under it. */
export function isModal(overlay: Overlay): boolean {
  return overlay.kind === 'confirm' || overlay.kind === 'prompt';
}
