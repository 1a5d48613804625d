/**
 * Keeps the demo moving long after the first library is processed: every `intervalMs` a wave of
 * new books arrives (real files, queued through the Enqueuer as a person's `batch-queue` would);
 * every few waves one broken file arrives too (it fails at extraction, so the Failed tab has
 * something to show) and one book is claimed by a "crashed" worker that never heartbeats (the
 * Stuck tab). Bounded by `maxWaves` (default: about half an hour at the default pace), so a
 * forgotten demo does not fill the disk. No UI: screens/run-demo.ts starts and stops it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EngineServices } from '../services.js';
import type { Actor } from '../domain/actor.js';
import { writeLibrary } from './book-files.js';
import { stallBook } from './sample-library.js';

export interface DemoFeedOptions {
  /** Where the arriving books are written (one folder per wave). */
  readonly dir: string;
  readonly actor?: Actor;
  readonly intervalMs?: number;
  readonly booksPerWave?: number;
  /** Every n-th wave brings a broken file (default 3). */
  readonly brokenEvery?: number;
  /** Every n-th wave a crashed worker stalls a book (default 5). */
  readonly stallEvery?: number;
  /** The stalled book's lease: it shows as stuck once this runs out. */
  readonly stallLeaseMs?: number;
  readonly maxWaves?: number;
}

export interface WaveReport {
  readonly wave: number;
  readonly queued: number;
  readonly broken: boolean;
  readonly stalled: string | undefined;
}

export class DemoFeed {
  private timer: NodeJS.Timeout | null = null;
  private wave = 0;
  private running: Promise<WaveReport | null> | null = null;
  private readonly opts: Required<DemoFeedOptions>;

  constructor(
    private readonly services: Pick<EngineServices, 'engine' | 'enqueuer'>,
    options: DemoFeedOptions,
  ) {
    this.opts = {
      actor: 'system:demo',
      // Slower than two demo workers drain (about one book per 2–3 s), so the queue still empties.
      intervalMs: 8000,
      booksPerWave: 2,
      brokenEvery: 3,
      stallEvery: 5,
      stallLeaseMs: 20_000,
      maxWaves: 225,
      ...options,
    };
  }

  get waves(): number {
    return this.wave;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      // One wave at a time: a slow disk skips a beat rather than piling waves up.
      if (this.running) return;
      this.running = this.tick().finally(() => {
        this.running = null;
      });
      if (this.wave >= this.opts.maxWaves) this.stopTimer();
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  /** Stops arrivals and waits for a wave being written to finish. */
  async stop(): Promise<void> {
    this.stopTimer();
    await this.running?.catch(() => null);
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One wave now (the timer calls this; tests call it directly). Null once `maxWaves` is reached. */
  async tick(): Promise<WaveReport | null> {
    if (this.wave >= this.opts.maxWaves) return null;
    const n = ++this.wave;
    const dir = path.join(this.opts.dir, `wave-${String(n).padStart(4, '0')}`);
    const files = writeLibrary(dir, this.opts.booksPerWave, { seed: 10_000 + n }).map((b) => b.path);
    const broken = n % this.opts.brokenEvery === 0;
    if (broken) {
      // Unique bytes, so it is not taken for a duplicate of the last broken file.
      const p = path.join(dir, `broken-${n}.pdf`);
      fs.writeFileSync(p, `this is not a PDF (wave ${n})\n`);
      files.push(p);
    }
    let queued = 0;
    for (const [i, file] of files.entries()) {
      const r = await this.services.enqueuer.enqueueFile(file, { priority: 1 + ((n + i) % 9), actor: this.opts.actor });
      if (r.pipeline) queued++;
    }
    const stalled = n % this.opts.stallEvery === 0 ? await stallBook(this.services, this.opts.stallLeaseMs) : undefined;
    return { wave: n, queued, broken, stalled };
  }
}
