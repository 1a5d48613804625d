/**
 * ActionOps: one person's (or rule's) action on one book. Each operation is ONE transaction that
 * re-reads the book, lets the service refuse (`check`, called inside the transaction with the
 * current row: throw to refuse, nothing is written), makes the change and appends the audit row
 * the service describes (`audit`). The rules (which states may be approved, what a reason must
 * look like, what the trail says) stay in the service (src/ops/actions.ts); the callbacks are
 * synchronous and pure, so any engine can call them inside its transaction.
 */
import type { Actor } from '../../domain/actor.js';
import type { PipelineState } from '../../domain/states.js';
import type { AuditEntryInput } from '../audit.js';
import type { PipelinePatch, PipelineRow } from '../pipeline-row.js';

export interface GuardedAction {
  id: string;
  actor: Actor | string;
  /** Throws to refuse; sees the row as it is inside the transaction. */
  check(before: PipelineRow): void;
}

export interface ActionOutcome {
  pipeline: PipelineRow;
  auditId: number;
}

/** What a rollback removed from the library. */
export interface RemovedLibrary {
  chapters: number;
  chunks: number;
}

export interface PriorityOutcome {
  pipeline: PipelineRow;
  /** null when the priority was already the one asked for: nothing was written. */
  auditId: number | null;
  changed: boolean;
}

export type EnqueueOutcome = 'queued' | 'requeued' | 'duplicate' | 'already_queued';

export interface EnqueueRecorded {
  outcome: EnqueueOutcome;
  pipeline: PipelineRow;
  /** The live pipeline holding the same content, when outcome is duplicate/already_queued. */
  duplicateOf: string | null;
  auditId: number | null;
}

/** What an enqueue wrote, for its audit row. */
export type EnqueueEvent =
  | { outcome: 'queued'; pipeline: PipelineRow }
  | { outcome: 'requeued'; pipeline: PipelineRow; previous: PipelineRow }
  | { outcome: 'duplicate'; pipeline: PipelineRow; live: PipelineRow };

/** One hashed file to record (see Enqueuer in src/ops/enqueue.ts for the rules). */
export interface EnqueueRequest {
  path: string;
  hash: string;
  size: number;
  format: string | null;
  priority: number;
  actor: Actor;
  /** Id for a row this call creates (queued or duplicate); batch-queue fixes ids in advance. */
  id?: string;
  /** A book with the same content in one of these states is sent through again (REQUEUED). */
  requeueFrom: readonly PipelineState[];
  /** The columns a requeue resets. */
  requeuePatch: PipelinePatch;
  /** The history note of a duplicate row. */
  duplicateNote(live: PipelineRow): string;
  /** The audit row for what was written; `batchId` is the batch header's id, if any. */
  audit(event: EnqueueEvent, batchId: number | null): AuditEntryInput;
}

export type ApproveAction = GuardedAction & { note: string | null; audit(before: PipelineRow, after: PipelineRow): AuditEntryInput };

export interface ActionOps {
  /** pending_approval → approved (approved_by = actor). */
  approve(action: ApproveAction): Promise<ActionOutcome>;
  /** The book's state → rejected, its lease released. */
  reject(action: GuardedAction & { reason: string; audit(before: PipelineRow, after: PipelineRow): AuditEntryInput }): Promise<ActionOutcome>;
  /** complete → archived, deleting the book's library rows (books, chapters, chunks) in the same transaction. */
  rollback(
    action: GuardedAction & { reason: string; audit(before: PipelineRow, after: PipelineRow, removed: RemovedLibrary): AuditEntryInput },
  ): Promise<ActionOutcome & { removed: RemovedLibrary }>;
  /**
   * Base and effective priority. Asking for the priority the book already has writes nothing
   * (auditId null, changed false).
   */
  setPriority(
    action: GuardedAction & { priority: number; audit(before: PipelineRow, after: PipelineRow): AuditEntryInput },
  ): Promise<PriorityOutcome>;
  /** Records one hashed file: queued, requeued, a duplicate row, or already there. */
  enqueue(request: EnqueueRequest): Promise<EnqueueRecorded>;
}
