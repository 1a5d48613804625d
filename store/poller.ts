/**
 * Polls the database outside React and feeds the stores.
 *
 * Each tick reads `PRAGMA data_version` first: it changes only when another connection commits,
 * so when it is unchanged the queries are skipped and nothing is set (an idle refresh renders
 * nothing and writes 0 bytes). Two exceptions force the queries: the console's own writes (our
 * connection's commits do not move data_version, so actions call `refreshNow()`), and a periodic
 * re-check (`recheckMs`), because time alone makes books stuck (an expired lease is not a write).
 *
 * Feeds are the stores' loaders; each says whether it is wanted now (the active tab's list,
 * not while a confirmation is open: rows must not move under a question about them).
 */
import type { Db } from '../src/db/db.js';
import type { Clock } from '../src/domain/clock.js';
import type { UiStore } from './ui.js';

export interface Feed {
  readonly name: string;
  /** Whether to load this feed on this tick. */
  wanted(): boolean;
  load(): void;
  /** Called with the message when `load` throws. */
  fail(message: string): void;
}

export interface PollResult {
  /** data_version moved (or the poll was forced): the queries ran. */
  readonly queried: boolean;
  readonly feeds: readonly string[];
  readonly ms: number;
}

export interface PollerOptions {
  readonly db: Db;
  readonly ui: UiStore;
  readonly feeds: readonly Feed[];
  readonly refreshMs: number;
  /** Re-run the queries at least this often even without writes (default 15 s). */
  readonly recheckMs?: number;
  readonly clock?: Clock;
}

export class Poller {
  private timer: NodeJS.Timeout | null = null;
  private lastVersion: number | null = null;
  private lastQueryAt = 0;
  private lastPollAt: number | null = null;
  private dataAt: number | null = null;
  private readonly clock: Clock;
  private readonly recheckMs: number;
  private stopped = false;

  constructor(private readonly opts: PollerOptions) {
    this.clock = opts.clock ?? Date.now;
    this.recheckMs = opts.recheckMs ?? 15_000;
  }

  /** First poll at once, then every refresh period. */
  start(): void {
    this.stopped = false;
    this.poll({ force: true });
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** At least one poll ran (so a layout change should reload the windows). */
  get hasPolled(): boolean {
    return this.lastPollAt !== null;
  }

  get running(): boolean {
    return this.timer !== null;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.tick();
      this.schedule();
    }, this.opts.refreshMs);
  }

  /** One timer tick: poll unless paused, then update the ages in the status bar. */
  tick(): PollResult | null {
    const result = this.opts.ui.getState().paused ? null : this.poll();
    this.updateAges();
    return result;
  }

  /** Reads data_version and, when it moved (or `force`), loads every wanted feed. */
  poll(options: { force?: boolean } = {}): PollResult {
    const started = performance.now();
    const now = this.clock();
    let version: number;
    try {
      version = this.opts.db.pragma('data_version', { simple: true }) as number;
    } catch (err) {
      this.lastPollAt = now;
      this.opts.ui.getState().setMessage({ text: `poll failed: ${(err as Error).message}`, tone: 'critical' });
      return { queried: false, feeds: [], ms: performance.now() - started };
    }
    const due = now - this.lastQueryAt >= this.recheckMs;
    const queried = options.force === true || version !== this.lastVersion || due;
    const loaded: string[] = [];
    if (queried) {
      this.lastVersion = version;
      this.lastQueryAt = now;
      for (const feed of this.opts.feeds) {
        if (!feed.wanted()) continue;
        try {
          feed.load();
          loaded.push(feed.name);
        } catch (err) {
          feed.fail(err instanceof Error ? err.message : String(err));
        }
      }
    }
    this.lastPollAt = now;
    this.dataAt = now;
    if (options.force) this.updateAges();
    return { queried, feeds: loaded, ms: performance.now() - started };
  }

  /** After the console's own write: our commits do not move data_version, so force the queries. */
  refreshNow(): PollResult {
    const r = this.poll({ force: true });
    this.updateAges();
    return r;
  }

  /**
   * Ages in whole refresh periods: while polling runs they stay 0 and the status bar does not
   * redraw; when paused (or polls stall) they grow a period at a time.
   */
  updateAges(): void {
    if (this.stopped) return;
    const now = this.clock();
    const q = (at: number | null): number | null =>
      at === null ? null : Math.floor(Math.max(0, now - at) / this.opts.refreshMs) * this.opts.refreshMs;
    this.opts.ui.getState().setAges(q(this.dataAt), q(this.lastPollAt));
  }
}
