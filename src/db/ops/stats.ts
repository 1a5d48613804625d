/**
 * Read-side aggregates: what health, stuck detection, learned durations, `/metrics` and the MCP
 * read tools ask of the database. Each operation runs the queries its caller ran before, on the
 * same indexes (counts from the maintained aggregate, everything else by index ranges bounded by
 * recent activity or by a cap), so a read costs the same on a million books as on a hundred.
 *
 * The operations return rows and counts; what they mean (thresholds, alerts, statuses, rates) is
 * decided by the services in src/ops, which pass their windows and limits in as data.
 */
import type { PipelineState } from '../../domain/states.js';
import type { PipelineRow } from '../pipeline-row.js';

/**
 * The lease the worker takes by default, for a workers row that did not record one. Health and
 * the metrics count a worker as lost once its heartbeat is older than its lease.
 */
export const DEFAULT_WORKER_LEASE_MS = 30_000;

/** One cell of the trigger-kept (state, priority) aggregate. */
export interface StateCount {
  state: string;
  priority: number;
  n: number;
}

/** A workers row as health lists it. */
export interface WorkerRecord {
  id: string;
  pid: number | null;
  host: string | null;
  started_at: number;
  heartbeat_at: number;
  stopped_at: number | null;
  /** info_json.leaseMs: the lease the worker registered with (null: not recorded). */
  lease_ms: number | null;
  /** Books the worker holds a lease on now. */
  active_books: number;
  /** info_json.breakers as JSON text (src/worker/external-breaker.ts), or null. */
  breakers: string | null;
}

export interface HealthAggregatesQuery {
  now: number;
  /** Completions counted from here (health: the last 24 hours). */
  completedSince: number;
  /** Completions bucketed per minute over [perMinuteFrom, now]: bucket = (completed_at - from) / 60 s. */
  perMinuteFrom: number;
  /** Mean run time of each working state over its last 200 successful runs since this. */
  durationsSince: number;
  /** The last `failureWindow` finished runs (complete or failed) give the failure rate. */
  failureWindow: number;
  /** Workers whose heartbeat is at or after this are listed and counted. */
  workersSince: number;
  /** Running and lost workers listed (most recent heartbeat first); beyond that only counted. */
  liveWorkersListed: number;
  /** Stopped workers listed (most recent first). */
  stoppedWorkersListed: number;
}

export interface HealthAggregates {
  /** Non-empty (state, priority) cells. */
  counts: StateCount[];
  completed: number;
  /** Completions per minute bucket (b may be fractional at the edges; the caller clamps). */
  perMinute: { b: number; n: number }[];
  /** How many of the last `failureWindow` finished runs there were, and how many failed. */
  finished: { n: number; failed: number };
  /** Per working state: mean duration (ms) and how many runs it is over. */
  durations: { state: string; avg_ms: number | null; n: number }[];
  /** When the longest-waiting claimable book entered its state (null: none queued). */
  oldestQueuedEnteredAt: number | null;
  /** Not stopped (running or lost), most recent heartbeat first. */
  liveWorkers: WorkerRecord[];
  stoppedWorkers: WorkerRecord[];
  /** Workers seen since `workersSince`, by liveness measured against each one's lease. */
  workerCounts: { running: number; lost: number; stopped: number };
}

/** A book in a working state, as stuck detection reads it. */
export interface StuckCandidate {
  id: string;
  state: PipelineState;
  source_path: string;
  state_entered_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  priority: number;
  attempts: number;
  max_attempts: number;
  auto_recoveries: number;
  version: number;
}

/** A working state's cut-off: a book that entered it before `cutoff` is over its threshold. */
export interface StateCutoff {
  state: string;
  cutoff: number;
}

export interface StuckCandidatesQuery {
  now: number;
  /** One per working state (every working state must be given for the count). */
  cutoffs: readonly StateCutoff[];
  /** At most this many of each kind (the caller merges, sorts and cuts). */
  limit: number;
  /** Which kinds to read: expired leases, over-threshold books, or both. */
  leaseExpired: boolean;
  overThreshold: boolean;
}

