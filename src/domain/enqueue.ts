/**
 * Enqueue: turning files into pipelines. Content is hashed first, so the same book is never
 * queued twice: a second copy becomes a `duplicate` row pointing at the original, the same file
 * queued again is reported as already there, and a book that was rejected, archived or failed
 * is sent through again (REQUEUED) rather than refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db/db.js';
import { immediate } from '../db/db.js';
import type { PipelineStore } from '../db/pipelines.js';
import type { AuditLog } from '../db/audit.js';
import type { PipelineRow } from '../db/pipeline-row.js';
import { assertPriority } from '../db/queue.js';
import type { Actor } from './actor.js';
import { InputError } from './errors.js';
import { DEFAULT_PRIORITY } from './states.js';
import { hashFile } from '../ingest/hash.js';
import { PIPELINE_COLUMNS } from '../db/pipeline-row.js';

export type EnqueueOutcome = 'queued' | 'requeued' | 'duplicate' | 'already_queued';

export interface EnqueueResult {
  outcome: EnqueueOutcome;
  pipeline: PipelineRow;
  /** The live pipeline holding the same content, when outcome is duplicate/already_queued. */
  duplicateOf: string | null;
  auditId: number | null;
}

const EXTENSION_FORMATS: Record<string, string> = {
  '.epub': 'epub',
  '.pdf': 'pdf',
  '.txt': 'txt',
  '.text': 'txt',
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.html': 'html',
  '.htm': 'html',
  '.xhtml': 'html',
};

export const SUPPORTED_EXTENSIONS = Object.keys(EXTENSION_FORMATS);

export function formatFromPath(file: string): string | null {
  return EXTENSION_FORMATS[path.extname(file).toLowerCase()] ?? null;
}

/** Checks the file exists and is a regular file; returns its absolute path. */
export function requireFile(file: string): string {
  const abs = path.resolve(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch {
    throw new InputError(`file not found: ${file}`);
  }
  if (!stat.isFile()) throw new InputError(`not a regular file: ${file}`);
  return abs;
}

export class Enqueuer {
  constructor(
    private readonly db: Db,
    private readonly pipelines: PipelineStore,
    private readonly audit: AuditLog,
  ) {}

  /** Hashes `file` (outside any transaction) then records it. */
  async enqueueFile(file: string, options: { priority?: number; actor: Actor; batchAuditId?: number }): Promise<EnqueueResult> {
    const abs = requireFile(file);
    const priority = assertPriority(options.priority ?? DEFAULT_PRIORITY);
    const { hash, size } = await hashFile(abs);
    return this.record({ path: abs, hash, size, priority, actor: options.actor });
  }

  /**
   * Records an already-hashed file in one immediate transaction. Exposed for batch-queue, which
   * hashes many files first and then records them in chunks.
   */
  record(input: {
    path: string;
    hash: string;
    size: number;
    priority: number;
    actor: Actor;
    batchId?: number | null;
    /** Id for a row this call creates (queued or duplicate); batch-queue fixes ids in advance. */
    id?: string;
  }): EnqueueResult {
    return immediate(this.db, () => {
      const live = this.pipelines.findLiveByHash(input.hash);
      if (live) {
        if (live.source_path === input.path) {
          return { outcome: 'already_queued' as const, pipeline: live, duplicateOf: live.id, auditId: null };
        }
        const existingDup = this.db
          .prepare(`SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE content_hash = ? AND source_path = ? AND state = 'duplicate' LIMIT 1`)
          .get(input.hash, input.path) as PipelineRow | undefined;
        if (existingDup) {
          return { outcome: 'already_queued' as const, pipeline: existingDup, duplicateOf: live.id, auditId: null };
        }
        const dup = this.pipelines.insert({
          ...(input.id !== undefined ? { id: input.id } : {}),
          source_path: input.path,
          content_hash: input.hash,
          size: input.size,
          format: formatFromPath(input.path),
          state: 'duplicate',
          priority: input.priority,
          duplicate_of: live.id,
          actor: input.actor,
          note: `same content as ${live.id.slice(0, 8)}`,
        });
        const auditId = this.audit.append({
          action: 'DUPLICATE_DETECTED',
          actor: input.actor,
          pipeline_id: dup.id,
          batch_id: input.batchId ?? null,
          after: 'duplicate',
          details: { duplicate_of: live.id, source_path: input.path },
        });
        return { outcome: 'duplicate' as const, pipeline: dup, duplicateOf: live.id, auditId };
      }
      // The same content seen before and let go (rejected/archived/failed): send that book again.
      const previous = this.pipelines
        .findByHash(input.hash)
        .find((p) => p.state === 'rejected' || p.state === 'archived' || p.state === 'failed');
      if (previous) {
        const after = this.pipelines.transitionInTx({
          id: previous.id,
          from: previous.state,
          to: 'detected',
          actor: input.actor,
          note: 'requeued',
          patch: {
            source_path: input.path,
            size: input.size,
            priority: input.priority,
            base_priority: input.priority,
            attempts: 0,
            next_attempt_at: null,
            error_json: null,
            approved_by: null,
            completed_at: null,
            auto_recoveries: 0,
          },
        });
        const auditId = this.audit.append({
          action: 'REQUEUED',
          actor: input.actor,
          pipeline_id: after.id,
          batch_id: input.batchId ?? null,
          before: previous.state,
          after: 'detected',
          details: { source_path: input.path, priority: input.priority },
        });
        return { outcome: 'requeued' as const, pipeline: after, duplicateOf: null, auditId };
      }
      const row = this.pipelines.insert({
        ...(input.id !== undefined ? { id: input.id } : {}),
        source_path: input.path,
        content_hash: input.hash,
        size: input.size,
        format: formatFromPath(input.path),
        priority: input.priority,
        actor: input.actor,
      });
      const auditId = this.audit.append({
        action: 'QUEUED',
        actor: input.actor,
        pipeline_id: row.id,
        batch_id: input.batchId ?? null,
        after: 'detected',
        details: { source_path: input.path, priority: input.priority },
      });
      return { outcome: 'queued' as const, pipeline: row, duplicateOf: null, auditId };
    });
  }
}
