/**
 * The PostgreSQL WindowOps: the console's keyset reads, one file per list (window-queue.ts,
 * window-failed.ts, window-audit.ts), observably the SQLite engine's (same order, ties, filters
 * and capped counts). Reads only, each a statement or two on the pool, no transaction held open.
 * Unfiltered totals are the pipelines group's counts (the sharded `pipeline_counts` aggregate).
 */
import type { WindowOps } from '../ops/windows.js';
import type { PgContext } from './context.js';
import { pgPipelineOps } from './pipelines.js';
import { pgQueueWindows } from './window-queue.js';
import { pgFailedWindows } from './window-failed.js';
import { pgAuditWindows } from './window-audit.js';

export function pgWindowOps(ctx: PgContext): WindowOps {
  const pipelines = pgPipelineOps(ctx);
  return { ...pgQueueWindows(ctx, pipelines), ...pgFailedWindows(ctx, pipelines), ...pgAuditWindows(ctx) };
}
