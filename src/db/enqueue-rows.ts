/**
 * The rows an enqueue inserts, built once for both engines (src/db/sqlite/actions.ts and
 * src/db/postgres/actions.ts): a new book, a duplicate row pointing at the live book that holds
 * the same content, or the move that sends a let-go book with that content through again.
 */
import type { EnqueueRequest } from './ops/actions.js';
import type { PipelineRow } from './pipeline-row.js';
import type { NewPipeline, TransitionRequest } from './pipelines.js';

/** A new book for the hashed file. */
export function queuedRow(req: EnqueueRequest): NewPipeline {
  return {
    ...(req.id !== undefined ? { id: req.id } : {}),
    source_path: req.path,
    content_hash: req.hash,
    size: req.size,
    format: req.format,
    priority: req.priority,
    actor: req.actor,
  };
}

/** A duplicate row for the file whose content `live` already holds. */
export function duplicateRow(req: EnqueueRequest, live: PipelineRow): NewPipeline {
  return { ...queuedRow(req), state: 'duplicate', duplicate_of: live.id, note: req.duplicateNote(live) };
}

/** Sends `previous` (same content, in one of `req.requeueFrom`) through again. */
export function requeueTransition(req: EnqueueRequest, previous: PipelineRow): TransitionRequest {
  return { id: previous.id, from: previous.state, to: 'detected', actor: req.actor, note: 'requeued', patch: req.requeuePatch };
}
