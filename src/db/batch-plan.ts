/**
 * One book of an `each` chunk (retry, priority), decided the same way by both engines
 * (src/db/sqlite/batches.ts, src/db/postgres/batches.ts): skipped, with the reason, or the step
 * the service planned from its current row. The engines then write the step their own way.
 */
import type { BatchChange, BatchChunkRequest, BatchCurrent, BatchRow, BatchStep } from './ops/batches.js';
import type { AuditEntryInput } from './audit-entry.js';

export type EachDecision = { skip: string } | { step: BatchStep; current: BatchCurrent };

export function decideEach(
  req: BatchChunkRequest,
  change: Extract<BatchChange, { kind: 'each' }>,
  book: BatchRow,
  current: BatchCurrent | undefined,
  batchId: number,
): EachDecision {
  const why = req.skipReason(book, current);
  if (why || !current) return { skip: why ?? 'no longer exists' };
  const step = change.plan(book, current, batchId);
  return typeof step === 'string' ? { skip: step } : { step, current };
}

/** What a chunk has decided so far: books skipped (with why), applied, and their audit rows. */
export interface ChunkTally {
  skipped: { id: string; why: string }[];
  skippedAtStart: string[];
  applied: string[];
  entries: AuditEntryInput[];
}

export function newTally(): ChunkTally {
  return { skipped: [], skippedAtStart: [], applied: [], entries: [] };
}

/**
 * The first chunk's re-check of every previewed book (so the header can say how many the batch
 * plans): records the skipped ones and returns this chunk's books without them.
 */
export function recheckFirst(
  req: BatchChunkRequest,
  all: ReadonlyMap<string, BatchCurrent>,
  tally: ChunkTally,
): readonly BatchRow[] {
  for (const b of req.first!.all) {
    const why = req.skipReason(b, all.get(b.id));
    if (why) {
      tally.skipped.push({ id: b.id, why });
      tally.skippedAtStart.push(b.id);
    }
  }
  const gone = new Set(tally.skippedAtStart);
  return req.books.filter((b) => !gone.has(b.id));
}

/** The books a `move` may try (the rest are recorded as skipped, with the change's reason). */
export function movableBooks(change: Extract<BatchChange, { kind: 'move' }>, books: readonly BatchRow[], tally: ChunkTally): BatchRow[] {
  return books.filter((b) => {
    const why = change.cannotMove(b);
    if (why) tally.skipped.push({ id: b.id, why });
    return !why;
  });
}

/**
 * After the set-based move: each moved book gets its audit row; one the UPDATE left alone is
 * skipped with why (`now` is its current row, as the engine read it).
 */
export function settleMove(
  req: BatchChunkRequest,
  change: Extract<BatchChange, { kind: 'move' }>,
  movable: readonly BatchRow[],
  moved: ReadonlySet<string>,
  now: (id: string) => BatchCurrent | undefined,
  batchId: number,
  tally: ChunkTally,
): void {
  for (const b of movable) {
    if (!moved.has(b.id)) {
      const c = now(b.id);
      tally.skipped.push({ id: b.id, why: req.skipReason(b, c) ?? req.changedDuring(b, c) });
      continue;
    }
    tally.entries.push(change.audit(b, batchId));
    tally.applied.push(b.id);
  }
}
