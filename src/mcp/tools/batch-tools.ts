/**
 * The batch tools, two steps bound to the preview. Without `execute` a call is the dry run: the
 * matched count, the first rows and a preview_token for exactly the (id, version) set it saw.
 * With `execute: true` and that token, the batch service applies exactly that set (a book changed
 * since is skipped and reported, never forced). The token is bound to the tool and every filter
 * and operation argument as given, so it cannot execute a different call's set.
 */
import { InputError } from '../../domain/errors.js';
import type { BatchFilter, BatchOperation, BatchPreview } from '../../ops/types.js';
import { parseWhen, validateFilter, validateOperation } from '../../ops/batch-filter.js';
import { batchResultToJson } from '../../ops/batch.js';
import { batchFilterShape, batchResultSchema, priority, reason } from '../schemas.js';
import { DESTRUCTIVE, WRITE, type ToolContext, type ToolSpec } from '../tool-spec.js';
import { fitRows } from '../bounded.js';

interface FilterArgs {
  book_type?: string;
  min_confidence?: number;
  max_confidence?: number;
  state?: string;
  created_before?: string;
  created_after?: string;
  source_path_pattern?: string;
  max_count: number;
  execute: boolean;
  preview_token?: string;
}

const FILTER_KEYS = ['book_type', 'min_confidence', 'max_confidence', 'state', 'created_before', 'created_after', 'source_path_pattern', 'max_count'] as const;

/** The domain BatchFilter for these arguments (validated there: empty values are refused). */
function filterOf(args: FilterArgs, now: number): BatchFilter {
  const f: BatchFilter = { max_count: args.max_count };
  if (args.book_type !== undefined) f.book_types = [args.book_type];
  if (args.min_confidence !== undefined) f.min_confidence = args.min_confidence;
  if (args.max_confidence !== undefined) f.max_confidence = args.max_confidence;
  if (args.state !== undefined) f.states = [args.state as NonNullable<BatchFilter['states']>[number]];
  if (args.created_before !== undefined) f.created_before = parseWhen(args.created_before, now, 'created_before');
  if (args.created_after !== undefined) f.created_after = parseWhen(args.created_after, now, 'created_after');
  if (args.source_path_pattern !== undefined) f.path_glob = args.source_path_pattern;
  return validateFilter(f);
}

/**
 * What a token is bound to: the tool, the operation and the filter arguments as given (not as
 * resolved: "created_before: 7d" means the same call a minute later, though its instant moved).
 */
function bindingOf(tool: string, args: FilterArgs, op: BatchOperation): string {
  const filter: Record<string, unknown> = {};
  for (const k of FILTER_KEYS) if (args[k] !== undefined) filter[k] = args[k];
  return JSON.stringify({ tool, op, filter });
}

const previewDoc = (p: BatchPreview) => ({
  dry_run: true,
  operation: p.operation,
  matched: p.matched,
  max: p.filter.max_count,
  exceeds_max: p.exceeds_max,
  books: p.books.map((b) => ({ id: b.id, source_path: b.source_path, book_type: b.book_type, confidence: b.confidence, state: b.state, priority: b.priority })),
  filter: p.filter,
});

const VERB: Record<BatchOperation['kind'], string> = { approve: 'Approve', reject: 'Reject', retry: 'Retry', priority: 'Re-prioritise' };

/** What the person is asked: the exact count and what happens to them. */
function confirmation(p: BatchPreview): string {
  const op = p.operation;
  const what = op.kind === 'reject' ? ` (reason: "${op.reason}")` : op.kind === 'priority' ? ` to priority ${op.priority}` : '';
  return `${VERB[op.kind]} exactly ${p.books.length} book${p.books.length === 1 ? '' : 's'}${what}? An AI assistant asks to apply this batch; books changed since its preview will be skipped.`;
}

