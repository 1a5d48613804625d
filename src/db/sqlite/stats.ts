/**
 * The SQLite StatsOps: read-side aggregates over one connection. Each concern's statements are
 * prepared on its first use (a one-shot command that never asks for health prepares none of
 * health's), then kept for the connection's life.
 */
import type { SqliteStores } from './engine.js';
import type { StatsOps } from '../ops/stats.js';
import { HealthReads } from './stats-health.js';
import { StuckReads } from './stats-stuck.js';
import { DurationWrites } from './stats-durations.js';
import { MetricsReads } from './stats-metrics.js';
import { PipelinePages } from './stats-pages.js';
import { lazy } from './stats-sql.js';

export function sqliteStatsOps({ db }: SqliteStores): StatsOps {
  const health = lazy(() => new HealthReads(db));
  const stuck = lazy(() => new StuckReads(db));
  const durations = lazy(() => new DurationWrites(db));
  const metrics = lazy(() => new MetricsReads(db, stuck()));
  const pages = lazy(() => new PipelinePages(db));
  return {
    healthAggregates: async (q) => health().aggregates(q),
    lastHeartbeat: async () => health().lastHeartbeat(),
    leaseExpiredCount: async (now) => stuck().leaseExpiredCount(now),
    learnedDurations: async () => stuck().learned(),
    stuckCandidates: async (q) => stuck().candidates(q),
    stuckCount: async (q) => stuck().count(q),
    stuckSurvey: async (q) => ({ ...stuck().candidates(q), count: stuck().count(q) }),
    recomputeDurations: async ({ now, window }) => durations().recompute(now, window),
    storedDurations: async () => durations().stored(),
    metricsSnapshot: async (q) => metrics().snapshot(q),
    pipelinePage: async (q) => pages().page(q),
  };
}
