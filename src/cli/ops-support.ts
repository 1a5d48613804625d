/**
 * Shared by the ops one-shot commands: the --config flag, building `services.ops` with settings
 * from flags, and parsing the batch filter flags.
 */
import type { CommandContext } from './context.js';
import type { FlagSpecs } from './args.js';
import type { OpsConfigInput } from '../config/ops.js';
import { loadOpsConfig } from '../config/ops.js';
import { InputError } from '../domain/errors.js';
import type { OpsBundle } from '../ops/index.js';

export const CONFIG_FLAG: FlagSpecs = {
  config: { type: 'string', allowControl: true, description: 'config file (else $AGENTIC_PIPELINE_CONFIG, else agentic-pipeline.json beside the db)' },
};

/** Opens the database (must exist) and returns the ops services with --config and overrides. */
export async function opsFor(ctx: CommandContext, overrides: OpsConfigInput = {}): Promise<OpsBundle> {
  const services = await ctx.services({ create: false });
  const flag = ctx.args.flags.config as string | undefined;
  let ops = flag ? services.ops.withConfig(loadOpsConfig(services.dbPath, flag, ctx.env)) : services.ops;
  if (Object.keys(overrides).length > 0) ops = ops.withOverrides(overrides);
  return ops;
}

/**
 * Flag values that may repeat and may hold comma lists: ["a,b", "c"] → ["a", "b", "c"].
 * Undefined only when the flag was not given: a value with no items in it ("", ",", " , ") is a
 * usage error, because a filter given nothing must never mean "any" (`--id "$ID"` with an empty
 * variable would otherwise act on every book).
 */
export function listFlag(value: unknown, flag?: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const raw = Array.isArray(value) ? value : [value];
  if (raw.length === 0) return undefined; // a repeatable flag that was not given (meow's [])
  const out = raw.flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter(Boolean);
  if (out.length === 0) {
    const shown = raw.map((v) => `'${String(v)}'`).join(' ');
    throw new InputError(`${flag ? `--${flag}` : 'a list flag'} was given ${shown}, which names nothing; give at least one value`);
  }
  return out;
}

/** Repeatable number flags (already parsed and checked by parseArgs). */
export function numberListFlag(value: unknown): number[] | undefined {
  if (value === undefined || value === null) return undefined;
  const raw = Array.isArray(value) ? value : [value];
  return raw.length ? raw.map((v) => Number(v)) : undefined;
}

/** --expected processing=1200 (repeatable) → { processing: 1200 }. */
export function expectedFlag(value: unknown): Record<string, number> | undefined {
  const items = listFlag(value);
  if (!items) return undefined;
  const out: Record<string, number> = {};
  for (const item of items) {
    const m = /^([a-z_]+)=(\d+(?:\.\d+)?)$/.exec(item);
    if (!m) throw new InputError(`invalid --expected '${item}': use STATE=SECONDS, e.g. processing=1200`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

export function optionalNumber(value: unknown): number | undefined {
  return value === undefined || value === null ? undefined : Number(value);
}
