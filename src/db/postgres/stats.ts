/**
 * The PostgreSQL StatsOps: read-side aggregates, observably the same as the SQLite engine's
 * (src/db/sqlite/stats.ts): same shapes, orders and numbers for the same rows and `now`. Every
 * time compared against is the `now` the caller passes (the services pass their clock, which on
 * PostgreSQL is the host's corrected to the server's).
 */
import type { StatsOps } from '../ops/stats.js';
import type { PgContext } from './context.js';
import { healthAggregates, lastHeartbeat } from './stats-health.js';
import { candidates, count, leaseExpiredCount, learned, survey } from './stats-stuck.js';
import { recomputeDurations, storedDurations } from './stats-durations.js';
import { metricsSnapshot } from './stats-metrics.js';
import { pipelinePage } from './stats-pages.js';

export function pgStatsOps({ pool }: PgContext): StatsOps {
  return {
    healthAggregates: (q) => healthAggregates(pool, q),
    lastHeartbeat: () => lastHeartbeat(pool),
    leaseExpiredCount: (now) => leaseExpiredCount(pool, now),
    learnedDurations: () => learned(pool),
    stuckCandidates: (q) => candidates(pool, q),
    stuckCount: (q) => count(pool, q),
    // The list and the total in one statement (one snapshot): the number shown is the list's.
    stuckSurvey: (q) => survey(pool, q),
    recomputeDurations: ({ now, window }) => recomputeDurations(pool, now, window),
    storedDurations: () => storedDurations(pool),
    metricsSnapshot: (q) => metricsSnapshot(pool, q),
    pipelinePage: (q) => pipelinePage(pool, q),
  };
}
