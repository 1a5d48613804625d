/**
 * The library (books, chapters, chunks, embeddings) a worker writes with a stage, and the stage
 * commit itself: the library rows only ever land in the same transaction as the book's
 * lease-checked state change, so a cancelled, failed or lost stage leaves no half-written book.
 *
 * Everything here is data or a synchronous callback: the worker decides (which state, what the
 * audit entry says, whether the auto-approve rule applies, which copy of a content is the
 * original), the engine runs the whole decision in one transaction.
 */
import type { PipelineRow, PipelinePatch } from '../pipeline-row.js';
import type { AuditEntryInput } from '../audit.js';
import type { PipelineState } from '../../domain/states.js';

export interface LibraryChapter {
  ord: number;
  title: string;
  wordCount: number;
}

export interface LibraryChunk {
  ord: number;
  /** ord of the chapter the chunk starts in. */
  chapterOrd: number;
  text: string;
  wordCount: number;
}

export interface LibraryBook {
  pipelineId: string;
  title: string | null;
  author: string | null;
  language: string | null;
  format: string | null;
  bookType: string | null;
  strategy: string | null;
  chapters: readonly LibraryChapter[];
  chunks: readonly LibraryChunk[];
  createdAt: number;
}

export interface StoredChunk {
  id: number;
  ord: number;
  text: string;
}

export interface LibraryCounts {
  chapters: number;
  chunks: number;
  embedded: number;
}

/** What a stage does to the book's library rows, written after its state change. */
export type LibraryWrite =
  /** Deletes any earlier rows of the book first, so re-running processing is idempotent. */
  | { kind: 'replace'; book: LibraryBook }
  /** One vector per stored chunk id. */
  | { kind: 'embeddings'; vectors: readonly { id: number; vector: Float32Array }[] }
  /** The book keeps nothing in the library (rejected, failed). */
  | { kind: 'clear' };

/** One state change a commit makes, with what goes with it. */
export interface StageOutcome {
  to: PipelineState;
  patch?: PipelinePatch;
  note?: string | null;
  library?: LibraryWrite;
  audit?: readonly AuditEntryInput[];
  /** Drop the lease with the move (the book leaves the worker's hands). */
  releaseLease?: boolean;
}

/** Another live book holding the content this book was just hashed to. */
export interface LiveCopy {
  row: PipelineRow;
  /** Whether the committing book was queued before the copy (queue order, ties by insertion). */
  selfQueuedFirst: boolean;
}

/**
 * What to do about a live copy: `demote` moves the copy (not this book) with its audit entry and
 * lets this book's own outcome stand; `instead` replaces this book's outcome (it is the copy).
 */
export type LiveCopyDecision =
  | { kind: 'demote'; to: PipelineState; note: string; patch?: PipelinePatch; audit: AuditEntryInput }
  | { kind: 'instead'; outcome: StageOutcome };

/** A follow-up move decided on the row the commit produced (the auto-approve rule). */
export interface FollowUp {
  to: PipelineState;
  actor: string;
  note: string | null;
  patch?: PipelinePatch;
  audit: AuditEntryInput;
}

/**
 * One stage's commit, all in one transaction:
 * (live-copy check) → CAS transition under the lease → library rows → audit → follow-up.
 */
export interface StageCommit {
  id: string;
  from: PipelineState;
  leaseToken: string;
  actor: string;
  outcome: StageOutcome;
  /** Before anything is written: look for another live book holding `hash`, and decide. */
  liveCopy?: { hash: string; decide: (copy: LiveCopy) => LiveCopyDecision | undefined };
  /** After the move: a rule that may move the book on at once (synchronous, pure). */
  followUp?: (after: PipelineRow) => FollowUp | undefined;
}

/** A failed stage's outcome (failed or needs_retry), lease released, the library cleared when asked. */
export interface StageFailure {
  id: string;
  from: PipelineState;
  leaseToken: string;
  actor: string;
  to: PipelineState;
  note: string;
  patch: PipelinePatch;
  clearLibrary: boolean;
}

export interface LibraryOps {
  /** A book's stored chunks in order (what embedding reads). */
  chunks(pipelineId: string): Promise<StoredChunk[]>;
  counts(pipelineId: string): Promise<LibraryCounts>;
  /** The whole stage commit; resolves with the book as it is afterwards. */
  commitStage(commit: StageCommit): Promise<PipelineRow>;
  /** Records a failed stage in one transaction with the removal of its library rows. */
  failStage(failure: StageFailure): Promise<PipelineRow>;
}
