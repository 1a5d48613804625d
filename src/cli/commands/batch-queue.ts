/**
 * `batch-queue DIR [--pattern GLOB] [--priority N]`: queue every supported book under a folder.
 *
 * Files are found and hashed first (outside any transaction, a few at a time), then recorded in
 * ONE transaction by the batch-queue service (src/ops/batch-queue.ts): one BATCH_QUEUED audit
 * row listing the ids, and a per-book row (QUEUED / REQUEUED / DUPLICATE_DETECTED) pointing at
 * it through batch_id.
 */
import fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import type { Command } from '../command.js';
import { positionals, stringFlag, wholeNumberFlag } from '../util.js';
import { formatFromPath, SUPPORTED_EXTENSIONS } from '../../ops/enqueue.js';
import { queueHashedFiles } from '../../ops/batch-queue.js';
import { InputError } from '../../domain/errors.js';
import { DEFAULT_PRIORITY, MAX_PRIORITY, MIN_PRIORITY } from '../../domain/states.js';
import { hashFile } from '../../ingest/hash.js';
import { MAX_GLOB_LENGTH } from '../../ops/batch-filter.js';
import { formatCount, shortId } from '../format.js';
import { escapeControl } from '../../text/escape.js';

const USAGE = 'batch-queue DIR [--pattern GLOB] [--priority N]';
const HASH_CONCURRENCY = 4;

/**
 * Why a file under DIR was not queued. The walk never aborts on one bad entry (a symlink loop
 * used to end the whole run with nothing queued): each is counted with its reason and the rest
 * are queued.
 */
type SkipReason =
  | 'unsupported'
  | 'not_matching'
  | 'unreadable'
  | 'symlink_loop'
  | 'broken_link'
  | 'not_regular_file'
  | 'symlinked_folder';

const SKIP_NOTES: Record<SkipReason, string> = {
  unsupported: 'unsupported type',
  not_matching: 'not matching the pattern',
  unreadable: 'unreadable',
  symlink_loop: 'symlink loop',
  broken_link: 'broken symlink',
  not_regular_file: 'not a regular file',
  symlinked_folder: 'symlinked folder, not followed',
};

/** How many skipped entries --json names one by one (the counts are always complete). */
const LISTED_SKIPS = 1000;

interface Found {
  abs: string;
  rel: string;
}

interface SkippedEntry {
  path: string;
  reason: SkipReason;
  detail?: string;
}

interface Walk {
  files: Found[];
  /** Entries the walk could not use; `counted` says whether each was a file-like entry scanned. */
  skipped: (SkippedEntry & { counted: boolean })[];
}

const relOf = (dir: string, abs: string) => path.relative(dir, abs).split(path.sep).join('/') || '.';

/** What a symlink points at, as a skip reason, or 'file' when it is a regular file. */
function followLink(abs: string): 'file' | { reason: SkipReason; detail?: string } {
  try {
    const st = fs.statSync(abs);
    if (st.isFile()) return 'file';
    if (st.isDirectory()) return { reason: 'symlinked_folder' };
    return { reason: 'not_regular_file' };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { reason: 'symlink_loop' };
    if (code === 'ENOENT' || code === 'ENOTDIR') return { reason: 'broken_link' };
    return { reason: 'unreadable', detail: code ?? (err as Error).message };
  }
}

/** Every regular file under `dir` (symlinked files followed, symlinked folders not), sorted. */
function walk(dir: string): Walk {
  const files: Found[] = [];
  const skipped: Walk['skipped'] = [];
  const stack = [dir];
  while (stack.length) {
    const current = stack.pop()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(current, { withFileTypes: true });
    } catch (err) {
      skipped.push({ path: relOf(dir, current), reason: 'unreadable', detail: (err as NodeJS.ErrnoException).code ?? 'error', counted: false });
      continue;
    }
    for (const e of entries) {
      const abs = path.join(current, e.name);
      const rel = relOf(dir, abs);
      if (e.isDirectory()) {
        stack.push(abs);
      } else if (e.isFile()) {
        files.push({ abs, rel });
      } else if (e.isSymbolicLink()) {
        const target = followLink(abs);
        if (target === 'file') files.push({ abs, rel });
        else skipped.push({ path: rel, ...target, counted: target.reason !== 'symlinked_folder' });
      } else {
        skipped.push({ path: rel, reason: 'not_regular_file', counted: true });
      }
    }
  }
  const byPath = (x: { rel?: string; path?: string }, y: { rel?: string; path?: string }) => {
    const [p, q] = [x.rel ?? x.path ?? '', y.rel ?? y.path ?? ''];
    return p < q ? -1 : p > q ? 1 : 0;
  };
  return { files: files.sort(byPath), skipped: skipped.sort(byPath) };
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

