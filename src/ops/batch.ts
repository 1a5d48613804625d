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
import { immediate } from '../db/db.js';
import type { Actor } from '../domain/actor.js';
import { InputError } from '../domain/errors.js';
import type { PipelineState } from '../domain/states.js';
import { canTransition } from '../domain/states.js';
import type { AuditEntryInput } from '../db/audit.js';
import type { PipelineRow } from '../db/pipeline-row.js';
import type {
  BatchFilter,
  BatchOperation,
  BatchPreview,
  BatchPreviewBook,
  BatchResult,
  BatchService as BatchServiceContract,
} from './types.js';
import type { OpsContext } from './core.js';
import { effectiveStates, filterToSql, validateFilter, validateOperation } from './batch-filter.js';

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

type Current = Pick<PipelineRow, 'id' | 'state' | 'version' | 'content_hash' | 'confidence' | 'priority'>;

export class BatchService implements BatchServiceContract {
  constructor(private readonly ctx: OpsContext) {}

  preview(filter: BatchFilter, operation: BatchOperation): BatchPreview {
    const op = validateOperation(operation);
    const f = validateFilter(filter);
    const max = f.max_count ?? this.ctx.config.batch.default_max ?? 50;
    const states = effectiveStates(f, op.kind);
    const { where, params, index } = filterToSql(f, states);
    const rows = this.ctx.db
      .prepare(
        `SELECT id, source_path, book_type, confidence, state, priority, created_at, version
         FROM pipelines ${index} WHERE ${where} ORDER BY created_at, id LIMIT @limit`,
      )
      .all({ ...params, limit: max + 1 }) as BatchPreviewBook[];
    let matched = rows.length;
    const exceeds = rows.length > max;
    if (exceeds) {
      matched = (this.ctx.db.prepare(`SELECT COUNT(*) AS n FROM pipelines ${index} WHERE ${where}`).get(params) as { n: number }).n;
    }
    return {
      operation: op,
      filter: { ...f, max_count: max, states },
      matched,
      exceeds_max: exceeds,
      books: exceeds ? rows.slice(0, PREVIEW_ROWS_WHEN_EXCEEDED) : rows,
    };
  }

  apply(preview: BatchPreview, actor: Actor | string): BatchResult {
    const op = validateOperation(preview.operation);
    const max = preview.filter.max_count ?? this.ctx.config.batch.default_max;
    if (preview.exceeds_max || preview.books.length > max) throw new BatchTooLargeError(preview.matched, max);
    const books = preview.books;
    const result: BatchResult = { affected: 0, affected_ids: [], skipped: [], audit_id: null };
    if (books.length === 0) return result;
    const chunkSize = this.ctx.config.batch.chunk_size;
    const action = AUDIT_ACTION[op.kind];
    const fetch = this.ctx.db.prepare(
      `SELECT p.id, p.state, p.version, p.content_hash, p.confidence, p.priority
       FROM json_each(?) j JOIN pipelines p ON p.id = j.value`,
    );
    const current = (ids: readonly string[]) => new Map((fetch.all(JSON.stringify(ids)) as Current[]).map((r) => [r.id, r]));
    const allowed = new Set<string>(effectiveStates(preview.filter.states ? { states: preview.filter.states } : {}, op.kind));
    const skippedIds = new Set<string>();
    const why = (b: BatchPreviewBook, cur: Current | undefined): string | undefined => {
      if (!cur) return 'no longer exists';
      if (cur.version !== b.version) return `changed since the preview (now ${cur.state})`;
      if (!allowed.has(cur.state)) return `is ${cur.state}`;
      return undefined;
    };

    let batchId = 0;
    let plannedCount = 0;
    let skippedAtStart = 0;
    const chunks = Math.ceil(books.length / chunkSize);
    for (let start = 0, n = 1; start < books.length; start += chunkSize, n++) {
      const chunk = books.slice(start, start + chunkSize);
      immediate(this.ctx.db, () => {
        if (start === 0) {
          // Re-check every previewed book once, so the header can say how many it plans.
          const all = current(books.map((b) => b.id));
          for (const b of books) {
            const w = why(b, all.get(b.id));
            if (w) {
              result.skipped.push({ id: b.id, why: w });
              skippedIds.add(b.id);
            } else plannedCount++;
          }
          skippedAtStart = result.skipped.length;
          // The header is appended after this chunk's changes (so it can name what they did) but
          // the books' rows point at it: nothing else appends inside this transaction.
          batchId = this.ctx.audit.nextId();
        }
        const appliedBefore = result.affected_ids.length;
        const entries: AuditEntryInput[] = [];
        if (op.kind === 'approve' || op.kind === 'reject') {
          const todo = chunk.filter((b) => !skippedIds.has(b.id));
          this.applyTransitionSet(op, todo, actor, batchId, result, entries, (ids) => {
            const now = current(ids);
            return (b) => why(b, now.get(b.id)) ?? 'changed during the batch';
          });
        } else {
          const cur = current(chunk.map((b) => b.id));
          for (const b of chunk) {
            if (skippedIds.has(b.id)) continue;
            const c = cur.get(b.id);
            const w = why(b, c);
            if (w || !c) {
              result.skipped.push({ id: b.id, why: w ?? 'no longer exists' });
              continue;
            }
            const outcome = this.applyOne(op, b, c, actor, batchId);
            if (typeof outcome === 'string') {
              result.skipped.push({ id: b.id, why: outcome });
              continue;
            }
            entries.push(outcome);
            result.affected++;
            result.affected_ids.push(b.id);
          }
        }
        const applied = result.affected_ids.slice(appliedBefore);
        if (start === 0) {
          const header = this.ctx.audit.append({
            action,
            actor,
            reason: op.kind === 'reject' ? op.reason : null,
            filter: preview.filter,
            ids: applied,
            count: applied.length,
            details: {
              operation: op,
              matched: preview.matched,
              previewed: books.length,
              planned: plannedCount,
              skipped_at_start: skippedAtStart,
              chunks,
            },
          });
          if (header !== batchId) throw new Error(`batch header expected audit id ${batchId}, got ${header}`);
          result.audit_id = batchId;
          this.ctx.audit.appendMany(entries);
        } else {
          this.ctx.audit.appendMany(entries);
          this.ctx.audit.append({
            action: 'BATCH_CHUNK',
            actor,
            batch_id: batchId,
            ids: applied,
            count: applied.length,
            details: { operation: op.kind, chunk: n, of: chunks },
          });
        }
      });
      stallForTest(n);
    }
    return result;
  }

