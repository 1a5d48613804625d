/**
 * Polls the database outside React and feeds the stores.
 *
 * Each poll asks the engine's `changes.version()` first (SQLite: `data_version`, which moves only
 * when another connection commits), so when it is unchanged the queries are skipped and nothing
 * is set (an idle refresh renders nothing and writes 0 bytes). Two exceptions force the queries:
 * the console's own writes (our connection's commits do not move data_version, so actions call
 * `refreshNow()`), and a periodic re-check (`recheckMs`), because time alone makes books stuck
 * (an expired lease is not a write).
 *
 * Polls never overlap: each waits for the one before it, and the timer sets the next tick only
 * once a tick has finished, so a slow read delays the next refresh instead of piling up.
 *
 * Feeds are the stores' loaders; each says whether it is wanted now (the active tab's list,
 * not while a confirmation is open: rows must not move under a question about them).
 */
import type { ChangeOps } from '../src/db/ops/changes.js';
import type { Clock } from '../src/domain/clock.js';
import type { UiStore } from './ui.js';

export interface Feed {
  readonly name: string;
  /** Whether to load this feed on this tick. */
  wanted(): boolean;
  load(): Promise<void>;
  /** Called with the message when `load` throws. */
  fail(message: string): void;
}

export interface PollResult {
  /** data_version moved (or the poll was forced): the queries ran. */
  readonly queried: boolean;
  readonly feeds: readonly string[];
  readonly ms: number;
}

/** Runs `job` after every job handed to it before (the console's one line of work: keys and ticks). */
export type Serial = <T>(job: () => Promise<T>) => Promise<T>;

/** A Serial: jobs run one at a time in the order given; a failed job does not stop the next. */
export function createSerial(): Serial {
  let last: Promise<unknown> = Promise.resolve();
  return <T>(job: () => Promise<T>): Promise<T> => {
    const run = last.then(job, job);
    last = run.catch(() => undefined);
    return run;
  };
}

export interface PollerOptions {
  readonly changes: ChangeOps;
  readonly ui: UiStore;
  readonly feeds: readonly Feed[];
  readonly refreshMs: number;
  /** Re-run the queries at least this often even without writes (default 15 s). */
  readonly recheckMs?: number;
  readonly clock?: Clock;
  /** Timer ticks run through this (the controller's key line), so a tick never interleaves a key's reads. */
  readonly serial?: Serial;
  /** Held while the feeds load, so their store changes reach the screen as one render. */
  readonly gate?: { hold(): void; release(): void };
}

export class Poller {
  private timer: NodeJS.Timeout | null = null;
  private lastVersion: number | null = null;
  private lastQueryAt = 0;
  private lastPollAt: number | null = null;
  private dataAt: number | null = null;
  private readonly clock: Clock;
  private readonly recheckMs: number;
  private readonly polls: Serial = createSerial();
  private stopped = false;
  private completed = 0;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly opts: PollerOptions) {
    this.clock = opts.clock ?? Date.now;
    this.recheckMs = opts.recheckMs ?? 15_000;
  }

  /** First poll at once, then every refresh period. */
  start(): void {
    this.stopped = false;
    void this.poll({ force: true });
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

  /** Polls finished so far (queried or not): what tests wait on instead of sleeping. */
  get pollCount(): number {
    return this.completed;
  }

  /** Resolves once `pollCount` has reached `n`. */
  waitForPolls(n: number): Promise<void> {
    if (this.completed >= n) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.completed < n) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const tick = this.opts.serial ? this.opts.serial(() => this.tick()) : this.tick();
      // The next tick is set only once this one is over: a slow read never piles polls up.
      void tick.catch(() => null).finally(() => {
        this.timer = null;
        this.schedule();
      });
    }, this.opts.refreshMs);
  }

  /** One timer tick: poll unless paused, then update the ages in the status bar. */
  async tick(): Promise<PollResult | null> {
    const result = this.opts.ui.getState().paused ? null : await this.poll();
    this.updateAges();
    return result;
  }

  /** Asks whether anything changed and, when it did (or `force`), loads every wanted feed. */
  poll(options: { force?: boolean } = {}): Promise<PollResult> {
    return this.polls(() => this.pollOnce(options));
  }

  private async pollOnce(options: { force?: boolean }): Promise<PollResult> {
    const started = performance.now();
    const now = this.clock();
    try {
      let version: number;
      try {
        version = await this.opts.changes.version();
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
        this.opts.gate?.hold();
        try {
          for (const feed of this.opts.feeds) {
            if (!feed.wanted()) continue;
            try {
              await feed.load();
              loaded.push(feed.name);
            } catch (err) {
              feed.fail(err instanceof Error ? err.message : String(err));
            }
          }
        } finally {
          this.opts.gate?.release();
        }
      }
      this.lastPollAt = now;
      this.dataAt = now;
      if (options.force) this.updateAges();
      return { queried, feeds: loaded, ms: performance.now() - started };
    } finally {
      this.completed++;
      for (const w of [...this.waiters]) w();
    }
  }

  /** After the console's own write: our commits do not move data_version, so force the queries. */
  async refreshNow(): Promise<PollResult> {
    const r = await this.poll({ force: true });
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
