/**
 * `batch-queue DIR [--pattern GLOB] [--priority N]`: queue every supported book under a folder.
 *
 * Files are found and hashed first (outside any transaction, a few at a time), then recorded in
 * ONE immediate transaction: one BATCH_QUEUED audit row listing the ids, and a per-book row
 * (QUEUED / REQUEUED / DUPLICATE_DETECTED) pointing at it through batch_id. The batch row must
 * list ids that only exist once the books are recorded, so the records are first played inside
 * a savepoint that is rolled back (new rows get ids fixed in advance, so the replay is exact),
 * then the batch row is written and the records are made for real, in the same transaction.
 */
import fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import type { Command } from '../command.js';
import { positionals, stringFlag, wholeNumberFlag } from '../util.js';
import { formatFromPath, SUPPORTED_EXTENSIONS, type EnqueueResult } from '../../domain/enqueue.js';
import { InputError } from '../../domain/errors.js';
import { DEFAULT_PRIORITY, MAX_PRIORITY, MIN_PRIORITY } from '../../domain/states.js';
import { newPipelineId } from '../../store/pipelines.js';
import { immediate } from '../../store/db.js';
import { hashFile } from '../../ingest/hash.js';
import { formatCount, shortId } from '../format.js';

const USAGE = 'batch-queue DIR [--pattern GLOB] [--priority N]';
const HASH_CONCURRENCY = 4;

type SkipReason = 'unsupported' | 'not_matching' | 'unreadable';

interface Found {
  abs: string;
  rel: string;
}

/** Every regular file under `dir` (symlinked files followed, symlinked folders not), sorted. */
function walk(dir: string): Found[] {
  const out: Found[] = [];
  const stack = [dir];
  while (stack.length) {
    const current = stack.pop()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const abs = path.join(current, e.name);
      if (e.isDirectory()) {
        stack.push(abs);
      } else if (e.isFile() || (e.isSymbolicLink() && fs.statSync(abs, { throwIfNoEntry: false })?.isFile())) {
        out.push({ abs, rel: path.relative(dir, abs).split(path.sep).join('/') });
      }
    }
  }
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  });
  await Promise.all(runners);
  return results;
}

const PLAN_ONLY = Symbol('plan only');

