/**
 * BatchFilter → SQL. The filter is validated with zod at the edge (confidence within [0, 1],
 * known states and book types, hexadecimal id prefixes, …) and then applied in SQL, exactly:
 * preview and apply run the same WHERE clause. Values are always bound parameters.
 */
import { z } from 'zod';
import { BOOK_TYPES, MAX_PRIORITY, MIN_PRIORITY, STATES, type PipelineState } from '../domain/states.js';
import { InputError } from '../domain/errors.js';
import { isPlainText, MAX_REASON_LENGTH } from '../domain/free-text.js';
import type { BatchFilter, BatchOperation } from './types.js';

/**
 * Longest path pattern accepted. Real patterns are a folder and a wildcard or two; SQLite's GLOB
 * walks the pattern for every row it tests, so a 100 KB pattern is a slow scan of a 1M-book table
 * that a person never meant (and a pasted mistake when it happens).
 */
export const MAX_GLOB_LENGTH = 1024;

/** A list whose every item is empty ("", ",", " , ") is a usage error, never "no filter". */
const nonEmptyList = <T extends z.ZodType>(item: T, what: string) =>
  z.array(item).min(1, `the ${what} list is empty: an empty filter would match every book`);

const confidence = (label: string) =>
  z
    .number({ error: `${label} must be a number` })
    .refine((v) => Number.isFinite(v) && v >= 0 && v <= 1, { message: `${label} must be between 0 and 1` });

export const BatchFilterSchema = z
  .object({
    book_types: nonEmptyList(
      z.enum(BOOK_TYPES, { error: (i) => `unknown book type '${String(i.input)}': the known types are ${BOOK_TYPES.join(', ')}` }),
      'book type',
    ).optional(),
    min_confidence: confidence('min confidence').optional(),
    max_confidence: confidence('max confidence').optional(),
    states: nonEmptyList(z.enum(STATES, { error: (i) => `unknown state '${String(i.input)}' (one of ${STATES.join(', ')})` }), 'state').optional(),
    created_before: z.number().int().optional(),
    created_after: z.number().int().optional(),
    path_glob: z
      .string()
      .refine((g) => g.trim() !== '', 'the path pattern is empty: an empty filter would match every book')
      .refine((g) => g.length <= MAX_GLOB_LENGTH, `the path pattern is longer than ${MAX_GLOB_LENGTH} characters`)
      .optional(),
    priorities: nonEmptyList(
      z.number().int(`priority must be a whole number ${MIN_PRIORITY}..${MAX_PRIORITY}`).min(MIN_PRIORITY).max(MAX_PRIORITY, `priority must be ${MIN_PRIORITY}..${MAX_PRIORITY}`),
      'priority',
    ).optional(),
    ids: nonEmptyList(z.string().regex(/^[0-9a-fA-F]{1,32}$/, 'an id (or id prefix) is hexadecimal, up to 32 characters'), 'id').optional(),
    attempts_below: z.number().int('max attempts must be a whole number').min(1, 'max attempts must be at least 1').max(1000).optional(),
    max_count: z.number().int().positive('max count must be at least 1').max(1_000_000).optional(),
  })
  .strict()
  .refine((f) => f.min_confidence === undefined || f.max_confidence === undefined || f.min_confidence <= f.max_confidence, {
    message: 'min confidence is above max confidence',
  });

export const BatchOperationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('approve') }),
  z.object({ kind: z.literal('reject'), reason: z
      .string()
      .trim()
      .min(1, 'reject needs a reason (--reason "…")')
      .refine(isPlainText, `the reject reason must be plain text (no control characters) of at most ${MAX_REASON_LENGTH} characters`) }),
  z.object({ kind: z.literal('retry') }),
  z.object({ kind: z.literal('priority'), priority: z.number().int().min(MIN_PRIORITY).max(MAX_PRIORITY, `priority must be ${MIN_PRIORITY}..${MAX_PRIORITY}`) }),
]);

function firstIssue(error: z.ZodError): string {
  const i = error.issues[0];
  return i ? i.message : 'invalid batch filter';
}

/** Validates and normalises a filter (ids lower-cased, duplicates dropped). Throws InputError. */
export function validateFilter(filter: BatchFilter): BatchFilter {
  const r = BatchFilterSchema.safeParse(filter);
  if (!r.success) throw new InputError(firstIssue(r.error));
  const f: BatchFilter = { ...r.data } as BatchFilter;
  if (f.ids) f.ids = [...new Set(f.ids.map((i) => i.toLowerCase()))];
  if (f.book_types) f.book_types = [...new Set(f.book_types)];
  if (f.states) f.states = [...new Set(f.states)];
  if (f.priorities) f.priorities = [...new Set(f.priorities)];
  return f;
}

export function validateOperation(op: BatchOperation): BatchOperation {
  const r = BatchOperationSchema.safeParse(op);
  if (!r.success) throw new InputError(firstIssue(r.error));
  return r.data as BatchOperation;
}

/** The states each operation can act on, and the ones it picks when the filter names none. */
export const OPERATION_STATES: Record<BatchOperation['kind'], { allowed: readonly PipelineState[]; default: readonly PipelineState[] }> = {
  approve: { allowed: ['pending_approval'], default: ['pending_approval'] },
  reject: { allowed: ['pending_approval', 'approved', 'detected', 'needs_retry'], default: ['pending_approval'] },
  retry: { allowed: ['failed', 'needs_retry', 'rejected'], default: ['failed', 'needs_retry'] },
  priority: { allowed: ['detected', 'needs_retry', 'approved', 'pending_approval'], default: ['detected', 'needs_retry', 'approved'] },
};

/** The states a batch acts on: the filter's states narrowed to what the operation allows. */
export function effectiveStates(filter: BatchFilter, kind: BatchOperation['kind']): PipelineState[] {
  const spec = OPERATION_STATES[kind];
  if (!filter.states) return [...spec.default];
  const states = filter.states.filter((s) => spec.allowed.includes(s));
  if (states.length === 0) {
    throw new InputError(
      `batch ${kind} acts only on ${spec.allowed.join(', ')} books; --state ${filter.states.join(',')} leaves nothing to act on`,
    );
  }
  return states;
}

/** The same filter in JavaScript (what tests compare the SQL against; also handy for one row). */
export function matchesFilter(
  row: { id: string; state: string; book_type: string | null; confidence: number | null; created_at: number; source_path: string; priority: number; attempts?: number },
  filter: BatchFilter,
  states: readonly PipelineState[],
  glob: (path: string, pattern: string) => boolean,
): boolean {
  if (!states.includes(row.state as PipelineState)) return false;
  if (filter.book_types && (row.book_type === null || !filter.book_types.includes(row.book_type))) return false;
  if (filter.min_confidence !== undefined && (row.confidence === null || row.confidence < filter.min_confidence)) return false;
  if (filter.max_confidence !== undefined && (row.confidence === null || row.confidence > filter.max_confidence)) return false;
  if (filter.created_before !== undefined && !(row.created_at < filter.created_before)) return false;
  if (filter.created_after !== undefined && !(row.created_at >= filter.created_after)) return false;
  if (filter.path_glob !== undefined && !glob(row.source_path, filter.path_glob)) return false;
  if (filter.priorities && !filter.priorities.includes(row.priority)) return false;
  if (filter.ids && !filter.ids.some((p) => row.id.startsWith(p))) return false;
  if (filter.attempts_below !== undefined && !((row.attempts ?? 0) < filter.attempts_below)) return false;
  return true;
}

/** Dates and ages are parsed by the one strict reader every interface shares. */
export { parseWhen } from '../domain/when.js';
