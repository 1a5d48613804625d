/**
 * BookActions: what a person (or a rule) does to one book. Each action is one immediate
 * transaction that changes the book and writes its audit row together; a refusal writes nothing.
 */
import type { Db } from '../db/db.js';
import { immediate } from '../db/db.js';
import type { PipelineStore } from '../db/pipelines.js';
import type { AuditLog } from '../db/audit.js';
import type { PipelineRow } from '../db/pipeline-row.js';
import { assertPriority } from '../db/queue.js';
import type { Actor } from './actor.js';
import { IllegalTransitionError, InputError } from './errors.js';
import { checkFreeText } from './free-text.js';
import type { PipelineState } from './states.js';

export interface PriorityResult {
  pipeline: PipelineRow;
  /** null when the priority was already the one asked for: nothing was written. */
  auditId: number | null;
  changed: boolean;
}

/**
 * A priority orders a book's next claim; a book in one of these states is never claimed again
 * (until re-queued), so setting one would only add an audit row that means nothing.
 */
const NO_PRIORITY_STATES: readonly PipelineState[] = ['rejected', 'archived', 'complete', 'failed', 'duplicate'];

export interface ActionResult {
  pipeline: PipelineRow;
  auditId: number;
}

function requireReason(reason: string | undefined, action: string): string {
  const r = reason?.trim();
  if (!r) throw new InputError(`${action} needs a reason (--reason "…")`);
  return checkFreeText(r, `the ${action} reason`);
}

/** An optional note (approve, priority): absent is fine, present must be plain text. */
function optionalReason(reason: string | undefined): string | null {
  return reason === undefined ? null : checkFreeText(reason, 'the reason');
}

/** Verbs whose participle is not verb + 'd' ("reject" + "d" read "rejectd"). */
const PAST_PARTICIPLE: Record<string, string> = { reject: 'rejected', 'roll back': 'rolled back' };

export class BookActions {
  constructor(
    private readonly db: Db,
    private readonly pipelines: PipelineStore,
    private readonly audit: AuditLog,
  ) {}

  /** pending_approval → approved. */
  approve(id: string, actor: Actor, options: { reason?: string } = {}): ActionResult {
    const note = optionalReason(options.reason);
    return immediate(this.db, () => {
      const before = this.pipelines.require(id);
      this.refuseUnless(before, ['pending_approval'], 'approve');
      const after = this.pipelines.transitionInTx({
        id,
        from: 'pending_approval',
        to: 'approved',
        actor,
        note,
        patch: { approved_by: actor },
      });
      const auditId = this.audit.append({
        action: 'APPROVED',
        actor,
        pipeline_id: id,
        reason: note,
        before: before.state,
        after: after.state,
        confidence: before.confidence,
      });
      return { pipeline: after, auditId };
    });
  }

  /** Any state that may move to rejected (waiting, pending approval, approved) → rejected. */
  reject(id: string, actor: Actor, reason: string | undefined): ActionResult {
    const why = requireReason(reason, 'reject');
    return immediate(this.db, () => {
      const before = this.pipelines.require(id);
      this.refuseUnless(before, ['pending_approval', 'approved', 'detected', 'needs_retry'], 'reject');
      const after = this.pipelines.transitionInTx({
        id,
        from: before.state,
        to: 'rejected',
        actor,
        note: why,
        releaseLease: true,
      });
      const auditId = this.audit.append({
        action: 'REJECTED',
        actor,
        pipeline_id: id,
        reason: why,
        before: before.state,
        after: after.state,
        confidence: before.confidence,
      });
      return { pipeline: after, auditId };
    });
  }

  /**
   * complete → archived, removing what the book put in the library (books, chapters, chunks and
   * embeddings) in the same transaction.
   */
  rollback(id: string, actor: Actor, reason: string | undefined): ActionResult & { removed: { chapters: number; chunks: number } } {
    const why = requireReason(reason, 'rollback');
    return immediate(this.db, () => {
      const before = this.pipelines.require(id);
      this.refuseUnless(before, ['complete'], 'roll back');
      const counts = this.db
        .prepare(
          `SELECT (SELECT COUNT(*) FROM chapters WHERE pipeline_id = @id) AS chapters,
                  (SELECT COUNT(*) FROM chunks WHERE pipeline_id = @id) AS chunks`,
        )
        .get({ id }) as { chapters: number; chunks: number };
      this.db.prepare('DELETE FROM chunks WHERE pipeline_id = ?').run(id);
      this.db.prepare('DELETE FROM chapters WHERE pipeline_id = ?').run(id);
      this.db.prepare('DELETE FROM books WHERE pipeline_id = ?').run(id);
      const after = this.pipelines.transitionInTx({ id, from: 'complete', to: 'archived', actor, note: why });
      const auditId = this.audit.append({
        action: 'ROLLED_BACK',
        actor,
        pipeline_id: id,
        reason: why,
        before: before.state,
        after: after.state,
        confidence: before.confidence,
        details: { removed: counts },
      });
      return { pipeline: after, auditId, removed: counts };
    });
  }

  /**
   * Sets base and effective priority; audited PRIORITY_CHANGED. Asking for the priority the book
   * already has writes nothing (no audit row, no version bump): the trail records changes. A
   * book that will not be claimed again (NO_PRIORITY_STATES) is refused.
   */
  setPriority(id: string, priority: number, actor: Actor, options: { reason?: string } = {}): PriorityResult {
    assertPriority(priority);
    const reason = optionalReason(options.reason);
    return immediate(this.db, () => {
      const before = this.pipelines.require(id);
      if (NO_PRIORITY_STATES.includes(before.state)) {
        throw new IllegalTransitionError(
          id,
          before.state,
          before.state,
          `cannot set the priority of pipeline ${id.slice(0, 8)}: it is ${before.state}, and only books still to be claimed or in progress have a priority`,
        );
      }
      if (before.priority === priority && before.base_priority === priority) {
        return { pipeline: before, auditId: null, changed: false };
      }
      const after =
        this.pipelines.updateColumns(id, before.state, { priority, base_priority: priority }, { actor }) ?? before;
      const auditId = this.audit.append({
        action: 'PRIORITY_CHANGED',
        actor,
        pipeline_id: id,
        reason,
        before: before.priority,
        after: priority,
        details: { state: before.state },
      });
      return { pipeline: after, auditId, changed: true };
    });
  }

  private refuseUnless(row: PipelineRow, allowed: readonly PipelineState[], verb: string): void {
    if (!allowed.includes(row.state)) {
      throw new IllegalTransitionError(
        row.id,
        row.state,
        '',
        `cannot ${verb} pipeline ${row.id.slice(0, 8)}: it is ${row.state}, and only ${allowed.join(', ')} can be ${PAST_PARTICIPLE[verb] ?? verb + 'd'}`,
      );
    }
  }
}
