/**
 * One book of an `each` chunk (retry, priority), decided the same way by both engines
 * (src/db/sqlite/batches.ts, src/db/postgres/batches.ts): skipped, with the reason, or the step
 * the service planned from its current row. The engines then write the step their own way.
 */
import type { BatchChange, BatchChunkRequest, BatchCurrent, BatchRow, BatchStep } from './ops/batches.js';

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
