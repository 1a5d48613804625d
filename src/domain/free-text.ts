/**
 * Text a person types that is stored and later shown to other people: reasons, notes. Checked
 * where the domain receives it (CLI, console form, any future interface), so no interface can
 * store a control character that would act on the terminal of whoever reads the audit trail.
 */
import { InputError } from './errors.js';
import { escapeControl, hasControl } from './control-chars.js';

/** A reason is a sentence or two; a longer one is a pasted file or a runaway variable. */
export const MAX_REASON_LENGTH = 2000;

/** Throws InputError (one line, the value escaped) unless `value` is plain text of sane length. */
export function checkFreeText(value: string, label: string): string {
  if (hasControl(value)) {
    throw new InputError(`${label} holds a control character ('${escapeControl(value).slice(0, 80)}'); type plain text`);
  }
  if (value.length > MAX_REASON_LENGTH) {
    throw new InputError(`${label} is too long (${value.length.toLocaleString('en-US')} characters; at most ${MAX_REASON_LENGTH.toLocaleString('en-US')})`);
  }
  return value;
}

/** The same check as a predicate, for zod refinements. */
export function isPlainText(value: string): boolean {
  return !hasControl(value) && value.length <= MAX_REASON_LENGTH;
}
