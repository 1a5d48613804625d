/**
 * One terminal read can hold several keys: key repeat over SSH, a paste, tmux `send-keys -l`.
 * Ink splits escape sequences (arrows, PgDn, …) into their own events, but hands a run of plain
 * bytes to `useInput` as one `input` string: "jjjjj", or "*\/batch2/*\r" with the Enter inside
 * it. `splitKeys` turns such a run into the keys it holds, in order: each control byte (Enter,
 * Tab, Backspace, Ctrl-letter) becomes its own key, and the printable text between them stays
 * one `text` event so a prompt can take a paste in one edit. Whoever dispatches decides whether a
 * text run is typed into a prompt whole or read as single-character keys.
 */
import type { Key } from 'ink'; // type only

export interface KeyEvent {
  readonly input: string;
  readonly key: Key;
  /** A run of printable characters (more than one): pasted or repeated text. */
  readonly text: boolean;
}

export const BLANK_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/** The key one control byte stands for, as Ink would have reported it alone. */
function controlKey(ch: string): KeyEvent {
  const code = ch.charCodeAt(0);
  if (ch === '\r' || ch === '\n') return { input: '', key: { ...BLANK_KEY, return: true }, text: false };
  if (ch === '\t') return { input: '', key: { ...BLANK_KEY, tab: true }, text: false };
  if (code === 0x7f) return { input: '', key: { ...BLANK_KEY, delete: true }, text: false };
  if (code === 0x08) return { input: '', key: { ...BLANK_KEY, backspace: true }, text: false };
  if (code === 0x1b) return { input: '', key: { ...BLANK_KEY, escape: true, meta: true }, text: false };
  if (code >= 1 && code <= 26) return { input: String.fromCharCode(code + 96), key: { ...BLANK_KEY, ctrl: true }, text: false };
  return { input: '', key: BLANK_KEY, text: false };
}

// eslint-disable-next-line no-control-regex
const CONTROL_BYTE = /[\u0000-\u001f\u007f]/;

/** The keys in what `useInput` reported, in order (one event when it was a single key). */
export function splitKeys(input: string, key: Key): KeyEvent[] {
  const chars = [...input];
  // A single key, or a named key Ink already parsed (arrows, Esc, Enter, …).
  if (chars.length <= 1 || !isPlain(key)) return [{ input, key, text: false }];
  const out: KeyEvent[] = [];
  let run = '';
  const flush = (): void => {
    if (run === '') return;
    out.push({ input: run, key: BLANK_KEY, text: [...run].length > 1 });
    run = '';
  };
  for (const ch of chars) {
    if (CONTROL_BYTE.test(ch)) {
      flush();
      out.push(controlKey(ch));
    } else run += ch;
  }
  flush();
  return out;
}

function isPlain(key: Key): boolean {
  return !(
    key.upArrow ||
    key.downArrow ||
    key.leftArrow ||
    key.rightArrow ||
    key.pageDown ||
    key.pageUp ||
    key.home ||
    key.end ||
    key.return ||
    key.escape ||
    key.tab ||
    key.backspace ||
    key.delete ||
    key.ctrl ||
    key.meta
  );
}

/** A text run's characters as single keys (for lists, where each "j" is one move). */
export function charKeys(text: string): KeyEvent[] {
  return [...text].map((ch) => ({ input: ch, key: ch >= 'A' && ch <= 'Z' ? { ...BLANK_KEY, shift: true } : BLANK_KEY, text: false }));
}
