/**
 * Helpers for driving Ink components through ink-testing-library by waiting for the screen to
 * change, never for a fixed time.
 *
 * Facts these rely on (Ink 6.8): input is parsed after one macrotask, a lone Esc is held for
 * about 20 ms (it could be the start of an escape sequence), and in the testing library every
 * render appends a frame to `instance.frames`. So "the key was handled" is "a new frame
 * appeared"; a key that changes nothing produces no frame, and for that we wait a short,
 * bounded time (`settleMs`) and go on.
 */
import type { render } from 'ink-testing-library';
import { createElement, type ReactElement } from 'react';
import { makeTheme, ThemeProvider } from '../../components/theme.js';

export type InkInstance = ReturnType<typeof render>;

// eslint-disable-next-line no-control-regex
const ANSI_RE = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

/** Remove ANSI escape sequences (colours, cursor moves, OSC). */
export function stripAnsi(s: string): string {
  return s.replace(ANSI_RE, '');
}

/**
 * Matches SGR sequences that set a colour: 30–37, 38;…, 39, 40–47, 48;…, 49, 90–97, 100–107.
 * Bold, dim and inverse do not match: they are not colour (NO_COLOR allows them).
 */
export function hasAnsiColour(s: string): boolean {
  // eslint-disable-next-line no-control-regex
  const sgr = /\u001b\[([0-9;]*)m/g;
  for (const m of s.matchAll(sgr)) {
    const params = (m[1] ?? '').split(';').map(Number);
    if (params.some((p) => (p >= 30 && p <= 49) || (p >= 90 && p <= 97) || (p >= 100 && p <= 107))) return true;
  }
  return false;
}

/** The last frame without escape codes ('' before the first frame). */
export function lastFrameStripped(instance: InkInstance): string {
  return stripAnsi(instance.lastFrame() ?? '');
}

export interface WaitOptions {
  /** Hang guard, not a speed assertion (default 3000 ms). */
  readonly timeoutMs?: number;
}

const tick = (ms = 2): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolve with the (stripped) last frame once `predicate` holds for it. Throws with the last
 * frame in the message if it never does within the hang guard.
 */
export async function waitForFrame(
  instance: InkInstance,
  predicate: (frame: string) => boolean,
  opts: WaitOptions = {},
): Promise<string> {
  const deadline = Date.now() + (opts.timeoutMs ?? 3000);
  for (;;) {
    const frame = lastFrameStripped(instance);
    if (predicate(frame)) return frame;
    if (Date.now() > deadline) {
      throw new Error(`waitForFrame: condition never held. Last frame:\n${frame}`);
    }
    await tick();
  }
}

/** Wait until the frame contains `text`. */
export function waitForText(instance: InkInstance, text: string, opts: WaitOptions = {}): Promise<string> {
  return waitForFrame(instance, (f) => f.includes(text), opts);
}

/** Named keys and the bytes a terminal sends for them. */
export const KEY_SEQUENCES = {
  up: '\u001b[A',
  down: '\u001b[B',
  right: '\u001b[C',
  left: '\u001b[D',
  pgup: '\u001b[5~',
  pgdn: '\u001b[6~',
  home: '\u001b[H',
  end: '\u001b[F',
  tab: '\t',
  'shift-tab': '\u001b[Z',
  esc: '\u001b',
  enter: '\r',
  space: ' ',
  // What most terminals send for the Backspace key (Ink reports it as `key.delete`).
  backspace: '\u007f',
  'ctrl-c': '\u0003',
  'ctrl-u': '\u0015',
} as const;

export type KeyName = keyof typeof KEY_SEQUENCES;

export interface SendOptions extends WaitOptions {
  /**
   * How long to wait for a frame before deciding the key changed nothing (default 150 ms).
   * Keys that do change the screen return as soon as the frame appears; for a callback or a
   * slow change, assert with `waitForFrame` / `vi.waitFor` rather than right after this.
   */
  readonly settleMs?: number;
}

async function sendOne(instance: InkInstance, data: string, settleMs: number, timeoutMs: number): Promise<void> {
  const framesBefore = instance.frames.length;
  instance.stdin.write(data);
  const settleDeadline = Date.now() + settleMs;
  const hangDeadline = Date.now() + timeoutMs;
  // A new frame means the key was handled. Without one by `settleMs`, assume it changed nothing.
  while (instance.frames.length === framesBefore && Date.now() < Math.min(settleDeadline, hangDeadline)) {
    await tick();
  }
}

/**
 * Press keys one at a time. Each entry is a `KeyName` (`'down'`, `'esc'`, `'ctrl-c'`, …) or a
 * literal string written as typed (a one-character string is one keypress; a longer one arrives
 * as one paste, which is how Ink sees pasted text — use `typeText` for keystrokes).
 */
export async function sendKeys(instance: InkInstance, ...keys: (KeyName | (string & {}))[]): Promise<void> {
  await sendKeysWith(instance, {}, ...keys);
}

export async function sendKeysWith(
  instance: InkInstance,
  opts: SendOptions,
  ...keys: (KeyName | (string & {}))[]
): Promise<void> {
  for (const k of keys) {
    const data = k in KEY_SEQUENCES ? KEY_SEQUENCES[k as KeyName] : k;
    // A lone Esc is only delivered after Ink's ~20 ms escape timeout.
    const settle = Math.max(opts.settleMs ?? 150, data === KEY_SEQUENCES.esc ? 60 : 0);
    await sendOne(instance, data, settle, opts.timeoutMs ?? 3000);
  }
}

/** Type `text` one character per keypress. */
export async function typeText(instance: InkInstance, text: string, opts: SendOptions = {}): Promise<void> {
  for (const ch of text) await sendOne(instance, ch, opts.settleMs ?? 150, opts.timeoutMs ?? 3000);
}

/** Wait until `useInput` handlers are subscribed (they attach in an effect after first render). */
export async function waitForInputReady(instance: InkInstance): Promise<void> {
  await waitForFrame(instance, (f) => f.length > 0);
  await tick(5);
}

/** `el` under a `ThemeProvider` with the given colour/glyph choice (default: colour, Unicode). */
export function themed(el: ReactElement, opts: { colour?: boolean; ascii?: boolean } = {}): ReactElement {
  return createElement(ThemeProvider, { theme: makeTheme({ colour: opts.colour ?? true, ascii: opts.ascii ?? false }) }, el);
}