  /**
   * Approve and reject, set-based: one UPDATE moves the chunk's books that are still at their
   * previewed version, then their audit rows are appended in order. An unchanged version means an
   * unchanged book, so the audit's before-state and confidence are the previewed ones; only the
   * books the UPDATE left alone are read again, to say why.
   */
  private applyTransitionSet(
    op: Extract<BatchOperation, { kind: 'approve' | 'reject' }>,
    books: readonly BatchPreviewBook[],
    actor: Actor | string,
    batchId: number,
    result: BatchResult,
    entries: AuditEntryInput[],
    explain: (ids: string[]) => (b: BatchPreviewBook) => string,
  ): void {
    const to: PipelineState = op.kind === 'approve' ? 'approved' : 'rejected';
    const movable = books.filter((b) => {
      if (canTransition(b.state, to)) return true;
      result.skipped.push({ id: b.id, why: `is ${b.state}, which cannot move to ${to}` });
      return false;
    });
    const froms = [...new Set(movable.map((b) => b.state))];
    const items = movable.map((b) => ({ id: b.id, version: b.version }));
    const moved = new Set(
      (op.kind === 'approve'
        ? this.ctx.pipelines.transitionManyInTx(items, {
            from: froms, to, actor, note: `batch ${batchId}`, patch: { approved_by: actor },
          })
        : this.ctx.pipelines.transitionManyInTx(items, {
            from: froms, to, actor, note: op.reason, releaseLease: true, patch: { next_attempt_at: null },
          })
      ).map((r) => r.id),
    );
    const left = movable.filter((b) => !moved.has(b.id));
    const why = left.length > 0 ? explain(left.map((b) => b.id)) : undefined;
    const action = BOOK_ACTION[op.kind];
    for (const b of movable) {
      if (!moved.has(b.id)) {
        result.skipped.push({ id: b.id, why: why!(b) });
        continue;
      }
      entries.push({
        action, actor, pipeline_id: b.id, batch_id: batchId, confidence: b.confidence,
        before: b.state, after: to, ...(op.kind === 'reject' ? { reason: op.reason } : {}),
      });
      result.affected++;
      result.affected_ids.push(b.id);
    }
  }

  /** One book inside the chunk's transaction. Returns a skip reason, or its audit row (appended after the header). */
  private applyOne(
    op: Extract<BatchOperation, { kind: 'retry' | 'priority' }>,
    b: BatchPreviewBook,
    cur: Current,
    actor: Actor | string,
    batchId: number,
  ): AuditEntryInput | string {
    const p = this.ctx.pipelines;
    const action = BOOK_ACTION[op.kind];
    const base = { action, actor, pipeline_id: b.id, batch_id: batchId, confidence: cur.confidence };
    switch (op.kind) {
      case 'retry': {
        if (cur.state === 'needs_retry') {
          // Already waiting for a retry: make it claimable now with fresh attempts.
          const after = p.updateColumns(b.id, 'needs_retry', { attempts: 0, next_attempt_at: null }, { actor });
          if (!after) return 'changed during the batch';
          return { ...base, before: cur.state, after: after.state, details: { backoff_cleared: true } };
        }
        if (cur.content_hash) {
          const live = p.findLiveByHash(cur.content_hash);
          if (live && live.id !== b.id) return `pipeline ${live.id.slice(0, 8)} (${live.state}) already holds the same content`;
        }
        // failed → needs_retry (an approved book resumes at embedding); rejected → start over.
        const to: PipelineState = cur.state === 'rejected' ? 'detected' : 'needs_retry';
        const after = p.transitionInTx({
          id: b.id, from: cur.state, to, actor, note: `batch ${batchId}`, expectedVersion: b.version,
          patch: cur.state === 'rejected'
            ? { attempts: 0, next_attempt_at: null, error_json: null, approved_by: null, completed_at: null, auto_recoveries: 0 }
            : { attempts: 0, next_attempt_at: null, auto_recoveries: 0 },
        });
        return { ...base, before: cur.state, after: after.state };
      }
      case 'priority': {
        const after = p.updateColumns(b.id, cur.state, { priority: op.priority, base_priority: op.priority }, { actor });
        if (!after) return 'changed during the batch';
        return { ...base, before: cur.priority, after: op.priority, details: { state: cur.state } };
      }
    }
  }
}
