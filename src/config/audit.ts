/**
 * The `audit` config section: where the audit key lives, when it is not in the environment.
 *
 * { "audit": { "key_file": "/etc/agentic-pipeline/audit.key" } }
 *
 * A relative key_file is relative to the config file. The environment wins
 * (AGENTIC_PIPELINE_AUDIT_KEY, then AGENTIC_PIPELINE_AUDIT_KEY_FILE), so one process can be given
 * the key without a config file. A config file that cannot be read here is left to the commands
 * that need its other sections to report: a writer without the key is refused by a keyed chain
 * anyway, so nothing is written unkeyed after keyed entries.
 */
import path from 'node:path';
import { z } from 'zod';
import { InputError } from '../domain/errors.js';
import { AUDIT_KEY_FILE_ENV, auditKeyFromEnv } from '../db/audit-key.js';
import { configPath, loadRawConfig, type RawConfig } from './load.js';

const AuditSection = z.object({ key_file: z.string().min(1).optional() }).strict();

export function auditKeyFor(dbPath: string, configFile?: string, env: NodeJS.ProcessEnv = process.env): Buffer | null {
  const fromEnv = auditKeyFromEnv(env);
  if (fromEnv !== null || dbPath === ':memory:') return fromEnv;
  const file = configPath(dbPath, configFile, env);
  if (file === undefined) return null;
  let raw: RawConfig;
  try {
    raw = loadRawConfig(file);
  } catch {
    return null;
  }
  if (raw.audit === undefined) return null;
  const parsed = AuditSection.safeParse(raw.audit);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(`config file ${file}: audit${issue.path.length ? '.' + issue.path.join('.') : ''}: ${issue.message}`);
  }
  if (parsed.data.key_file === undefined) return null;
  return auditKeyFromEnv({ [AUDIT_KEY_FILE_ENV]: path.resolve(path.dirname(file), parsed.data.key_file) });
}
