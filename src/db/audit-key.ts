/**
 * The audit chain's key, kept outside the database: with it, new entries are HMAC-SHA256'd, so
 * rewriting the chain (or appending a forged entry) needs the key as well as the file.
 * `AGENTIC_PIPELINE_AUDIT_KEY` holds the key itself; `AGENTIC_PIPELINE_AUDIT_KEY_FILE` names a
 * file holding it (surrounding whitespace ignored). The first one set wins.
 */
import fs from 'node:fs';
import { InputError } from '../domain/errors.js';

export const AUDIT_KEY_ENV = 'AGENTIC_PIPELINE_AUDIT_KEY';
export const AUDIT_KEY_FILE_ENV = 'AGENTIC_PIPELINE_AUDIT_KEY_FILE';

/** Keys shorter than this are refused: a guessable key protects nothing. */
const MIN_KEY_BYTES = 16;

export function auditKeyFromEnv(env: NodeJS.ProcessEnv = process.env): Buffer | null {
  const inline = env[AUDIT_KEY_ENV];
  if (inline !== undefined && inline !== '') return checked(Buffer.from(inline, 'utf8'), AUDIT_KEY_ENV);
  const file = env[AUDIT_KEY_FILE_ENV];
  if (file === undefined || file === '') return null;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new InputError(`cannot read the audit key file ${file} (${AUDIT_KEY_FILE_ENV}): ${code}`);
  }
  return checked(Buffer.from(text.trim(), 'utf8'), `the audit key file ${file}`);
}

function checked(key: Buffer, where: string): Buffer {
  if (key.length < MIN_KEY_BYTES) throw new InputError(`the audit key in ${where} is too short: use at least ${MIN_KEY_BYTES} bytes`);
  return key;
}