export interface StuckCandidates {
  /** Working books whose lease has run out, earliest expiry first. */
  leaseExpired: StuckCandidate[];
  /** Per state, the books longest over its cut-off first, concatenated. */
  overThreshold: StuckCandidate[];
}

export interface StuckCountQuery {
  now: number;
  cutoffs: readonly StateCutoff[];
  /**
   * Counting stops once this many are found (each range also stops there), so the work is
   * bounded however many books are stuck; the caller reports "at least" beyond it.
   */
  stopAt: number;
}

/** Learned durations of one working state, as the durations job stores them. */
export interface StateStat {
  state: string;
  samples: number;
  median_ms: number | null;
  p95_ms: number | null;
  max_ms: number | null;
  computed_at: number;
}

export type LearnedDuration = Omit<StateStat, 'computed_at'>;

export interface MetricsSnapshotQuery {
  now: number;
  /** Completions and failures counted from here (the metrics: the last hour). */
  finishedSince: number;
  workersSince: number;
  /** Live workers given a heartbeat-age series. */
  liveWorkersListed: number;
  /**
   * The stuck cut-offs from the learned durations, read in the same transaction (a synchronous
   * callback: the thresholds are the detector's rule, the rows the engine's).
   */
  stuckCutoffs(learned: LearnedDuration[]): StateCutoff[];
  /** Stuck counting stops here (as StuckCountQuery.stopAt). */
  stuckStopAt: number;
}

/** Everything one `/metrics` scrape reads, in one read transaction so the gauges agree. */
export interface MetricsSnapshot {
  counts: StateCount[];
  /** priority → created_at of its oldest claimable book (only priorities with queued books). */
  oldestQueuedCreatedAt: Map<number, number>;
  /** Expired leases, and every stuck book (expired or over threshold, counted up to stopAt). */
  stuck: { leaseExpired: number; total: number };
  finished: { complete: number; failed: number };
  workers: { live: number; lost: number; stopped: number };
  /** Live (running) workers' last heartbeats, most recent first. */
  liveHeartbeats: { id: string; heartbeat_at: number }[];
  /** Newest and oldest retained audit ids (null when the log is empty). */
  audit: { head: number | null; first: number | null };
  schema: number;
}

export interface PipelinePageQuery {
  /** Only this state, newest in it first (by state_entered_at); else newest created first. */
  state?: string;
  limit: number;
  /** Keyset: rows after this one in that order (at = state_entered_at with a state, else created_at). */
  after?: { at: number; id: string };
}

export interface StatsOps {
  /** Everything the health report counts, in the queries it has always run (see sqlite/stats-health.ts). */
  healthAggregates(q: HealthAggregatesQuery): Promise<HealthAggregates>;
  /** The newest heartbeat any worker ever sent (null: none ever did). */
  lastHeartbeat(): Promise<number | null>;
  /** Working books whose lease has expired: their worker is gone, so they are stuck, not active. */
  leaseExpiredCount(now: number): Promise<number>;
  /** The learned durations stuck detection reads its thresholds from. */
  learnedDurations(): Promise<LearnedDuration[]>;
  /** Stuck candidates by expired lease and by state cut-off, each an index range. */
  stuckCandidates(q: StuckCandidatesQuery): Promise<StuckCandidates>;
  /** How many books are stuck (over a cut-off, or only by an expired lease), stopping at `stopAt`. */
  stuckCount(q: StuckCountQuery): Promise<number>;
  /** stuckCandidates and stuckCount at one instant: the list and the total every view shows. */
  stuckSurvey(q: StuckCandidatesQuery & { stopAt: number }): Promise<StuckCandidates & { count: number }>;
  /**
   * Recomputes every working state's median, p95 and max over its last `window` successful runs
   * and stores them (one short write transaction); returns what was stored.
   */
  recomputeDurations(q: { now: number; window: number }): Promise<StateStat[]>;
  /** What the durations job stored last (possibly stale), by state. */
  storedDurations(): Promise<StateStat[]>;
  /** The database side of one `/metrics` scrape. */
  metricsSnapshot(q: MetricsSnapshotQuery): Promise<MetricsSnapshot>;
  /** Pipelines newest first (or newest in one state first), keyset-paged: the MCP list. */
  pipelinePage(q: PipelinePageQuery): Promise<PipelineRow[]>;
}
