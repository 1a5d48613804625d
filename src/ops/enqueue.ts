/**
 * Enqueue: turning files into pipelines. Content is hashed first, so the same book is never
 * queued twice: a second copy becomes a `duplicate` row pointing at the original, the same file
 * queued again is reported as already there, and a book that was rejected, archived or failed
 * is sent through again (REQUEUED) rather than refused. Each record is one engine operation
 * (`engine.actions.enqueue`): the decisions below are data and callbacks it applies inside its
 * transaction.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Engine } from '../db/engine.js';
import type { EnqueueEvent, EnqueueRecorded, EnqueueRequest } from '../db/ops/actions.js';
import type { AuditEntryInput } from '../db/audit.js';
import type { Actor } from '../domain/actor.js';
import { InputError } from '../domain/errors.js';
import { assertPriority } from '../domain/priority.js';
import { DEFAULT_PRIORITY, type PipelineState } from '../domain/states.js';
import { hashFile } from '../ingest/hash.js';

export type { EnqueueOutcome } from '../db/ops/actions.js';
export type EnqueueResult = EnqueueRecorded;

/** A book with the same content in one of these states is sent through again, not refused. */
export const REQUEUE_FROM: readonly PipelineState[] = ['rejected', 'archived', 'failed'];

/** An already-hashed file to record. */
export interface RecordInput {
  path: string;
  hash: string;
  size: number;
  priority: number;
  actor: Actor;
  /** Id for a row this call creates (queued or duplicate); batch-queue fixes ids in advance. */
  id?: string;
}

/** The engine request for one hashed file: what a requeue resets, and what the trail says. */
export function enqueueRequest(input: RecordInput): EnqueueRequest {
  return {
    path: input.path,
    hash: input.hash,
    size: input.size,
    format: formatFromPath(input.path),
    priority: input.priority,
    actor: input.actor,
    ...(input.id !== undefined ? { id: input.id } : {}),
    requeueFrom: REQUEUE_FROM,
    requeuePatch: {
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
    duplicateNote: (live) => `same content as ${live.id.slice(0, 8)}`,
    audit: (event, batchId) => enqueueAudit(event, input, batchId),
  };
}

function enqueueAudit(event: EnqueueEvent, input: RecordInput, batchId: number | null): AuditEntryInput {
  switch (event.outcome) {
    case 'duplicate':
      return {
        action: 'DUPLICATE_DETECTED',
        actor: input.actor,
        pipeline_id: event.pipeline.id,
        batch_id: batchId,
        after: 'duplicate',
        details: { duplicate_of: event.live.id, source_path: input.path },
      };
    case 'requeued':
      return {
        action: 'REQUEUED',
        actor: input.actor,
        pipeline_id: event.pipeline.id,
        batch_id: batchId,
        before: event.previous.state,
        after: 'detected',
        details: { source_path: input.path, priority: input.priority },
      };
    case 'queued':
      return {
        action: 'QUEUED',
        actor: input.actor,
        pipeline_id: event.pipeline.id,
        batch_id: batchId,
        after: 'detected',
        details: { source_path: input.path, priority: input.priority },
      };
  }
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
  constructor(private readonly engine: Engine) {}

  /** Hashes `file` (outside any transaction) then records it. */
  async enqueueFile(file: string, options: { priority?: number; actor: Actor }): Promise<EnqueueResult> {
    const abs = requireFile(file);
    const priority = assertPriority(options.priority ?? DEFAULT_PRIORITY);
    const { hash, size } = await hashFile(abs);
    return this.record({ path: abs, hash, size, priority, actor: options.actor });
  }

  /** Records an already-hashed file in one transaction. */
  async record(input: RecordInput): Promise<EnqueueResult> {
    return this.engine.actions.enqueue(enqueueRequest(input));
  }
}
