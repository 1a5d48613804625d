/**
 * BatchFilter → SQL. The filter is validated with zod at the edge (confidence within [0, 1],
 * known states and book types, hexadecimal id prefixes, …) and then applied in SQL, exactly:
 * preview and apply run the same WHERE clause. Values are always bound parameters.
 */
import { z } from 'zod';
import { BOOK_TYPES, MAX_PRIORITY, MIN_PRIORITY, STATES, type PipelineState } from '../domain/states.js';
import { InputError } from '../domain/errors.js';
import type { BatchFilter, BatchOperation } from './types.js';

export const DEFAULT_MAX_COUNT = 50;

const confidence = (label: string) =>
  z
    .number({ error: `${label} must be a number` })
    .refine((v) => Number.isFinite(v) && v >= 0 && v <= 1, { message: `${label} must be between 0 and 1` });

export const BatchFilterSchema = z
  .object({
    book_types: z.array(z.enum(BOOK_TYPES, { error: (i) => `unknown book type '${String(i.input)}' (one of ${BOOK_TYPES.join(', ')})` })).min(1).optional(),
    min_confidence: confidence('min confidence').optional(),
    max_confidence: confidence('max confidence').optional(),
    states: z.array(z.enum(STATES, { error: (i) => `unknown state '${String(i.input)}'` })).min(1).optional(),
    created_before: z.number().int().optional(),
    created_after: z.number().int().optional(),
    path_glob: z.string().min(1, 'the path pattern is empty').optional(),
    priorities: z.array(z.number().int().min(MIN_PRIORITY).max(MAX_PRIORITY, `priority must be ${MIN_PRIORITY}..${MAX_PRIORITY}`)).min(1).optional(),
    ids: z
      .array(z.string().regex(/^[0-9a-fA-F]{1,32}$/, 'an id (or id prefix) is hexadecimal, up to 32 characters'))
      .min(1)
      .optional(),
    max_count: z.number().int().positive('max count must be at least 1').max(1_000_000).optional(),
  })
  .strict()
  .refine((f) => f.min_confidence === undefined || f.max_confidence === undefined || f.min_confidence <= f.max_confidence, {
    message: 'min confidence is above max confidence',
  });

export const BatchOperationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('approve') }),
  z.object({ kind: z.literal('reject'), reason: z.string().trim().min(1, 'reject needs a reason (--reason "…")') }),
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

export interface FilterSql {
  where: string;
  params: Record<string, unknown>;
  /**
   * `INDEXED BY …` for `FROM pipelines`, or ''. The approval queue's type/confidence index is
   * partial on state = 'pending_approval' (so approving a book does not move its entry), and
   * without statistics the planner would not pick it on its own.
   */
  index: string;
}

/** WHERE clause (without the keyword) and its parameters for a validated filter and state set. */
export function filterToSql(filter: BatchFilter, states: readonly PipelineState[]): FilterSql {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  const inList = (prefix: string, values: readonly unknown[]) =>
    values
      .map((v, i) => {
        params[`${prefix}${i}`] = v;
        return `@${prefix}${i}`;
      })
      .join(', ');
  // States are validated names, written as literals so the planner can match partial indexes.
  where.push(states.length === 1 ? `state = '${states[0]}'` : `state IN (${states.map((st) => `'${st}'`).join(', ')})`);
  if (filter.book_types) where.push(`book_type IN (${inList('t', filter.book_types)})`);
  if (filter.min_confidence !== undefined) {
    where.push('confidence >= @min_confidence');
    params.min_confidence = filter.min_confidence;
  }
  if (filter.max_confidence !== undefined) {
    where.push('confidence <= @max_confidence');
    params.max_confidence = filter.max_confidence;
  }
  if (filter.created_before !== undefined) {
    where.push('created_at < @created_before');
    params.created_before = filter.created_before;
  }
  if (filter.created_after !== undefined) {
    where.push('created_at >= @created_after');
    params.created_after = filter.created_after;
  }
  if (filter.path_glob !== undefined) {
    where.push('source_path GLOB @path_glob');
    params.path_glob = filter.path_glob;
  }
  if (filter.priorities) where.push(`priority IN (${inList('p', filter.priorities)})`);
  if (filter.ids) {
    const ors = filter.ids.map((id, i) => {
      if (id.length === 32) {
        params[`id${i}`] = id;
        return `id = @id${i}`;
      }
      params[`idlo${i}`] = id;
      params[`idhi${i}`] = id + 'g'; // 'g' sorts after every hex digit
      return `(id >= @idlo${i} AND id < @idhi${i})`;
    });
    where.push(`(${ors.join(' OR ')})`);
  }
  const byTypeOrConfidence =
    filter.book_types !== undefined || filter.min_confidence !== undefined || filter.max_confidence !== undefined;
  const approvalQueue = states.length === 1 && states[0] === 'pending_approval' && byTypeOrConfidence && !filter.ids;
  return { where: where.join(' AND '), params, index: approvalQueue ? 'INDEXED BY pipelines_approval_queue' : '' };
}

/** The same filter in JavaScript (what tests compare the SQL against; also handy for one row). */
export function matchesFilter(
  row: { id: string; state: string; book_type: string | null; confidence: number | null; created_at: number; source_path: string; priority: number },
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
  return true;
}

/**
 * "2024-05-01", "2024-05-01T10:00:00Z" or a relative age like 7d / 12h / 30m / 2w (that long
 * before now). Returns ms since epoch.
 */
export function parseWhen(value: string, now: number, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/i.exec(value.trim());
  if (m) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2]!.toLowerCase() as 's'];
    return Math.round(now - Number(m[1]) * unit);
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(value.trim())) {
    const t = Date.parse(value.trim());
    if (!Number.isNaN(t)) return t;
  }
  throw new InputError(`invalid ${flag} '${value}': use an ISO date (2024-05-01) or an age like 7d, 12h, 30m`);
}
