/**
 * The `serve` process's registry: the database gauges (./db-snapshot.ts), refreshed at most once
 * a second however often Prometheus (or several of them) scrape, plus the scrape's own duration
 * and errors, build info and Node's default process metrics.
 *
 * Gauges are reset before being refilled so a label set that vanished (a state emptied, a worker
 * gone) disappears from the next scrape instead of repeating its last value.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { DbSnapshot } from './db-snapshot.js';
import { packageVersion } from './version.js';
import { engineKind, targetSchema } from '../db/schema-target.js';

export const PREFIX = 'agentic_pipeline_';
/** How long one database read serves scrapes. */
export const SNAPSHOT_TTL_MS = 1000;

export interface SnapshotSource {
  /** Rejects when the database cannot be read (counted as a scrape error). */
  read(): Promise<DbSnapshot>;
  dbPath: string;
}

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly books: Gauge;
  private readonly oldest: Gauge;
  private readonly stuck: Gauge;
  private readonly finished: Gauge;
  private readonly workers: Gauge;
  private readonly heartbeatAge: Gauge;
  private readonly auditEntries: Gauge;
  private readonly auditHead: Gauge;
  private readonly dbUp: Gauge;
  /** Absent on PostgreSQL: an unlabelled gauge never set would still be scraped as 0 bytes free. */
  private readonly diskFree: Gauge | undefined;
  private readonly scrapeDuration: Gauge;
  private readonly scrapeErrors: Counter;
  private readonly buildInfo: Gauge;
  private last: { at: number; ok: boolean } | undefined;
  /** The database read under way: scrapes arriving meanwhile wait for it instead of reading again. */
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly source: SnapshotSource,
    private readonly now: () => number = Date.now,
    /** The bench sets 0 to time every scrape's database read. */
    private readonly ttlMs: number = SNAPSHOT_TTL_MS,
  ) {
    const registers = [this.registry];
    const g = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name: PREFIX + name, help, labelNames, registers });
    this.books = g('books', 'Books by pipeline state and effective priority (from the pipeline_counts aggregate).', ['state', 'priority']);
    this.oldest = g('oldest_queued_age_seconds', 'Seconds since the oldest claimable book at this priority was queued.', ['priority']);
    this.stuck = g('stuck_books', 'Books stuck in a working state, by reason (lease_expired: its worker is gone; over_threshold: longer than expected).', ['reason']);
    this.finished = g('books_finished_last_hour', 'Books that reached complete or failed in the last hour.', ['outcome']);
    this.workers = g('workers', 'Workers seen in the last day by liveness (live: heartbeat within its lease; lost: not stopped, heartbeat older than its lease).', ['liveness']);
    this.heartbeatAge = g('worker_heartbeat_age_seconds', 'Seconds since each live worker last sent a heartbeat.', ['worker']);
    this.auditEntries = g('audit_entries', 'Audit entries retained (the id span from the oldest retained to the head).');
    this.auditHead = g('audit_head_id', 'Id of the newest audit entry (the head of the hash chain).');
    this.dbUp = g('database_up', '1 when the last scrape read the database, 0 when it failed.');
    const engine = engineKind(source.dbPath);
    // The server's disk is not this host's, so on PostgreSQL there is no such gauge at all.
    this.diskFree = engine === 'postgres' ? undefined : g('disk_free_bytes', 'Bytes free on the file system that holds the database.');
    this.scrapeDuration = g('scrape_duration_seconds', 'Time the last database read for /metrics took.');
    this.scrapeErrors = new Counter({ name: PREFIX + 'scrape_errors_total', help: 'Scrapes whose database read failed.', registers });
    this.buildInfo = g('build_info', 'Always 1; the labels carry the version, the engine served and the schema this build migrates that engine to.', ['version', 'engine', 'schema']);
    // Each engine has its own migration list: the schema number means nothing without the engine.
    this.buildInfo.set({ version: packageVersion(), engine, schema: String(targetSchema(engine)) }, 1);
    addProcessMetrics(this.registry);
  }

  /** The scrape body (Prometheus text format). */
  async render(): Promise<string> {
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = undefined;
    });
    await this.refreshing;
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private async refresh(): Promise<void> {
    const now = this.now();
    if (this.last && now - this.last.at < this.ttlMs) return;
    const started = process.hrtime.bigint();
    let snap: DbSnapshot | undefined;
    try {
      snap = await this.source.read();
    } catch {
      this.scrapeErrors.inc();
    }
    this.scrapeDuration.set(Number(process.hrtime.bigint() - started) / 1e9);
    this.last = { at: now, ok: snap !== undefined };
    this.dbUp.set(snap ? 1 : 0);
    if (this.diskFree) {
      this.diskFree.reset();
      const free = diskFree(this.source.dbPath);
      if (free !== null) this.diskFree.set(free);
    }
    for (const m of [this.books, this.oldest, this.stuck, this.finished, this.workers, this.heartbeatAge, this.auditEntries, this.auditHead]) m.reset();
    if (!snap) return; // an unreadable database: no stale numbers, only database_up 0
    for (const b of snap.books) this.books.set({ state: b.state, priority: String(b.priority) }, b.n);
    for (const [p, s] of snap.oldestQueuedSeconds) this.oldest.set({ priority: String(p) }, s);
    this.stuck.set({ reason: 'lease_expired' }, snap.stuck.lease_expired);
    this.stuck.set({ reason: 'over_threshold' }, snap.stuck.over_threshold);
    this.finished.set({ outcome: 'complete' }, snap.finishedLastHour.complete);
    this.finished.set({ outcome: 'failed' }, snap.finishedLastHour.failed);
    for (const [liveness, n] of Object.entries(snap.workers)) this.workers.set({ liveness }, n);
    for (const [worker, s] of snap.heartbeatAgeSeconds) this.heartbeatAge.set({ worker }, s);
    this.auditEntries.set(snap.audit.entries);
    this.auditHead.set(snap.audit.headId);
  }
}

/**
 * Node's default process metrics, less the three gauges prom-client names `*_total` (active
 * handles, requests, resources): `_total` is for counters, and `promtool check metrics` rejects
 * them. Shared with the worker's registry.
 */
export function addProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }
}

function diskFree(dbPath: string): number | null {
  try {
    const s = fs.statfsSync(path.dirname(path.resolve(dbPath)));
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}
