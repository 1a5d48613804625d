/**
 * Small helpers shared by the one-shot commands: positional arguments, whole-number flags, state
 * names, and reading a pipeline's state history. Every mistake is an InputError (exit 2, one line).
 */
import type { Engine } from '../db/engine.js';
import type { CommandContext } from './context.js';
import { InputError } from '../domain/errors.js';
import type { PipelineState } from '../domain/states.js';
import { isPipelineState, MAX_PRIORITY, MIN_PRIORITY, STATES } from '../domain/states.js';
import { assertPriority } from '../domain/priority.js';
import type { HistoryRow } from '../db/ops/history.js';

/**
 * The command's positional arguments, exactly `names.length` of them (the last ones may be
 * optional when `required` is smaller).
 */
export function positionals(ctx: CommandContext, usage: string, names: readonly string[], required = names.length): string[] {
  const input = ctx.args.input;
  if (input.length < required) {
    throw new InputError(`missing ${names[input.length]} (usage: agentic-pipeline ${usage})`);
  }
  if (input.length > names.length) {
    throw new InputError(`unexpected argument '${input[names.length]}' (usage: agentic-pipeline ${usage})`);
  }
  return input;
}

/**
 * A whole number within [min, max], or the fallback when the flag was not given. Checked on the
 * text as typed: '5.0' is refused here even though Number() reads it as 5.
 */
export function wholeNumberFlag(
  ctx: CommandContext,
  name: string,
  options: { min: number; max: number; fallback: number },
): number {
  const v = ctx.args.flags[name];
  if (v === undefined) return options.fallback;
  const n = Array.isArray(v) ? v[v.length - 1] : v;
  const typed = ctx.args.numberText?.[name];
  const text = Array.isArray(typed) ? typed[typed.length - 1] : typed;
  const wholeText = text === undefined || /^[+-]?\d+$/.test(text);
  if (typeof n !== 'number' || !wholeText || !Number.isInteger(n) || n < options.min || n > options.max) {
    throw new InputError(`--${kebab(name)} must be a whole number from ${options.min} to ${options.max}, got ${text ?? String(n)}`);
  }
  return n;
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** Parses a priority given as text (a positional) or a number (a flag). */
export function parsePriority(raw: unknown, label = 'priority'): number {
  const text = String(raw).trim();
  if (!/^[+-]?\d{1,15}$/.test(text)) {
    throw new InputError(
      `${label} must be a whole number from ${MIN_PRIORITY} (most urgent) to ${MAX_PRIORITY}, got '${String(raw)}'`,
    );
  }
  return assertPriority(Number(text), label);
}

/** An optional string flag: undefined when absent (parseArgs refuses a repeated one unless it is a list). */
export function stringFlag(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.args.flags[name];
  if (v === undefined || v === null) return undefined;
  return String(Array.isArray(v) ? v[v.length - 1] : v);
}

export function parseState(value: string, flag = '--state'): PipelineState {
  const s = value.trim().toLowerCase();
  if (!isPipelineState(s)) {
    throw new InputError(`unknown state '${value}' for ${flag}: expected one of ${STATES.join(', ')}`);
  }
  return s;
}

/** The history columns the CLI shows (everything but pipeline_id). */
export type { HistoryRow } from '../db/ops/history.js';

/** A pipeline's state history, oldest first. */
export async function readHistory(engine: Engine, pipelineId: string, limit = 1000): Promise<HistoryRow[]> {
  return engine.history.forPipeline(pipelineId, limit);
}

export function historyToJson(h: HistoryRow): Record<string, unknown> {
  return {
    from: h.from_state,
    to: h.to_state,
    at: h.at,
    duration_ms: h.duration_ms,
    actor: h.actor,
    details: h.details,
  };
}
