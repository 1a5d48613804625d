/**
 * UpkeepOps: guarded and periodic writes. Recovery of a stuck book (one guarded transition with
 * its STUCK_RECOVERED row), priority aging, audit retention (the only deletion of audit rows,
 * through the audit gate), the chain head for an anchor, and the WAL checkpoint.
 *
 * The rules stay in the services (src/ops/recovery.ts, aging.ts, retention.ts): whether a book
 * may be recovered and where it goes, the aging thresholds, the retention policy, and what each
 * audit row says; they come in as data and synchronous callbacks called inside the transaction.
 */
import type { Actor } from '../../domain/actor.js';
import type { PipelineState } from '../../domain/states.js';
import type { AuditChainHead, AuditEntryInput } from '../audit.js';
import type { PipelinePatch, PipelineRow } from '../pipeline-row.js';
import type { TransitionRequest } from '../pipelines.js';

/** Where a recovered book goes, decided by the service from the row as it is in the transaction. */
export interface RecoveryPlan {
  to: PipelineState;
  patch: PipelinePatch;
  /** The history row's note. */
  note: string;
  audit(after: PipelineRow): AuditEntryInput;
}

export interface RecoverRequest {
  id: string;
  actor: Actor | string;
  /**
   * Throws to refuse (already recovered, changed since listed, lease live again, capped);
   * otherwise the plan. The move that follows revokes the lease and is a compare-and-swap on
   * the version `decide` saw.
   */
  decide(row: PipelineRow): RecoveryPlan;
}

/**
 * The recovery's move, the same on every engine: from the state `decide` saw, the lease revoked,
 * a compare-and-swap on the version it saw.
 */
export function recoveryTransition(req: RecoverRequest, row: PipelineRow, plan: RecoveryPlan): TransitionRequest {
  return {
    id: req.id,
    from: row.state,
    to: plan.to,
    actor: req.actor,
    note: plan.note,
    releaseLease: true,
    expectedVersion: row.version,
    patch: plan.patch,
  };
}

export interface AgingRequest {
  /** Waiting (claimable) longer than this → base priority − step (never below 1). */
  stepAfterMs: number;
  /** Waiting longer than this → priority 1. */
  topAfterMs: number;
  step: number;
  /** The PRIORITY_AGED row for the books aged (called only when there are some). */
  audit(aged: readonly { id: string; priority: number }[]): AuditEntryInput;
}

export interface PruneResult {
  /** Action pattern → rows deleted. */
  deleted: Record<string, number>;
  total: number;
  /** Pattern → [lowest, highest] id deleted. */
  ranges: Record<string, [number, number]>;
  /** sha256 (hex) over prunedDigestLine of each removed entry, in id order. */
  digest: string;
}

export interface PruneRequest {
  /** Action GLOB pattern → days kept. Retention's own entries are never removed. */
  days: Record<string, number>;
  /** The AUDIT_PRUNED row accounting for the gap (called only when rows were deleted). */
  audit(result: PruneResult): AuditEntryInput;
}

export interface UpkeepOps {
  /** One stuck book moved on, its lease revoked, with its audit row. */
  recoverStuck(request: RecoverRequest): Promise<{ pipeline: PipelineRow; auditId: number }>;
  /** One sweep of priority aging over the waiting books. */
  ageWaiting(request: AgingRequest): Promise<{ aged: { id: string; priority: number }[]; auditId: number | null }>;
  /** Deletes audit rows older than the policy keeps, and records what went. */
  pruneAudit(request: PruneRequest): Promise<PruneResult & { auditId: number | null }>;
  /** The chain head and the time, read together (what an anchor line records). */
  anchorHead(): Promise<AuditChainHead & { at: number }>;
  /**
   * Folds the write-ahead log back into the database when it has grown past `thresholdBytes`
   * (engines without one report 0 and do nothing).
   */
  checkpointIfLarge(thresholdBytes: number): Promise<{ wal_bytes: number; checkpointed: boolean }>;
  /** The schema version the database is migrated to (what `init` reports). */
  schemaVersion(): Promise<number>;
}