const command: Command = {
  usage: USAGE,
  summary: `Queue every book under a folder, recursively (${SUPPORTED_EXTENSIONS.join(' ')}). One audit row records the batch.`,
  flags: {
    pattern: { type: 'string', description: 'only files matching this glob, e.g. "*.epub" or "tech/**/*.pdf"' },
    priority: { type: 'number', description: `priority ${MIN_PRIORITY} (most urgent) to ${MAX_PRIORITY}, default ${DEFAULT_PRIORITY}` },
  },
  async run(ctx) {
    const [dirArg] = positionals(ctx, USAGE, ['DIR']);
    const priority = wholeNumberFlag(ctx, 'priority', { min: MIN_PRIORITY, max: MAX_PRIORITY, fallback: DEFAULT_PRIORITY });
    const pattern = stringFlag(ctx, 'pattern');
    const dir = path.resolve(dirArg!);
    const stat = fs.statSync(dir, { throwIfNoEntry: false });
    if (!stat) throw new InputError(`folder not found: ${dirArg}`);
    if (!stat.isDirectory()) throw new InputError(`not a folder: ${dirArg} (use 'process' for one file)`);
    let matches: ((rel: string) => boolean) | undefined;
    if (pattern !== undefined) {
      try {
        // A pattern without a slash matches the file name anywhere ("*.epub"); one with a slash
        // matches the path under DIR ("tech/**/*.pdf"). (picomatch's own `basename` option
        // breaks patterns that contain a slash, so the choice is made here.)
        matches = picomatch(pattern, { basename: !pattern.includes('/'), dot: true });
      } catch (err) {
        throw new InputError(`invalid --pattern '${pattern}': ${(err as Error).message}`);
      }
    }

    const skipped: Record<SkipReason, number> = { unsupported: 0, not_matching: 0, unreadable: 0 };
    const candidates: Found[] = [];
    const found = walk(dir);
    for (const f of found) {
      if (matches && !matches(f.rel)) skipped.not_matching++;
      else if (formatFromPath(f.abs) === null) skipped.unsupported++;
      else candidates.push(f);
    }

    const hashed = (
      await mapLimit(candidates, HASH_CONCURRENCY, async (f) => {
        try {
          const h = await hashFile(f.abs);
          return { ...f, ...h, id: newPipelineId() };
        } catch (err) {
          skipped.unreadable++;
          ctx.out.warn(`skipped ${f.rel}: ${(err as Error).message}`);
          return undefined;
        }
      })
    ).filter((x): x is NonNullable<typeof x> => x !== undefined);

    const s = ctx.services();
    const recordAll = (batchId: number | null): EnqueueResult[] =>
      hashed.map((f) =>
        s.enqueuer.record({ path: f.abs, hash: f.hash, size: f.size, priority, actor: ctx.actor, batchId, id: f.id }),
      );

    const { results, batchId } = immediate(s.db, () => {
      let plan: EnqueueResult[] = [];
      try {
        s.db.transaction(() => {
          plan = recordAll(null);
          throw PLAN_ONLY;
        })();
      } catch (err) {
        if (err !== PLAN_ONLY) throw err;
      }
      const recorded = plan.filter((r) => r.outcome !== 'already_queued');
      let batch: number | null = null;
      if (recorded.length > 0) {
        const by = (o: string) => recorded.filter((r) => r.outcome === o).length;
        batch = s.audit.append({
          action: 'BATCH_QUEUED',
          actor: ctx.actor,
          filter: { dir, pattern: pattern ?? null },
          ids: recorded.map((r) => r.pipeline.id),
          details: { priority, queued: by('queued'), requeued: by('requeued'), duplicates: by('duplicate') },
        });
      }
      const real = recordAll(batch);
      real.forEach((r, i) => {
        if (r.pipeline.id !== plan[i]?.pipeline.id || r.outcome !== plan[i]?.outcome) {
          throw new Error(`batch-queue: recording ${r.pipeline.source_path} differed from its plan; nothing was written`);
        }
      });
      return { results: real, batchId: batch };
    });

    const of = (o: string) => results.filter((r) => r.outcome === o);
    const queued = of('queued');
    const requeued = of('requeued');
    const duplicates = of('duplicate');
    const already = of('already_queued');
    const skippedTotal = skipped.unsupported + skipped.not_matching + skipped.unreadable;

    ctx.out.json({
      dir,
      pattern: pattern ?? null,
      priority,
      found: found.length,
      queued: queued.length,
      requeued: requeued.length,
      duplicates: duplicates.length,
      already_queued: already.length,
      skipped: skippedTotal,
      skipped_by_reason: skipped,
      batch_audit_id: batchId,
      queued_ids: queued.map((r) => r.pipeline.id),
      requeued_ids: requeued.map((r) => r.pipeline.id),
      duplicate_books: duplicates.map((r) => ({ id: r.pipeline.id, duplicate_of: r.duplicateOf, source_path: r.pipeline.source_path })),
      already_queued_ids: already.map((r) => r.pipeline.id),
    });

    const rows: [string, number, string][] = [
      ['Queued', queued.length, ''],
      ['Re-queued', requeued.length, 'rejected, archived or failed before'],
      ['Duplicates', duplicates.length, 'same content as a book already in the pipeline'],
      ['Already queued', already.length, 'this very file is in the pipeline'],
      [
        'Skipped',
        skippedTotal,
        [
          skipped.unsupported ? `${skipped.unsupported} unsupported type` : '',
          skipped.not_matching ? `${skipped.not_matching} not matching the pattern` : '',
          skipped.unreadable ? `${skipped.unreadable} unreadable` : '',
        ]
          .filter(Boolean)
          .join(', '),
      ],
    ];
    const w = Math.max(...rows.map((r) => formatCount(r[1]).length));
    ctx.out.line(`${formatCount(found.length)} files under ${dir}${pattern ? ` matching ${pattern}` : ''}:`);
    for (const [label, n, note] of rows) {
      ctx.out.line(`  ${label.padEnd(15)} ${formatCount(n).padStart(w)}${n && note ? `  (${note})` : ''}`);
    }
    if (batchId !== null) ctx.out.line(`Priority ${priority}; audit batch #${batchId}.`);
    for (const d of duplicates.slice(0, 10)) {
      ctx.out.line(`  duplicate ${shortId(d.pipeline.id)} of ${shortId(d.duplicateOf ?? '')}: ${path.relative(dir, d.pipeline.source_path)}`);
    }
    if (duplicates.length > 10) ctx.out.line(`  … and ${duplicates.length - 10} more duplicates (--json lists them all)`);
    return 0;
  },
};
export default command;
