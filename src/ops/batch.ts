/**
 * Batch operations over a filter: preview (a dry run: count and rows) and apply.
 *
 * Apply touches exactly the previewed books, in immediate transactions of `chunk_size` books
 * (default 1000, about 40 ms of lock on the 1M file) so workers' claims interleave instead of
 * waiting out one long lock. Each book is re-checked inside its transaction: a book whose version
 * moved since the preview is skipped and reported, never forced.
 *
 * The trail never claims more than happened, even when the process is killed between chunks: the
 * first transaction re-checks every previewed book and writes the batch's header row (operation,
 * filter, how many it plans, and the books that chunk applied); each later chunk closes with a
 * BATCH_CHUNK row (batch_id = the header) naming the books it applied. What a batch applied is
 * the header's count plus its BATCH_CHUNK rows' counts. Each changed book gets its own row in the
 * same transaction as its change, pointing at the header (batch_id): APPROVED / REJECTED for
 * approvals and rejections, so `audit --action APPROVED` finds single and batch approvals alike,
 * and BATCH_RETRIED / BATCH_PRIORITY_CHANGED for the others.
 */
import type { Actor } from '../domain/actor.js';
import { InputError } from '../domain/errors.js';
import type { PipelineState } from '../domain/states.js';
import { canTransition } from '../domain/states.js';
import { batchMaxCount } from '../domain/batch-limits.js';
import type { BatchChange, BatchCurrent, BatchStep } from '../db/ops/batches.js';
import type {
  BatchFilter,
  BatchOperation,
  BatchPreview,
  BatchPreviewBook,
  BatchResult,
  BatchService as BatchServiceContract,
} from './types.js';
import type { OpsContext } from './core.js';
import { effectiveStates, validateFilter, validateOperation } from './batch-filter.js';

/** How many rows a preview shows when more books match than the maximum. */
export const PREVIEW_ROWS_WHEN_EXCEEDED = 20;

/** The batch's header row. */
const AUDIT_ACTION: Record<BatchOperation['kind'], string> = {
  approve: 'BATCH_APPROVED',
  reject: 'BATCH_REJECTED',
  retry: 'BATCH_RETRIED',
  priority: 'BATCH_PRIORITY_CHANGED',
};
/** Each changed book's row: the action a single change of that kind records, where there is one. */
const BOOK_ACTION: Record<BatchOperation['kind'], string> = {
  approve: 'APPROVED',
  reject: 'REJECTED',
  retry: 'BATCH_RETRIED',
  priority: 'BATCH_PRIORITY_CHANGED',
};

/**
 * Test hook: with this set to k, apply stops for good after committing its k-th chunk (and says
 * so on stderr), so a test can SIGKILL it mid-batch on that event instead of on a timer.
 */
export const STALL_AFTER_CHUNK_ENV = 'AGENTIC_PIPELINE_TEST_BATCH_STALL_AFTER_CHUNK';

