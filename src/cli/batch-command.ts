/**
 * The four batch commands share one shape: filter flags → preview (dry run, the default) or
 * preview + apply (--execute). Confidence outside [0, 1], unknown states/types, a bad date, or more
 * matches than --max are usage errors (exit 2) and change nothing.
 */
import type { Command } from './command.js';
import type { CommandContext } from './context.js';
import type { FlagSpecs } from './args.js';
import { InputError } from '../domain/errors.js';
import { BOOK_TYPES } from '../domain/states.js';
import { batchMaxCount, DEFAULT_BATCH_MAX_COUNT } from '../domain/batch-limits.js';
import { escapeControl } from '../text/escape.js';
import { formatCount } from '../text/format.js';
import { formatConfidence, shortId, table } from './format.js';
import type { BatchFilter, BatchOperation, BatchPreviewBook } from '../ops/types.js';
import { BatchTooLargeError, batchResultToJson } from '../ops/batch.js';
import { MAX_GLOB_LENGTH, parseWhen, validateFilter } from '../ops/batch-filter.js';
import { CONFIG_FLAG, listFlag, numberListFlag, optionalNumber, opsFor } from './ops-support.js';

export const FILTER_FLAGS: FlagSpecs = {
  type: { type: 'string', isMultiple: true, description: `book type(s), repeatable or comma list: ${BOOK_TYPES.join(', ')}` },
  bookType: { type: 'string', isMultiple: true, description: 'the same as --type (the name in the product documentation)' },
  minConfidence: { type: 'number', description: 'confidence at least (0..1)' },
  maxConfidence: { type: 'number', description: 'confidence at most (0..1)' },
  state: { type: 'string', isMultiple: true, description: 'state(s), repeatable or comma list (default depends on the operation)' },
  createdBefore: { type: 'string', description: 'created before: ISO date or an age like 7d, 12h' },
  createdAfter: { type: 'string', description: 'created at/after: ISO date or an age like 7d, 12h' },
  path: { type: 'string', allowControl: true, maxLength: MAX_GLOB_LENGTH, description: 'source path GLOB, e.g. "/library/tech/*"' },
  priorityIs: { type: 'number', integer: true, isMultiple: true, description: 'current priority (repeatable)' },
  id: { type: 'string', isMultiple: true, description: 'id or id prefix (repeatable)' },
  max: { type: 'number', integer: true, description: `refuse when more books match than this (default ${DEFAULT_BATCH_MAX_COUNT})` },
  execute: { type: 'boolean', default: false, description: 'apply (without it: a dry run that changes nothing)' },
  dryRun: { type: 'boolean', default: false, description: 'only show what would change (the default; not with --execute)' },
  ...CONFIG_FLAG,
};

export function filterFromFlags(flags: Record<string, unknown>, now: number): BatchFilter {
  const f: BatchFilter = {};
  const types = [...(listFlag(flags.type, 'type') ?? []), ...(listFlag(flags.bookType, 'book-type') ?? [])];
  if (types.length) f.book_types = types;
  const min = optionalNumber(flags.minConfidence);
  if (min !== undefined) f.min_confidence = min;
  const max = optionalNumber(flags.maxConfidence);
  if (max !== undefined) f.max_confidence = max;
  const states = listFlag(flags.state, 'state');
  if (states) f.states = states as BatchFilter['states'];
  if (flags.createdBefore !== undefined) f.created_before = parseWhen(String(flags.createdBefore), now, '--created-before');
  if (flags.createdAfter !== undefined) f.created_after = parseWhen(String(flags.createdAfter), now, '--created-after');
  if (flags.path !== undefined) f.path_glob = String(flags.path);
  const prios = numberListFlag(flags.priorityIs);
  if (prios) f.priorities = prios;
  const ids = listFlag(flags.id, 'id');
  if (ids) f.ids = ids;
  const attempts = optionalNumber(flags.maxAttempts);
  if (attempts !== undefined) f.attempts_below = attempts;
  const maxCount = optionalNumber(flags.max);
  if (maxCount !== undefined) f.max_count = maxCount;
  return f;
}

const VERB: Record<BatchOperation['kind'], string> = {
  approve: 'approve',
  reject: 'reject',
  retry: 'retry',
  priority: 're-prioritise',
};

