/**
 * Contracts of the operations services (health, stuck detection and recovery, batch operations,
 * aging, retention). The one-shot commands, the console and later MCP/metrics depend on these
 * types; implementations live beside this file. JSON-facing fields are snake_case so `--json`
 * can print them as they are.
 */
import type { PipelineRow } from '../db/pipeline-row.js';
import type { PipelineState } from '../domain/states.js';
import type { Actor } from '../domain/actor.js';

export type Severity = 'info' | 'warning' | 'critical';
export type AlertCode = 'stuck_pipeline' | 'high_failure_rate' | 'queue_backup' | 'worker_idle' | 'worker_lost' | 'disk_space_low' | 'classifier_unavailable';
export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface Alert {
  severity: Severity;
  code: AlertCode;
  message: string;
}

/**
 * running: heartbeat within its lease. lost: not stopped, but its heartbeat is older than its
 * lease (killed, hung, host gone), so every lease it holds has expired too. stopped: shut down
 * cleanly.
 */
export type WorkerStatus = 'running' | 'lost' | 'stopped';

export interface WorkerLiveness {
  id: string;
  pid: number | null;
  host: string | null;
  started_at: number;
  last_heartbeat_at: number;
  heartbeat_age_seconds: number;
  status: WorkerStatus;
  /** The lease the worker took its books under (what "lost" is measured against). */
  lease_seconds: number;
  /** status === 'stopped' (kept for scripts that read it). */
  stopped: boolean;
  /** Books this worker holds a lease on now (a lost worker's are stuck, not active). */
  active_books: number;
  /** Circuit breakers around external commands, by dependency (closed/open/half_open); only when configured. */
  external_breakers?: Record<string, string>;
}

/** How many workers of each status were seen in the last day (the list itself is capped). */
export interface WorkerCounts {
  running: number;
  lost: number;
  stopped: number;
}

export type StuckReason = 'lease_expired' | 'over_threshold';

export interface StuckBook {
  id: string;
  state: PipelineState;
  stuck_seconds: number;
  expected_seconds: number | null;
  source_path: string;
  reason: StuckReason;
  lease_owner: string | null;
  priority: number;
  attempts: number;
  max_attempts: number;
  auto_recoveries: number;
  version: number;
  /** When the book entered its current state (ms since epoch). */
  state_entered_at?: number;
  lease_expires_at?: number | null;
}

export interface HealthReport {
  status: HealthStatus;
  generated_at: number;
  /** Books in a working state under a live lease (an expired lease is stuck, not active). */
  active: number;
  queued: number;
  /** The longest stuck books (at most `health.stuck_list_limit`). */
  stuck: StuckBook[];
  /** How many books are stuck in all: the one number the tab bar, the alert and lists show. */
  stuck_count: number;
  /** stuck_count stopped at STUCK_COUNT_CAP: "10,000+". */
  stuck_count_capped: boolean;
  pending_approval: number;
  needs_retry: number;
  failed: number;
  completed_24h: number;
  avg_processing_seconds: number | null;
  throughput_per_hour: number;
  estimated_queue_minutes: number | null;
  /** priority (1..10) → queued count */
  queue_by_priority: Record<number, number>;
  oldest_queued_seconds: number | null;
  /** Lost workers first, then running ones, then the most recent stopped ones (stopped over a day ago: not listed). */
  workers: WorkerLiveness[];
  worker_counts: WorkerCounts;
  alerts: Alert[];
  /** Completions per minute over the last 60 minutes, oldest first (the console's sparkline). */
  throughput_last_hour: number[];
}

export type RecoveryAction = 'retry' | 'reset' | 'reject';

export interface RecoveryResult {
  pipeline: PipelineRow;
  action: RecoveryAction;
  audit_id: number;
}

/** Filter for batch operations. Everything is applied in SQL, exactly. */
export interface BatchFilter {
  book_types?: string[];
  min_confidence?: number;
  max_confidence?: number;
  states?: PipelineState[];
  /** ms since epoch */
  created_before?: number;
  created_after?: number;
  /** SQLite GLOB over source_path, e.g. "/library/tech/*" */
  path_glob?: string;
  priorities?: number[];
  ids?: string[];
  /** Only books with fewer attempts than this so far (`batch-retry --max-attempts N`). */
  attempts_below?: number;
  /** Refuse when more books match than this. Default 50. */
  max_count?: number;
}

export type BatchOperation =
  | { kind: 'approve' }
  | { kind: 'reject'; reason: string }
  | { kind: 'retry' }
  | { kind: 'priority'; priority: number };

export interface BatchPreviewBook {
  id: string;
  source_path: string;
  book_type: string | null;
  confidence: number | null;
  state: PipelineState;
  priority: number;
  created_at: number;
  /** What apply compares against: a book whose version moved since the preview is skipped. */
  version: number;
}

export interface BatchPreview {
  operation: BatchOperation;
  filter: BatchFilter;
  matched: number;
  /** True when matched > max_count: apply refuses. */
  exceeds_max: boolean;
  /** Every matched book when within max_count (what apply will touch), else the first rows. */
  books: BatchPreviewBook[];
}

export interface BatchResult {
  affected: number;
  affected_ids: string[];
  skipped: { id: string; why: string }[];
  /** The batch audit row (holds the filter and the affected ids). */
  audit_id: number | null;
}

export interface BatchService {
  preview(filter: BatchFilter, operation: BatchOperation): BatchPreview;
  /** Applies to exactly the previewed books, skipping any that changed since. */
  apply(preview: BatchPreview, actor: Actor): BatchResult;
}

export interface HealthService {
  report(): Promise<HealthReport>;
}

/** The longest stuck books and how many there are in all, read at one instant. */
export interface StuckSurvey {
  books: StuckBook[];
  count: number;
  /** `count` stopped at its cap (shown as "10,000+"). */
  capped: boolean;
}

export interface StuckDetector {
  /** Stuck books, longest stuck first (a windowed list: `limit` default 100). */
  detect(options?: { limit?: number }): Promise<StuckBook[]>;
  /** detect() and the capped total together: what every view of "stuck" shows. */
  survey(options?: { limit?: number }): Promise<StuckSurvey>;
}

export interface StuckRecovery {
  recover(id: string, action: RecoveryAction, actor: Actor, reason?: string): RecoveryResult;
}

/**
 * What `createServices(...).ops` offers. Implemented in src/ops/, one module per service.
 */
export interface OpsServices {
  health: HealthService;
  stuck: StuckDetector;
  recovery: StuckRecovery;
  batch: BatchService;
}