async function runBatch(tool: string, args: FilterArgs, operation: BatchOperation, ctx: ToolContext): Promise<Record<string, unknown>> {
  const { services, tokens, actor } = ctx;
  const op = validateOperation(operation);
  const filter = filterOf(args, services.clock());
  const binding = bindingOf(tool, args, op);
  const ops = services.ops;
  if (!args.execute) {
    if (args.preview_token !== undefined) throw new InputError('preview_token goes with execute: true (without execute the call is a dry run that issues a new token)');
    const preview = await ops.batch.preview(filter, op);
    const doc = previewDoc(preview);
    // Shown rows are capped for size; the token still names every previewed book.
    const { doc: fitted, shown } = fitRows(doc.books.length, (n) => ({ ...doc, books: doc.books.slice(0, n) }));
    if (preview.exceeds_max) {
      return {
        ...fitted, preview_token: null, expires_at: null,
        message: `${preview.matched} books match, more than max_count ${preview.filter.max_count}: narrow the filter or raise max_count; nothing can be executed from this preview`,
      };
    }
    const { token, expires_at } = preview.matched > 0 ? tokens.issue(binding, preview) : { token: null, expires_at: null };
    return { ...fitted, ...(shown < doc.books.length ? { books_shown: shown } : {}), preview_token: token, expires_at };
  }
  if (args.preview_token === undefined) {
    throw new InputError('execute: true needs preview_token: run the same call without execute first, show the person what it matched, then pass its preview_token');
  }
  const previewed = tokens.check(args.preview_token, binding);
  // A model saying "confirmed" is not a person's consent: ask the person, where the client can.
  const answer = await ctx.confirm(confirmation(previewed));
  if (answer === 'declined') throw new InputError('the person declined the confirmation: nothing was changed (the preview_token stays valid until it expires)');
  if (answer === 'unsupported' && ctx.confirmWithHuman) {
    throw new InputError('this server requires a person to confirm each execution (--confirm-with-human) and this client cannot ask (no elicitation support): nothing was changed');
  }
  const preview = tokens.redeem(args.preview_token, binding);
  return batchResultToJson(preview, await ops.batch.apply(preview, actor()));
}

const PREVIEW_NOTE =
  'Without execute: a dry run returning matched, the first books and a preview_token (valid 10 minutes). With execute: true and that token: applies exactly the previewed books; any that changed since are skipped and listed. A client that can ask its user (elicitation) is asked to confirm the exact count first.';

const approve: ToolSpec = {
  name: 'batch_approve',
  title: 'Approve books matching a filter',
  description: `Approves pending_approval books matching the filter (pending_approval → approved). ${PREVIEW_NOTE}`,
  input: batchFilterShape,
  output: batchResultSchema,
  annotations: WRITE,
  run: (args: FilterArgs, ctx) => runBatch('batch_approve', args, { kind: 'approve' }, ctx),
};

const reject: ToolSpec = {
  name: 'batch_reject',
  title: 'Reject books matching a filter',
  description: `Rejects books matching the filter (default state pending_approval; also approved, detected, needs_retry), with a reason. ${PREVIEW_NOTE}`,
  input: { ...batchFilterShape, reason: reason().describe('why (required; kept in the audit trail)') },
  output: batchResultSchema,
  annotations: DESTRUCTIVE,
  run: (args: FilterArgs & { reason: string }, ctx) => runBatch('batch_reject', args, { kind: 'reject', reason: args.reason }, ctx),
};

const retry: ToolSpec = {
  name: 'batch_retry',
  title: 'Retry books matching a filter',
  description: `Sends failed / needs_retry books (or rejected, with state) matching the filter through again, with fresh attempts. ${PREVIEW_NOTE}`,
  input: batchFilterShape,
  output: batchResultSchema,
  annotations: WRITE,
  run: (args: FilterArgs, ctx) => runBatch('batch_retry', args, { kind: 'retry' }, ctx),
};

const setPriority: ToolSpec = {
  name: 'batch_set_priority',
  title: 'Re-prioritise books matching a filter',
  description: `Sets the priority of queued books (detected, needs_retry, approved; or pending_approval with state) matching the filter. ${PREVIEW_NOTE}`,
  input: { priority: priority('priority'), ...batchFilterShape },
  output: batchResultSchema,
  annotations: WRITE,
  run: (args: FilterArgs & { priority: number }, ctx) => runBatch('batch_set_priority', args, { kind: 'priority', priority: args.priority }, ctx),
};

export const BATCH_TOOLS: readonly ToolSpec[] = [approve, reject, retry, setPriority];
export type { FilterArgs };
