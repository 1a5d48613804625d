/**
 * Stored text (file names, titles, actors, reasons, error messages) can hold terminal control
 * characters: a file named `ESC]0;…` or `ESC[2J` would retitle or clear the operator's terminal
 * if printed raw. Every human output (CLI tables and lines, the console) passes such text through
 * `escapeControl`, which makes each C0/C1 control character and DEL visible as `\xHH` (tab,
 * newline and carriage return as `\t`, `\n`, `\r`) so the operator sees that it is there.
 * `--json` output keeps the raw value (JSON escapes it already).
 */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

const NAMED: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** `s` with every control character written out visibly; unchanged when it has none. */
export function escapeControl(s: string): string {
  if (!hasControl(s)) return s;
  return s.replace(CONTROL, (ch) => NAMED[ch] ?? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** True when `s` holds a C0/C1 control character or DEL. */
export function hasControl(s: string): boolean {
  CONTROL.lastIndex = 0;
  const found = CONTROL.test(s);
  CONTROL.lastIndex = 0;
  return found;
}
