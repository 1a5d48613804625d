/**
 * What `agentic-pipeline serve` answers: /metrics, /health/live, /health/ready and /health.
 *
 * The database is read through one read-only connection (on PostgreSQL a read-only pool), opened
 * on first use and reopened when the file at the path is no longer the one it holds (restored
 * from a backup, replaced) or after a read failed, so the server never keeps reporting a file
 * that is gone, nor a pool to a server that went away.
 */
import fs from 'node:fs';
import type { EngineServices } from '../services.js';
import { openServices } from '../services.js';
import { isPostgresLocation } from '../db/location.js';
import { DbSnapshotReader, type DbSnapshot } from './db-snapshot.js';
import { ServerMetrics } from './server-metrics.js';
import { readinessChecks } from './readiness.js';
import { json, type Route } from './http.js';

export interface ServeAppOptions {
  dbPath: string;
  /** Config file for the `ops` section (health thresholds), as for `health`. */
  configFile?: string;
  /** How long one database read serves scrapes (default 1 s; the bench sets 0). */
  snapshotTtlMs?: number;
}

class ReadOnlyHandle {
  private services: EngineServices | undefined;
  private reader: DbSnapshotReader | undefined;
  private identity = '';

  constructor(private readonly options: ServeAppOptions) {}

  /** Opening under way: scrapes and probes arriving meanwhile share it instead of opening again. */
  private opening: Promise<EngineServices> | undefined;

  /** The open services, reopened when the file at the path changed identity. */
  async get(): Promise<{ services: EngineServices; reader: DbSnapshotReader }> {
    const id = fileIdentity(this.options.dbPath);
    if (this.services && id !== this.identity) this.drop();
    if (!this.services) {
      this.opening ??= openServices(this.options.dbPath, {
        readonly: true,
        create: false,
        ...(this.options.configFile ? { configFile: this.options.configFile } : {}),
      }).finally(() => {
        this.opening = undefined;
      });
      const s = await this.opening;
      if (!this.services) {
        this.services = s;
        this.identity = id;
        this.reader = new DbSnapshotReader(s.engine, s.ops.stuck, s.clock);
      }
    }
    return { services: this.services, reader: this.reader! };
  }

  /** Runs `fn` on the connection; a failure closes it so the next call opens afresh. */
  async use<T>(fn: (h: { services: EngineServices; reader: DbSnapshotReader }) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.get());
    } catch (err) {
      this.drop();
      throw err;
    }
  }

  drop(): void {
    try {
      this.services?.close();
    } catch {
      // closing a connection to a broken file may fail too; it is dropped either way
    }
    this.services = undefined;
    this.reader = undefined;
  }
}

function fileIdentity(file: string): string {
  // A server has no file here to be replaced; a failed read reopens its pool instead.
  if (isPostgresLocation(file)) return 'server';
  try {
    const s = fs.statSync(file);
    return `${s.dev}:${s.ino}`;
  } catch {
    return 'missing';
  }
}

export interface ServeApp {
  routes: Record<string, Route>;
  metrics: ServerMetrics;
  /** From now on /health/ready answers 503 (draining before the listener closes). */
  shutDown(): void;
  close(): void;
}

export function createServeApp(options: ServeAppOptions): ServeApp {
  const handle = new ReadOnlyHandle(options);
  let shuttingDown = false;
  const metrics = new ServerMetrics(
    {
      dbPath: options.dbPath,
      read: (): Promise<DbSnapshot> => handle.use((h) => h.reader.read()),
    },
    Date.now,
    options.snapshotTtlMs,
  );
  const routes: Record<string, Route> = {
    '/metrics': async () => ({ status: 200, contentType: metrics.contentType, body: await metrics.render() }),
    // Touches nothing: only "the process answers".
    '/health/live': () => json(200, { status: 'live', checks: [{ name: 'process', ok: true, detail: `pid ${process.pid}` }] }),
    '/health/ready': async () => {
      const checks = await readinessChecks(options.dbPath, shuttingDown);
      const ready = checks.every((c) => c.ok);
      return json(ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', checks });
    },
    // The document `health --json` prints; 503 only when unhealthy (degraded still serves).
    '/health': async () => {
      try {
        const report = await handle.use((h) => h.services.ops.health.report());
        return json(report.status === 'unhealthy' ? 503 : 200, report);
      } catch (err) {
        return json(503, { status: 'unhealthy', error: (err instanceof Error ? err.message : String(err)).split('\n')[0] });
      }
    },
  };
  return {
    routes,
    metrics,
    shutDown: () => {
      shuttingDown = true;
    },
    close: () => handle.drop(),
  };
}