function booksTable(books: readonly BatchPreviewBook[]): string {
  return table<BatchPreviewBook>(books, [
    { header: 'ID', value: (b) => shortId(b.id) },
    { header: 'STATE', value: (b) => b.state },
    { header: 'TYPE', value: (b) => b.book_type ?? '-', max: 20 },
    { header: 'CONF', value: (b) => formatConfidence(b.confidence), align: 'right' },
    { header: 'PRIO', value: (b) => String(b.priority), align: 'right' },
    { header: 'PATH', value: (b) => b.source_path, flex: true }, // escaped by table()
  ]);
}

const SHOWN = 10;

export function batchCommand(
  name: string,
  kind: BatchOperation['kind'],
  extra: { usage: string; summary: string; flags?: FlagSpecs; operation: (ctx: CommandContext) => BatchOperation },
): Command {
  return {
    usage: extra.usage,
    summary: `${extra.summary}
Dry run by default (prints how many match and the first rows); --execute applies, in
transactions of a few hundred books, skipping any book that changed since the preview.
More matches than --max (default ${DEFAULT_BATCH_MAX_COUNT}) is refused with exit 2.`,
    flags: { ...(extra.flags ?? {}), ...FILTER_FLAGS },
    async run(ctx) {
      if (ctx.args.flags.dryRun && ctx.args.flags.execute) {
        throw new InputError('--dry-run and --execute contradict each other; give one');
      }
      const operation = extra.operation(ctx);
      // Validate every flag before opening the database: a usage error never touches it.
      validateFilter(filterFromFlags(ctx.args.flags, Date.now()));
      const ops = await opsFor(ctx);
      const now = ops.core.clock();
      const timed = validateFilter(filterFromFlags(ctx.args.flags, now));
      const preview = await ops.batch.preview(timed, operation);
      const max = batchMaxCount(preview.filter);
      const filterDoc = preview.filter;
      const execute = Boolean(ctx.args.flags.execute);
      if (!execute || preview.exceeds_max) {
        if (ctx.json) {
          ctx.out.json({
            dry_run: true,
            operation: preview.operation,
            matched: preview.matched,
            max,
            exceeds_max: preview.exceeds_max,
            books: preview.books.map((b) => ({
              id: b.id, source_path: b.source_path, book_type: b.book_type, confidence: b.confidence, state: b.state, priority: b.priority,
            })),
            filter: filterDoc,
          });
        } else {
          ctx.out.line(`${execute ? '' : 'Dry run: '}${formatCount(preview.matched)} book${preview.matched === 1 ? '' : 's'} match (${name}).`);
          if (preview.books.length) {
            ctx.out.line(booksTable(preview.books.slice(0, SHOWN)));
            if (preview.matched > SHOWN) ctx.out.line(`… and ${formatCount(preview.matched - SHOWN)} more`);
          }
        }
        if (preview.exceeds_max) {
          throw new BatchTooLargeError(preview.matched, max);
        }
        if (!ctx.json && preview.matched > 0) ctx.out.line(`Nothing changed. Run again with --execute to ${VERB[kind]} ${preview.matched === 1 ? 'it' : 'them'}.`);
        return 0;
      }
      const result = await ops.batch.apply(preview, ctx.actor);
      if (ctx.json) {
        ctx.out.json(batchResultToJson(preview, result));
      } else {
        ctx.out.line(
          `${name}: ${formatCount(result.affected)} of ${formatCount(preview.matched)} book${preview.matched === 1 ? '' : 's'} done` +
            (result.audit_id !== null ? ` (audit #${result.audit_id})` : '') + '.',
        );
        for (const s of result.skipped.slice(0, 20)) ctx.out.line(`  skipped ${shortId(s.id)}: ${escapeControl(s.why)}`);
        if (result.skipped.length > 20) ctx.out.line(`  … ${result.skipped.length - 20} more skipped`);
      }
      return 0;
    },
  };
}

export function requireReason(ctx: CommandContext): string {
  const r = (ctx.args.flags.reason as string | undefined)?.trim();
  if (!r) throw new InputError('batch-reject needs --reason "…"');
  return r;
}
