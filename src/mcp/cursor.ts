/**
 * Opaque list cursors: the keyset of the last row shown, so the next page is one index range at
 * any depth (never an OFFSET over a million rows). Base64url JSON tagged with the list it belongs
 * to, so a cursor from get_audit_log handed to list_pipelines is refused, not misread.
 */
import { InputError } from '../domain/errors.js';

export function encodeCursor(list: string, key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([list, ...key]), 'utf8').toString('base64url');
}

/** The keyset inside `cursor`, checked against the shapes given (one type per position). */
export function decodeCursor(list: string, cursor: string, shape: readonly ('string' | 'number')[]): (string | number)[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (
    !Array.isArray(parsed) ||
    parsed[0] !== list ||
    parsed.length !== shape.length + 1 ||
    !shape.every((t, i) => typeof parsed[i + 1] === t && (t === 'string' || Number.isFinite(parsed[i + 1])))
  ) {
    throw new InputError(`cursor is not one this server gave for ${list}: pass back the next_cursor of the previous page unchanged`);
  }
  return parsed.slice(1) as (string | number)[];
}
