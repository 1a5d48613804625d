/**
 * Configuration file: JSON, from --config, else $AGENTIC_PIPELINE_CONFIG, else
 * `agentic-pipeline.json` beside the database. Each top-level section (`worker`, `ops`, …) is
 * validated with zod by the module that owns it; this file only finds and reads it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../domain/errors.js';
import { isPostgresLocation } from '../db/location.js';

export type RawConfig = Record<string, unknown>;

export function configPath(dbPath: string, flag?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (flag) return path.resolve(flag);
  if (env.AGENTIC_PIPELINE_CONFIG) return path.resolve(env.AGENTIC_PIPELINE_CONFIG);
  // A server URL has no folder beside it here (`postgres:` would resolve to the working folder).
  if (isPostgresLocation(dbPath)) return undefined;
  const beside = path.join(path.dirname(path.resolve(dbPath)), 'agentic-pipeline.json');
  return fs.existsSync(beside) ? beside : undefined;
}

/** Reads the config file; a missing explicit file or bad JSON is an InputError naming the file. */
export function loadRawConfig(file: string | undefined): RawConfig {
  if (!file) return {};
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new InputError(`config file not found: ${file}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new InputError(`config file ${file} must hold a JSON object`);
    }
    return parsed as RawConfig;
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
}
