/**
 * The work queue: claims in priority order under a lease, heartbeats, worker registration, and
 * the queue's counts and windows in claim order.
 */
import type { PipelineRow } from '../pipeline-row.js';
import type { Claim } from '../queue.js';
import type { AuditEntryInput } from '../audit.js';
import type { PipelineState } from '../../domain/states.js';

/** The most books one claimBatch takes (one statement's worth of leases), on every engine. */
export const MAX_CLAIM_BATCH = 1000;

export type ClaimCursor = Pick<PipelineRow, 'priority' | 'created_at' | 'id'>;

export interface QueueOps {
  /** The most urgent claimable book, moved into its first working state under a lease. */
  claimNext(workerId: string, leaseMs: number): Promise<Claim | undefined>;
  /** Up to `max` books in claim order, in one transaction. */
  claimBatch(workerId: string, leaseMs: number, max: number): Promise<Claim[]>;
  /** Extends every lease the worker holds; returns how many. */
  heartbeat(workerId: string, leaseMs: number): Promise<number>;
  register(workerId: string, info?: { concurrency?: number; [k: string]: unknown }): Promise<void>;
  /** Marks the worker stopped and expires its leases; returns how many it held. */
  unregister(workerId: string): Promise<number>;
  /** priority → claimable count, from the aggregate. */
  queuedByPriority(): Promise<Record<number, number>>;
  /** Claimable books in claim order after `after` (keyset). */
  window(options: { limit: number; after?: ClaimCursor }): Promise<PipelineRow[]>;
  /** 1-based place in claim order, undefined when the book is not queued. */
  positionOf(row: Pick<PipelineRow, 'priority' | 'created_at' | 'id' | 'state'>): Promise<number | undefined>;

  // ---- a worker's own leases and row (see src/worker/)

  /** The books whose lease `workerId` holds now, with their tokens (read after a short heartbeat). */
  heldBy(workerId: string): Promise<HeldLease[]>;
  /**
   * Last resort of a worker that cannot write a book's outcome: expires that one lease now (if
   * the token still matches), so the lease rescue takes the book on; `owner` is noted as the
   * lease owner (e.g. `w1:gave-up`) so no heartbeat of `w1` extends it. Returns whether it did.
   */
  giveUpLease(lease: { id: string; leaseToken: string; owner: string }): Promise<boolean>;
  /**
   * Takes books whose lease expired (their worker died) out of their working state, one guarded
   * write per book with its audit entry, all in one transaction; `plan` decides where each goes.
   * Idempotent when several workers run it at once.
   */
  rescueExpired(plan: LeaseRescuePlan): Promise<RescuedLease[]>;
  /** Notes a dependency's circuit-breaker state on the worker's row (what `health` reads). */
  setBreakerState(workerId: string, dependency: string, state: string): Promise<void>;
  /** Books waiting out a retry backoff now (needs_retry with next_attempt_at in the future). */
  waitingForRetry(): Promise<number>;
}

export interface HeldLease {
  id: string;
  leaseToken: string | null;
}

/** What the lease rescue does with one expired book: the worker's policy, as pure callbacks. */
export interface LeaseRescueDecision {
  to: PipelineState;
  /** The error_json to store (the book's own when unchanged). */
  errorJson: string | null;
  note: string;
}

export interface LeaseRescuePlan {
  actor: string;
  /** Most books per pass. */
  limit: number;
  decide(row: PipelineRow, now: number): LeaseRescueDecision;
  auditFor(before: PipelineRow, after: PipelineRow, decision: LeaseRescueDecision): AuditEntryInput;
}

export interface RescuedLease {
  before: PipelineRow;
  after: PipelineRow;
  decision: LeaseRescueDecision;
}
