/**
 * The one surface every interface reaches the database through: named operations grouped by
 * concern, in the spirit of River's driver interface (one method per domain operation). Every
 * operation returns a Promise so an engine that talks over a network can implement it; the
 * SQLite engine stays synchronous inside (a write transaction never awaits), and each operation
 * is one transaction that writes its own history, counts and audit rows.
 *
 * Engines: sqlite/ (the embedded default, one file) and, later, postgres/.
 */
import type { PipelineOps } from './ops/pipelines.js';
import type { QueueOps } from './ops/queue.js';
import type { HistoryOps } from './ops/history.js';
import type { AuditOps } from './ops/audit.js';
import type { LibraryOps } from './ops/library.js';
import type { StatsOps } from './ops/stats.js';
import type { BatchOps } from './ops/batches.js';
import type { UpkeepOps } from './ops/upkeep.js';
import type { WindowOps } from './ops/windows.js';
import type { ChangeOps } from './ops/changes.js';
import type { ActionOps } from './ops/actions.js';

export type EngineKind = 'sqlite' | 'postgres';

export interface Engine {
  readonly kind: EngineKind;
  /** The file path, or the server URL without its password: what messages name. */
  readonly location: string;
  readonly readonly: boolean;
  readonly pipelines: PipelineOps;
  readonly queue: QueueOps;
  readonly history: HistoryOps;
  readonly audit: AuditOps;
  /** Approve, reject, roll back, set priority, enqueue: one book, one transaction with its audit row. */
  readonly actions: ActionOps;
  /** Books, chapters and chunks the worker writes with a stage. */
  readonly library: LibraryOps;
  /** Read-side aggregates: health, stuck candidates, learned durations, metrics snapshots. */
  readonly stats: StatsOps;
  /** Filter-based batches: select, apply in chunks with skip-if-changed, queue many. */
  readonly batches: BatchOps;
  /** Periodic and guarded writes: recovery, lease rescue, aging, retention, durations. */
  readonly upkeep: UpkeepOps;
  /** The console's keyset windows (queue both ways, failed, audit). */
  readonly windows: WindowOps;
  /** "Did anything change?" for pollers (SQLite: data_version; PostgreSQL: NOTIFY). */
  readonly changes: ChangeOps;
  close(): Promise<void>;
}

export type {
  PipelineOps,
  QueueOps,
  HistoryOps,
  AuditOps,
  LibraryOps,
  StatsOps,
  BatchOps,
  UpkeepOps,
  WindowOps,
  ChangeOps,
  ActionOps,
};
