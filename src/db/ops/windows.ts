/**
 * The console's keyset windows: only the rows on screen are ever read, by key around a row (never
 * by offset), so a list of a million books scrolls as fast as one of ten. Three lists:
 *
 * - the queue, in claim order (the order workers take books), forwards and backwards;
 * - failed books (`failed` and `needs_retry`), most recently failed first;
 * - the audit log, newest first.
 *
 * Filters cross this interface as data (what the person typed, parsed by the console): each
 * engine turns them into its own indexed terms. Filtered counts stop at a cap and say so, because
 * an exact count of a filter that matches most of a huge table costs a scan per refresh.
 */
import type { PipelineRow } from '../pipeline-row.js';
import type { AuditRow } from '../audit.js';

/** Counting a filtered list stops here (shown as "10,000+"). */
export const FILTERED_COUNT_CAP = 10_000;

/**
 * A book-id prefix shared by thousands of books is counted by scanning the audit log, so its
 * count stops sooner.
 */
export const DENSE_PREFIX_COUNT_CAP = 1_000;

/** A count, and whether it stopped at its cap (there are more than `count`). */
export interface CappedCount {
  readonly count: number;
  readonly capped: boolean;
}

/** A place in claim order. */
export interface QueueKey {
  readonly priority: number;
  readonly created_at: number;
  readonly id: string;
}

/**
 * One term of a book list's filter, all of which must match. `text` is a substring (with `*` and
 * `?` as wildcards) of the title, the file path, and (Queue) the state or (Failed) the error;
 * the others are exact, `idPrefix` a prefix of the id.
 */
export type BookTerm =
  | { readonly kind: 'text'; readonly value: string }
  | { readonly kind: 'priority'; readonly value: number }
  | { readonly kind: 'state'; readonly value: string }
  | { readonly kind: 'type'; readonly value: string }
  | { readonly kind: 'idPrefix'; readonly value: string };

/** The Queue tab's filter: terms in the order typed (no terms: the whole queue). */
export type QueueFilter = readonly BookTerm[];

export const FAILED_STATES = ['failed', 'needs_retry'] as const;
export type FailedState = (typeof FAILED_STATES)[number];

/** A place in the Failed list: newest first by (state_entered_at, id). */
export interface FailedKey {
  readonly state_entered_at: number;
  readonly id: string;
}

/** The Failed tab's filter: which of the two states to list, and terms over the books. */
export interface FailedFilter {
  readonly states: readonly FailedState[];
  readonly terms: readonly BookTerm[];
}

/** Newest first: a before b when a entered its state later (ties: the larger id first). */
export function compareFailed(a: FailedKey, b: FailedKey): number {
  if (a.state_entered_at !== b.state_entered_at) return b.state_entered_at - a.state_entered_at;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** The Audit tab's filter: each field exact; `pipelineId` shorter than an id is a prefix. */
export interface AuditFilter {
  readonly actor?: string;
  readonly action?: string;
  readonly pipelineId?: string;
}

export interface WindowOps {
  // ── the queue, in claim order ──
  /** Up to `limit` queued books after `key` (exclusive); from the first when undefined. */
  queueAfter(key: QueueKey | undefined, limit: number, filter: QueueFilter): Promise<PipelineRow[]>;
  /** Up to `limit` queued books just before `key` (exclusive), in claim order; the last ones when undefined. */
  queueBefore(key: QueueKey | undefined, limit: number, filter: QueueFilter): Promise<PipelineRow[]>;
  /** Up to `limit` queued books from `key` (inclusive) on. */
  queueFrom(key: QueueKey, limit: number, filter: QueueFilter): Promise<PipelineRow[]>;
  /** Queued books matching the filter: exact without one, capped at FILTERED_COUNT_CAP with one. */
  queueTotal(filter: QueueFilter): Promise<CappedCount>;
  /** 0-based position of `key` in the (filtered) claim order: a count over the index. */
  queuePosition(key: QueueKey, filter: QueueFilter): Promise<number>;
  /** The book if it is queued now (a claimed or rejected book has left the queue). */
  queuedBook(id: string): Promise<PipelineRow | undefined>;

  // ── failed books, newest first ──
  /** Up to `limit` books after `key` (older; `inclusive`: from it), newest first; from the newest when undefined. */
  failedOlder(key: FailedKey | undefined, limit: number, filter: FailedFilter, inclusive?: boolean): Promise<PipelineRow[]>;
  /** Up to `limit` books just before `key` (newer), newest first; the oldest ones when undefined. */
  failedNewer(key: FailedKey | undefined, limit: number, filter: FailedFilter): Promise<PipelineRow[]>;
  /** Exact without terms (from the counts aggregate), capped with them. */
  failedTotal(filter: FailedFilter): Promise<CappedCount>;
  /** 0-based position of `key` (books newer than it); capped with terms. */
  failedPosition(key: FailedKey, filter: FailedFilter): Promise<number>;
  /** The book if it is still failed or waiting for a retry. */
  failedBook(id: string): Promise<PipelineRow | undefined>;

  // ── the audit log, newest first ──
  /** Entries with id <= `atOrBelow` (all when undefined), newest first. */
  auditOlderFrom(atOrBelow: number | undefined, limit: number, filter: AuditFilter): Promise<AuditRow[]>;
  /** Up to `limit` entries newer than `id` (exclusive), the nearest ones, newest first. */
  auditNewerThan(id: number, limit: number, filter: AuditFilter): Promise<AuditRow[]>;
  /** The oldest entries (for G), newest first. */
  auditOldest(limit: number, filter: AuditFilter): Promise<AuditRow[]>;
  /**
   * Entries matching the filter (newer than `newerThan` when given: a window's position). Exact
   * without a filter; with one it stops at FILTERED_COUNT_CAP (DENSE_PREFIX_COUNT_CAP for a book
   * prefix shared by thousands of books) and says so.
   */
  auditCount(filter: AuditFilter, newerThan?: number): Promise<CappedCount>;
}
