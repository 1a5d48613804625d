/**
 * BookActions: what a person (or a rule) does to one book. Each action is one engine operation
 * (one transaction) that changes the book and writes its audit row together; a refusal writes
 * nothing. The rules live here: which states each action accepts, what a reason must be, what
 * the audit row says. The engine calls `check` and `audit` inside its transaction.
 */
import type { Engine } from '../db/engine.js';
import type { AuditEntryInput } from '../db/audit.js';
import type { PipelineRow } from '../db/pipeline-row.js';
import type { ActionOutcome, ApproveAction, PriorityOutcome, RemovedLibrary } from '../db/ops/actions.js';
import type { Actor } from '../domain/actor.js';
import { IllegalTransitionError, InputError } from '../domain/errors.js';
import { checkFreeText } from '../domain/free-text.js';
import { assertPriority } from '../domain/priority.js';
import type { PipelineState } from '../domain/states.js';

export type PriorityResult = PriorityOutcome;
export type ActionResult = ActionOutcome;

/**
 * A priority orders a book's next claim; a book in one of these states is never claimed again
 * (until re-queued), so setting one would only add an audit row that means nothing.
 */
const NO_PRIORITY_STATES: readonly PipelineState[] = ['rejected', 'archived', 'complete', 'failed', 'duplicate'];

function requireReason(reason: string | undefined, action: string): string {
  const r = reason?.trim();
  if (!r) throw new InputError(`${action} needs a reason (--reason "…")`);
  return checkFreeText(r, `the ${action} reason`);
}

/** An optional note (approve, priority): absent is fine, present must be plain text. */
function optionalReason(reason: string | undefined): string | null {
  return reason === undefined ? null : checkFreeText(reason, 'the reason');
}

/**
 * The APPROVED row, however the book was approved: by a person (BookActions.approve) or by the
 * worker's auto-approve rule inside its stage commit (src/worker/book-runner.ts), so the trail
 * and `audit --action APPROVED` read every approval alike.
 */
export function approvedEntry(before: Pick<PipelineRow, 'id' | 'state' | 'confidence'>, actor: Actor | string, note: string | null): AuditEntryInput {
  return {
    action: 'APPROVED',
    actor,
    pipeline_id: before.id,
    reason: note,
    before: before.state,
    after: 'approved',
    confidence: before.confidence,
  };
}

/** Verbs whose participle is not verb + 'd' ("reject" + "d" read "rejectd"). */
const PAST_PARTICIPLE: Record<string, string> = { reject: 'rejected', 'roll back': 'rolled back' };

export class BookActions {
  constructor(private readonly engine: Engine) {}

  /** pending_approval → approved. */
  async approve(id: string, actor: Actor, options: { reason?: string } = {}): Promise<ActionResult> {
    return this.engine.actions.approve(this.approval(id, actor, options));
  }

  /**
   * The approval as the engine takes it (the rule and the audit row): for an engine operation
   * that approves inside a larger transaction (the worker's auto-approval of a stage's result).
   */
  approval(id: string, actor: Actor, options: { reason?: string } = {}): ApproveAction {
    const note = optionalReason(options.reason);
    return {
      id,
      actor,
      note,
      check: (before) => this.refuseUnless(before, ['pending_approval'], 'approve'),
      audit: (before) => approvedEntry(before, actor, note),
    };
  }

  /** Any state that may move to rejected (waiting, pending approval, approved) → rejected. */
  async reject(id: string, actor: Actor, reason: string | undefined): Promise<ActionResult> {
    const why = requireReason(reason, 'reject');
    return this.engine.actions.reject({
      id,
      actor,
      reason: why,
      check: (before) => this.refuseUnless(before, ['pending_approval', 'approved', 'detected', 'needs_retry'], 'reject'),
      audit: (before, after) => ({
        action: 'REJECTED',
        actor,
        pipeline_id: id,
        reason: why,
        before: before.state,
        after: after.state,
        confidence: before.confidence,
      }),
    });
  }

  /**
   * complete → archived, removing what the book put in the library (books, chapters, chunks and
   * embeddings) in the same transaction.
   */
  async rollback(id: string, actor: Actor, reason: string | undefined): Promise<ActionResult & { removed: RemovedLibrary }> {
    const why = requireReason(reason, 'rollback');
    return this.engine.actions.rollback({
      id,
      actor,
      reason: why,
      check: (before) => this.refuseUnless(before, ['complete'], 'roll back'),
      audit: (before, after, removed) => ({
        action: 'ROLLED_BACK',
        actor,
        pipeline_id: id,
        reason: why,
        before: before.state,
        after: after.state,
        confidence: before.confidence,
        details: { removed },
      }),
    });
  }

  /**
   * Sets base and effective priority; audited PRIORITY_CHANGED. Asking for the priority the book
   * already has writes nothing (no audit row, no version bump): the trail records changes. A
   * book that will not be claimed again (NO_PRIORITY_STATES) is refused.
   */
  async setPriority(id: string, priority: number, actor: Actor, options: { reason?: string } = {}): Promise<PriorityResult> {
    assertPriority(priority);
    const reason = optionalReason(options.reason);
    return this.engine.actions.setPriority({
      id,
      actor,
      priority,
      check: (before) => {
        if (NO_PRIORITY_STATES.includes(before.state)) {
          throw new IllegalTransitionError(
            id,
            before.state,
            before.state,
            `cannot set the priority of pipeline ${id.slice(0, 8)}: it is ${before.state}, and only books still to be claimed or in progress have a priority`,
          );
        }
      },
      audit: (before) => ({
        action: 'PRIORITY_CHANGED',
        actor,
        pipeline_id: id,
        reason,
        before: before.priority,
        after: priority,
        details: { state: before.state },
      }),
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
