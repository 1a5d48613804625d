/**
 * The core groups (pipelines, queue, history, audit) over the synchronous stores. Each call runs
 * to completion before its Promise resolves; errors become rejections.
 */
import type { SqliteStores } from './engine.js';
import type { PipelineOps } from '../ops/pipelines.js';
import type { QueueOps } from '../ops/queue.js';
import type { HistoryOps } from '../ops/history.js';
import type { AuditOps } from '../ops/audit.js';
import { readHistoryRows } from '../history.js';
import { sqliteLeaseOps } from './leases.js';
import { immediate } from '../db.js';

export function sqlitePipelineOps({ pipelines: p }: SqliteStores): PipelineOps {
  return {
    get: async (id) => p.get(id),
    require: async (id) => p.require(id),
    resolveId: async (idOrPrefix) => p.resolveId(idOrPrefix),
    insert: async (input) => p.insert(input),
    transition: async (req) => p.transition(req),
    advanceMany: async (items, options) => p.advanceMany(items, options),
    list: async (options) => p.list(options),
    countsByState: async () => p.countsByState(),
    findLiveByHash: async (hash) => p.findLiveByHash(hash),
    findByHash: async (hash) => p.findByHash(hash),
  };
}

export function sqliteQueueOps(stores: SqliteStores): QueueOps {
  const q = stores.queue;
  return {
    ...sqliteLeaseOps(stores),
    claimNext: async (workerId, leaseMs) => q.claimNext(workerId, leaseMs),
    claimBatch: async (workerId, leaseMs, max) => q.claimBatch(workerId, leaseMs, max),
    heartbeat: async (workerId, leaseMs) => q.heartbeat(workerId, leaseMs),
    register: async (workerId, info) => q.register(workerId, info),
    unregister: async (workerId) => q.unregister(workerId),
    queuedByPriority: async () => q.queuedByPriority(),
    window: async (options) => q.window(options),
    positionOf: async (row) => q.positionOf(row),
  };
}

export function sqliteHistoryOps({ db }: SqliteStores): HistoryOps {
  return {
    forPipeline: async (pipelineId, limit) => readHistoryRows(db, pipelineId, limit),
  };
}

export function sqliteAuditOps({ audit: a, db }: SqliteStores): AuditOps {
  return {
    get keyed() {
      return a.keyed;
    },
    // Entries that stand alone get their own transaction (AuditLog refuses to append outside one).
    append: async (entry) => immediate(db, () => a.append(entry)),
    appendMany: async (entries) => immediate(db, () => a.appendMany(entries)),
    head: async () => a.head(),
    get: async (id) => a.get(id),
    query: async (q) => a.query(q),
    batchMembers: async (batchId, limit) => a.batchMembers(batchId, limit),
    batchApplied: async (batchId) => a.batchApplied(batchId),
    verify: async (options) => a.verify(options),
  };
}
