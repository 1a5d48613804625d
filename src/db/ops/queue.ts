/**
 * The work queue: claims in priority order under a lease, heartbeats, worker registration, and
 * the queue's counts and windows in claim order.
 */
import type { PipelineRow } from '../pipeline-row.js';
import type { Claim } from '../queue.js';

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
}
