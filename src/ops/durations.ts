/**
 * Learned state durations: median, p95 and max of the most recent successful runs of each working
 * state, kept by the engine (`state_stats` in SQLite); stuck detection reads them. Each state
 * reads at most `stuck.sample_window` runs of its history.
 */
import type { StateStat } from '../db/ops/stats.js';
import type { OpsContext } from './core.js';

export type { StateStat } from '../db/ops/stats.js';

export class DurationStats {
  constructor(private readonly ctx: OpsContext) {}

  /** Recomputes every working state's statistics; one short write transaction. */
  async refresh(): Promise<StateStat[]> {
    return this.ctx.engine.stats.recomputeDurations({ now: this.ctx.clock(), window: this.ctx.config.stuck.sample_window });
  }

  /** What is stored now (possibly stale; `refresh` updates it). */
  async current(): Promise<StateStat[]> {
    return this.ctx.engine.stats.storedDurations();
  }
}