const command: Command = {
  usage: USAGE,
  summary: `Queue every book under a folder, recursively (${SUPPORTED_EXTENSIONS.join(' ')}). One audit row records the batch.`,
  flags: {
    pattern: { type: 'string', allowControl: true, maxLength: MAX_GLOB_LENGTH, description: 'only files matching this glob, e.g. "*.epub" or "tech/**/*.pdf"' },
    priority: { type: 'number', integer: true, description: `priority ${MIN_PRIORITY} (most urgent) to ${MAX_PRIORITY}, default ${DEFAULT_PRIORITY}` },
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

    const skipped: Record<SkipReason, number> = {
      unsupported: 0, not_matching: 0, unreadable: 0, symlink_loop: 0, broken_link: 0, not_regular_file: 0, symlinked_folder: 0,
    };
    const skippedEntries: SkippedEntry[] = [];
    const skip = (entry: SkippedEntry) => {
      skipped[entry.reason]++;
      if (skippedEntries.length < LISTED_SKIPS) skippedEntries.push(entry);
    };
    const candidates: Found[] = [];
    const found = walk(dir);
    for (const { counted: _counted, ...entry } of found.skipped) skip(entry);
    const scanned = found.files.length + found.skipped.filter((e) => e.counted).length;
    for (const f of found.files) {
      if (matches && !matches(f.rel)) skip({ path: f.rel, reason: 'not_matching' });
      else if (formatFromPath(f.abs) === null) skip({ path: f.rel, reason: 'unsupported' });
      else candidates.push(f);
    }

    const hashed = (
      await mapLimit(candidates, HASH_CONCURRENCY, async (f) => {
        try {
          const h = await hashFile(f.abs);
          return { ...f, ...h };
        } catch (err) {
          const detail = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
          skip({ path: f.rel, reason: 'unreadable', detail });
          ctx.out.warn(`skipped ${escapeControl(f.rel)}: ${escapeControl((err as Error).message)}`);
          return undefined;
        }
      })
    ).filter((x): x is NonNullable<typeof x> => x !== undefined);

    const s = await ctx.services();
    const { results, batchId } = await queueHashedFiles(
      s.engine,
      hashed.map((f) => ({ path: f.abs, hash: f.hash, size: f.size })),
      { priority, actor: ctx.actor, dir, pattern: pattern ?? null },
    );

    const of = (o: string) => results.filter((r) => r.outcome === o);
    const queued = of('queued');
    const requeued = of('requeued');
    const duplicates = of('duplicate');
    const already = of('already_queued');
    const skippedTotal = Object.values(skipped).reduce((x, y) => x + y, 0);

    ctx.out.json({
      dir,
      pattern: pattern ?? null,
      priority,
      scanned,
      matching: candidates.length,
      /** The files scanned (kept for scripts written against the first version of this document). */
      found: found.files.length,
      queued: queued.length,
      requeued: requeued.length,
      duplicates: duplicates.length,
      already_queued: already.length,
      skipped: skippedTotal,
      skipped_by_reason: skipped,
      skipped_entries: skippedEntries,
      skipped_entries_listed: skippedEntries.length < skippedTotal ? `first ${LISTED_SKIPS}` : 'all',
      batch_audit_id: batchId,
      queued_ids: queued.map((r) => r.pipeline.id),
      requeued_ids: requeued.map((r) => r.pipeline.id),
      duplicate_books: duplicates.map((r) => ({ id: r.pipeline.id, duplicate_of: r.duplicateOf, source_path: r.pipeline.source_path })),
      already_queued_ids: already.map((r) => r.pipeline.id),
    });

    const notes = (Object.keys(skipped) as SkipReason[])
      .filter((k) => skipped[k] > 0)
      .map((k) => `${formatCount(skipped[k])} ${SKIP_NOTES[k]}`)
      .join(', ');
    const rows: [string, number, string][] = [
      ['Queued', queued.length, ''],
      ['Re-queued', requeued.length, 'rejected, archived or failed before'],
      ['Duplicates', duplicates.length, 'same content as a book already in the pipeline'],
      ['Already queued', already.length, 'this very file is in the pipeline'],
      ['Skipped', skippedTotal, notes],
    ];
    const w = Math.max(...rows.map((r) => formatCount(r[1]).length));
    const shownDir = escapeControl(dir);
    ctx.out.line(
      `${formatCount(scanned)} file${scanned === 1 ? '' : 's'} scanned under ${shownDir}, ${formatCount(candidates.length)} ` +
        (pattern ? `matching ${escapeControl(pattern)}:` : `book file${candidates.length === 1 ? '' : 's'}:`),
    );
    for (const [label, n, note] of rows) {
      ctx.out.line(`  ${label.padEnd(15)} ${formatCount(n).padStart(w)}${n && note ? `  (${note})` : ''}`);
    }
    if (batchId !== null) ctx.out.line(`Priority ${priority}; audit batch #${batchId}.`);
    for (const d of duplicates.slice(0, 10)) {
      ctx.out.line(`  duplicate ${shortId(d.pipeline.id)} of ${shortId(d.duplicateOf ?? '')}: ${escapeControl(path.relative(dir, d.pipeline.source_path))}`);
    }
    if (duplicates.length > 10) ctx.out.line(`  … and ${duplicates.length - 10} more duplicates (--json lists them all)`);
    for (const e of skippedEntries.filter((x) => x.reason !== 'unsupported' && x.reason !== 'not_matching').slice(0, 10)) {
      ctx.out.line(`  skipped ${escapeControl(e.path)}: ${SKIP_NOTES[e.reason]}${e.detail ? ` (${escapeControl(e.detail)})` : ''}`);
    }
    return 0;
  },
};
export default command;
