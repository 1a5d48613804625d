/**
 * BatchOps: filter-based batches. Preview and apply run the same filter (`selectByFilter`),
 * apply goes in chunks of a few hundred books, each ONE transaction that re-checks every book
 * against what was previewed (`applyChunk`: skip-if-changed, never forced), and batch-queue
 * records many hashed files under one batch row (`queueMany`).
 *
 * What a batch may do and what its trail says are the service's (src/ops/batch.ts): the engine
 * gets them as data and synchronous, pure callbacks it calls inside the chunk's transaction.
 * The filter is the domain's BatchFilter (validated with zod at the edge); each engine
 * translates it into its own query.
 */
import type { Actor } from '../../domain/actor.js';
import type { PipelineState } from '../../domain/states.js';
import type { AuditEntryInput } from '../audit.js';
import type { PipelinePatch } from '../pipeline-row.js';
import type { EnqueueRecorded, EnqueueRequest } from './actions.js';

/** The filter fields an engine applies (structurally the domain's BatchFilter, without max_count). */
export interface BatchSelection {
  book_types?: readonly string[];
  min_confidence?: number;
  max_confidence?: number;
  created_before?: number;
  created_after?: number;
  /** A GLOB over source_path: `*`, `?`, `[…]`, case-sensitive. */
  path_glob?: string;
  priorities?: readonly number[];
  /** Full ids or hexadecimal prefixes. */
  ids?: readonly string[];
  attempts_below?: number;
}

/** A matched book as previewed: what apply compares against. */
export interface BatchRow {
  id: string;
  source_path: string;
  book_type: string | null;
  confidence: number | null;
  state: PipelineState;
  priority: number;
  created_at: number;
  version: number;
}

/** A book as it is now, inside the chunk's transaction. */
export interface BatchCurrent {
  id: string;
  state: PipelineState;
  version: number;
  content_hash: string | null;
  confidence: number | null;
  priority: number;
}

/**
 * What a chunk does to each book that passed its re-check:
 * - `move`: one set-based transition of every book still at its previewed version and state
 *   (approve, reject). An unchanged version is an unchanged book, so the audit row is built
 *   from the previewed row.
 * - `each`: a step per book, planned from its current row (retry, priority).
 */
export type BatchChange =
  | {
      kind: 'move';
      to: PipelineState;
      /** Why a previewed book cannot make this move at all (undefined: it can). */
      cannotMove(book: BatchRow): string | undefined;
      note(batchId: number): string;
      patch: PipelinePatch;
      releaseLease?: boolean;
      audit(book: BatchRow, batchId: number): AuditEntryInput;
    }
  | { kind: 'each'; plan(book: BatchRow, current: BatchCurrent, batchId: number): BatchStep | string };

/** One book's write in an `each` chunk; a string from `plan` is the reason it is skipped. */
export type BatchStep =
  | {
      /** Columns only, guarded on the current state. */
      kind: 'update';
      patch: PipelinePatch;
      audit: AuditEntryInput;
    }
  | {
      kind: 'transition';
      to: PipelineState;
      note: string;
      patch: PipelinePatch;
      audit: AuditEntryInput;
      /**
       * Refuse when another live book holds the same content: the reason to skip, given the
       * holder (the engine looks it up only when this is set).
       */
      contentHeldBy?(holder: { id: string; state: PipelineState }): string;
    };

export interface BatchChunkRequest {
  /** This chunk's books, as previewed. */
  books: readonly BatchRow[];
  actor: Actor | string;
  /**
   * The first chunk re-checks every previewed book once (`all`), so its header can say how many
   * the batch plans, and reserves the header's audit id (the batch id every row points at).
   */
  first?: { all: readonly BatchRow[]; header(applied: readonly string[], planned: number, skippedAtStart: number): AuditEntryInput };
  /** Later chunks: the header's id, and the BATCH_CHUNK row closing the chunk. */
  later?: { batchId: number; closing(applied: readonly string[]): AuditEntryInput };
  /** Why a book is skipped (undefined: go ahead); `current` undefined when it no longer exists. */
  skipReason(book: BatchRow, current: BatchCurrent | undefined): string | undefined;
  change: BatchChange;
  /** Why a book the set-based move left alone was skipped (it changed during the batch). */
  changedDuring(book: BatchRow, current: BatchCurrent | undefined): string;
}

export interface BatchChunkResult {
  batchId: number;
  applied: string[];
  skipped: { id: string; why: string }[];
  /** Ids skipped by the first chunk's re-check of every previewed book (later chunks leave them). */
  skippedAtStart: string[];
}

export interface QueueManyRequest {
  /** One request per hashed file (the engine fixes the new rows' ids first, so the plan replays exactly). */
  files: readonly EnqueueRequest[];
  /** The batch row, from what the plan would record (null: nothing to record, no batch row). */
  header(plan: readonly EnqueueRecorded[]): AuditEntryInput | null;
}

export interface BatchOps {
  /** The matching books in `states`, oldest first, at most `limit`. */
  selectByFilter(filter: BatchSelection, states: readonly PipelineState[], limit: number): Promise<BatchRow[]>;
  countByFilter(filter: BatchSelection, states: readonly PipelineState[]): Promise<number>;
  /** One chunk of an apply, one transaction with its audit rows. */
  applyChunk(request: BatchChunkRequest): Promise<BatchChunkResult>;
  /**
   * Records many hashed files in ONE transaction: the batch row first (listing ids that only
   * exist once the books are recorded: the engine plays the records, rolls them back, writes the
   * header, then records them for real pointing at it), then each book with its own row.
   */
  queueMany(request: QueueManyRequest): Promise<{ results: EnqueueRecorded[]; batchId: number | null }>;
}
