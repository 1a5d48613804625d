/**
 * Parameter and result schemas shared by the tools. Each refusal message names the parameter,
 * so an assistant can correct exactly the argument it got wrong.
 */
import { z } from 'zod';
import { BOOK_TYPES, DEFAULT_PRIORITY, MAX_PRIORITY, MIN_PRIORITY, STATES } from '../domain/states.js';

export const MAX_LIST_LIMIT = 500;

export const pipelineId = z.string().min(1, 'pipeline_id is empty').max(64, 'pipeline_id is longer than an id').describe('pipeline id, or a unique prefix of it (8 characters are usually enough)');

export const priority = (name: string) =>
  z
    .number({ error: `${name} must be a whole number from ${MIN_PRIORITY} to ${MAX_PRIORITY}` })
    .int(`${name} must be a whole number from ${MIN_PRIORITY} to ${MAX_PRIORITY}`)
    .min(MIN_PRIORITY, `${name} must be a whole number from ${MIN_PRIORITY} (most urgent) to ${MAX_PRIORITY}`)
    .max(MAX_PRIORITY, `${name} must be a whole number from ${MIN_PRIORITY} (most urgent) to ${MAX_PRIORITY}`)
    .describe(`${MIN_PRIORITY} (most urgent) to ${MAX_PRIORITY} (least); ${DEFAULT_PRIORITY} is the default`);

export const limit = (fallback: number) =>
  z
    .number({ error: `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}` })
    .int(`limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`)
    .min(1, `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`)
    .max(MAX_LIST_LIMIT, `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`)
    .default(fallback)
    .describe(`rows per page (default ${fallback}, at most ${MAX_LIST_LIMIT}); results are also cut to about 100 KB`);

export const cursor = z.string().min(1, 'cursor is empty').max(1000, 'cursor is longer than any this server gives').optional().describe('next_cursor from the previous page');

export const state = z.enum(STATES, { error: (i) => `state '${String(i.input)}' is not a state: one of ${STATES.join(', ')}` });

export const reason = (name = 'reason') => z.string().max(4096, `${name} is longer than 4096 characters`);

const confidence = (name: string) =>
  z
    .number({ error: `${name} must be a number between 0 and 1` })
    .min(0, `${name} must be between 0 and 1`)
    .max(1, `${name} must be between 0 and 1`)
    .optional();

/** The batch filters, by the names the issue gives them; validated again by the domain's BatchFilter. */
export const batchFilterShape = {
  book_type: z
    .enum(BOOK_TYPES, { error: (i) => `book_type '${String(i.input)}' is not a known book type: one of ${BOOK_TYPES.join(', ')}` })
    .optional(),
  min_confidence: confidence('min_confidence'),
  max_confidence: confidence('max_confidence'),
  state: state.optional().describe('the state to act on (default: what the operation acts on)'),
  created_before: z.string().min(1, 'created_before is empty').max(64).optional().describe('ISO date, or an age such as 7d or 12h'),
  created_after: z.string().min(1, 'created_after is empty').max(64).optional().describe('ISO date, or an age such as 7d or 12h'),
  source_path_pattern: z.string().min(1, 'source_path_pattern is empty').max(1024, 'source_path_pattern is longer than 1024 characters').optional().describe('GLOB over the source path, e.g. "/library/tech/*"'),
  max_count: z
    .number({ error: 'max_count must be a whole number of at least 1' })
    .int('max_count must be a whole number')
    .min(1, 'max_count must be at least 1')
    .max(1_000_000, 'max_count must be at most 1000000')
    .default(50)
    .describe('refuse when more books match than this (default 50)'),
  execute: z.boolean().default(false).describe('false (default): a dry run returning preview_token; true: apply exactly that preview'),
  preview_token: z.string().max(200).optional().describe('the preview_token of the dry run of this same call (required with execute)'),
};

/** Results are objects with the documented fields first; anything else the CLI adds passes through. */
export const loose = (shape: z.ZodRawShape) => z.looseObject(shape);

const previewBook = loose({ id: z.string(), state: z.string(), source_path: z.string() });

export const batchResultSchema = loose({
  dry_run: z.boolean(),
  operation: loose({ kind: z.string() }),
  matched: z.number(),
  filter: z.record(z.string(), z.unknown()),
  books: z.array(previewBook).optional(),
  exceeds_max: z.boolean().optional(),
  preview_token: z.string().nullable().optional(),
  expires_at: z.number().nullable().optional(),
  affected: z.number().optional(),
  affected_ids: z.array(z.string()).optional(),
  skipped: z.array(loose({ id: z.string(), why: z.string() })).optional(),
  audit_id: z.number().nullable().optional(),
});
