/**
 * batch-queue's recording step: many hashed files queued under ONE BATCH_QUEUED audit row that
 * lists the ids, each book with its own row (QUEUED / REQUEUED / DUPLICATE_DETECTED) pointing at
 * it through batch_id, all in one engine transaction (`engine.batches.queueMany`). Finding and
 * hashing the files happens before, outside any transaction (src/cli/commands/batch-queue.ts).
 */
import type { Engine } from '../db/engine.js';
import type { Actor } from '../domain/actor.js';
import { enqueueRequest, type EnqueueResult } from './enqueue.js';

export interface HashedFile {
  /** Absolute path. */
  path: string;
  hash: string;
  size: number;
}

export interface QueuedBatch {
  results: EnqueueResult[];
  /** The BATCH_QUEUED row, null when nothing was recorded (every file already queued). */
  batchId: number | null;
}

export async function queueHashedFiles(
  engine: Engine,
  files: readonly HashedFile[],
  options: { priority: number; actor: Actor; dir: string; pattern: string | null },
): Promise<QueuedBatch> {
  const { priority, actor } = options;
  return engine.batches.queueMany({
    files: files.map((f) => enqueueRequest({ path: f.path, hash: f.hash, size: f.size, priority, actor })),
    header: (plan) => {
      const recorded = plan.filter((r) => r.outcome !== 'already_queued');
      if (recorded.length === 0) return null;
      const by = (o: string) => recorded.filter((r) => r.outcome === o).length;
      return {
        action: 'BATCH_QUEUED',
        actor,
        filter: { dir: options.dir, pattern: options.pattern },
        ids: recorded.map((r) => r.pipeline.id),
        details: { priority, queued: by('queued'), requeued: by('requeued'), duplicates: by('duplicate') },
      };
    },
  });
}