function stallForTest(chunk: number): void {
  if (process.env[STALL_AFTER_CHUNK_ENV] !== String(chunk)) return;
  process.stderr.write(`batch: stalled after chunk ${chunk} (${STALL_AFTER_CHUNK_ENV})\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}

/** An applied batch as a document: the one `--json` / MCP shape for what a batch did. */
export function batchResultToJson(preview: BatchPreview, result: BatchResult) {
  return {
    dry_run: false,
    operation: preview.operation,
    matched: preview.matched,
    affected: result.affected,
    affected_ids: result.affected_ids,
    skipped: result.skipped,
    audit_id: result.audit_id,
    filter: preview.filter,
  };
}

export class BatchTooLargeError extends InputError {
  override name = 'BatchTooLargeError';
  constructor(
    readonly matched: number,
    readonly max: number,
  ) {
    super(`${matched} books match, more than the maximum of ${max}; narrow the filter or raise --max`);
  }
}

export class BatchService implements BatchServiceContract {
  constructor(private readonly ctx: OpsContext) {}

  async preview(filter: BatchFilter, operation: BatchOperation): Promise<BatchPreview> {
    const op = validateOperation(operation);
    const f = validateFilter(filter);
    const max = batchMaxCount(f, this.ctx.config.batch.default_max);
    const states = effectiveStates(f, op.kind);
    const batches = this.ctx.engine.batches;
    const rows: BatchPreviewBook[] = await batches.selectByFilter(f, states, max + 1);
    let matched = rows.length;
    const exceeds = rows.length > max;
    if (exceeds) matched = await batches.countByFilter(f, states);
    return {
      operation: op,
      filter: { ...f, max_count: max, states },
      matched,
      exceeds_max: exceeds,
      books: exceeds ? rows.slice(0, PREVIEW_ROWS_WHEN_EXCEEDED) : rows,
    };
  }

  async apply(preview: BatchPreview, actor: Actor | string): Promise<BatchResult> {
    const op = validateOperation(preview.operation);
    const max = batchMaxCount(preview.filter, this.ctx.config.batch.default_max);
    if (preview.exceeds_max || preview.books.length > max) throw new BatchTooLargeError(preview.matched, max);
    const books = preview.books;
    const result: BatchResult = { affected: 0, affected_ids: [], skipped: [], audit_id: null };
    if (books.length === 0) return result;
    const chunkSize = this.ctx.config.batch.chunk_size;
    const allowed = new Set<string>(effectiveStates(preview.filter.states ? { states: preview.filter.states } : {}, op.kind));
    const skipReason = (b: BatchPreviewBook, cur: BatchCurrent | undefined): string | undefined => {
      if (!cur) return 'no longer exists';
      if (cur.version !== b.version) return `changed since the preview (now ${cur.state})`;
      if (!allowed.has(cur.state)) return `is ${cur.state}`;
      return undefined;
    };
    const change = this.change(op, actor);
    const skippedAtStart = new Set<string>();
    let batchId = 0;
    const chunks = Math.ceil(books.length / chunkSize);
    for (let start = 0, n = 1; start < books.length; start += chunkSize, n++) {
      const chunk = books.slice(start, start + chunkSize);
      const common = { actor, skipReason, change, changedDuring: () => 'changed during the batch' };
      const r =
        start === 0
          ? await this.ctx.engine.batches.applyChunk({
              ...common,
              books: chunk,
              first: {
                all: books,
                header: (applied, planned, skippedCount) => ({
                  action: AUDIT_ACTION[op.kind],
                  actor,
                  reason: op.kind === 'reject' ? op.reason : null,
                  filter: preview.filter,
                  ids: applied,
                  count: applied.length,
                  details: {
                    operation: op,
                    matched: preview.matched,
                    previewed: books.length,
                    planned,
                    skipped_at_start: skippedCount,
                    chunks,
                  },
                }),
              },
            })
          : await this.ctx.engine.batches.applyChunk({
              ...common,
              books: chunk.filter((b) => !skippedAtStart.has(b.id)),
              later: {
                batchId,
                closing: (applied) => ({
                  action: 'BATCH_CHUNK',
                  actor,
                  batch_id: batchId,
                  ids: applied,
                  count: applied.length,
                  details: { operation: op.kind, chunk: n, of: chunks },
                }),
              },
            });
      if (start === 0) {
        batchId = r.batchId;
        result.audit_id = batchId;
        for (const id of r.skippedAtStart) skippedAtStart.add(id);
      }
      result.skipped.push(...r.skipped);
      result.affected += r.applied.length;
      result.affected_ids.push(...r.applied);
      stallForTest(n);
    }
    return result;
  }

  /**
   * What the batch does to each book. Approve and reject are set-based: one UPDATE moves the
   * chunk's books still at their previewed version; an unchanged version means an unchanged
   * book, so the audit's before-state and confidence are the previewed ones. Retry and priority
   * are planned per book from its current row.
   */
  private change(op: BatchOperation, actor: Actor | string): BatchChange {
    const action = BOOK_ACTION[op.kind];
    switch (op.kind) {
      case 'approve':
      case 'reject': {
        const to: PipelineState = op.kind === 'approve' ? 'approved' : 'rejected';
        return {
          kind: 'move',
          to,
          cannotMove: (b) => (canTransition(b.state, to) ? undefined : `is ${b.state}, which cannot move to ${to}`),
          ...(op.kind === 'approve'
            ? { note: (batchId: number) => `batch ${batchId}`, patch: { approved_by: actor } }
            : { note: () => op.reason, patch: { next_attempt_at: null }, releaseLease: true }),
          audit: (b, batchId) => ({
            action, actor, pipeline_id: b.id, batch_id: batchId, confidence: b.confidence,
            before: b.state, after: to, ...(op.kind === 'reject' ? { reason: op.reason } : {}),
          }),
        };
      }
      case 'retry':
      case 'priority':
        return { kind: 'each', plan: (b, cur, batchId) => this.plan(op, b, cur, actor, batchId) };
    }
  }

  /** One book's step for retry and priority, or why it is skipped. */
  private plan(
    op: Extract<BatchOperation, { kind: 'retry' | 'priority' }>,
    b: BatchPreviewBook,
    cur: BatchCurrent,
    actor: Actor | string,
    batchId: number,
  ): BatchStep | string {
    const base = { action: BOOK_ACTION[op.kind], actor, pipeline_id: b.id, batch_id: batchId, confidence: cur.confidence };
    switch (op.kind) {
      case 'retry': {
        if (cur.state === 'needs_retry') {
          // Already waiting for a retry: make it claimable now with fresh attempts.
          return {
            kind: 'update',
            patch: { attempts: 0, next_attempt_at: null },
            audit: { ...base, before: cur.state, after: cur.state, details: { backoff_cleared: true } },
          };
        }
        // failed → needs_retry (an approved book resumes at embedding); rejected → start over.
        const to: PipelineState = cur.state === 'rejected' ? 'detected' : 'needs_retry';
        return {
          kind: 'transition',
          to,
          note: `batch ${batchId}`,
          patch: cur.state === 'rejected'
            ? { attempts: 0, next_attempt_at: null, error_json: null, approved_by: null, completed_at: null, auto_recoveries: 0 }
            : { attempts: 0, next_attempt_at: null, auto_recoveries: 0 },
          audit: { ...base, before: cur.state, after: to },
          contentHeldBy: (live) => `pipeline ${live.id.slice(0, 8)} (${live.state}) already holds the same content`,
        };
      }
      case 'priority':
        return {
          kind: 'update',
          patch: { priority: op.priority, base_priority: op.priority },
          audit: { ...base, before: cur.priority, after: op.priority, details: { state: cur.state } },
        };
    }
  }
}
