/**
 * `--watch DIR`: queues new book files as they appear. fs.watch gives prompt notice; a periodic
 * rescan catches what it misses (network filesystems, overflowed event queues, renames). A file
 * is queued only once its size and mtime have been stable for `stableMs`, so a book still being
 * copied is never hashed half-written. Queuing goes through the Enqueuer (duplicates and files
 * already queued are recognised there).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Services } from '../services.js';
import type { Actor } from '../domain/actor.js';
import type { EnqueueResult } from '../ops/enqueue.js';
import { SUPPORTED_EXTENSIONS } from '../ops/enqueue.js';
import { InputError } from '../domain/errors.js';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';

export interface WatchOptions {
  actor?: Actor;
  priority?: number;
  /** How long size and mtime must stay unchanged (default 2000 ms). */
  stableMs?: number;
  /** Full rescan period (default 10 s). */
  rescanMs?: number;
  logger?: Logger;
  onQueued?: (result: EnqueueResult) => void;
}

interface Seen {
  size: number;
  mtimeMs: number;
  since: number;
  done: boolean;
}

const IGNORED = /(^\.|~$|\.(part|partial|tmp|crdownload|download|swp)$)/i;

export class FolderWatcher {
  private watcher: fs.FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly seen = new Map<string, Seen>();
  private scanning = false;
  private rescanRequested = false;
  private closed = false;
  private readonly log: Logger;
  readonly dir: string;

  constructor(
    private readonly services: Services,
    dir: string,
    private readonly options: WatchOptions = {},
  ) {
    this.dir = path.resolve(dir);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(this.dir);
    } catch {
      throw new InputError(`--watch folder not found: ${dir}`);
    }
    if (!stat.isDirectory()) throw new InputError(`--watch needs a folder, got a file: ${dir}`);
    this.log = (options.logger ?? silentLogger()).child({ watch: this.dir });
  }

  start(): void {
    try {
      this.watcher = fs.watch(this.dir, { recursive: true }, () => this.requestScan());
    } catch {
      try {
        this.watcher = fs.watch(this.dir, () => this.requestScan());
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'fs.watch unavailable; relying on periodic rescans');
      }
    }
    this.watcher?.on('error', (err) => this.log.warn({ err: err.message }, 'fs.watch failed; relying on periodic rescans'));
    // Rescan often enough to notice stability promptly, and as the fallback for missed events.
    const stable = this.options.stableMs ?? 2000;
    const every = Math.min(this.options.rescanMs ?? 10_000, Math.max(100, Math.floor(stable / 2)));
    this.timer = setInterval(() => this.requestScan(), every);
    this.timer.unref?.();
    this.requestScan();
    this.log.info('watching for new books');
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
  }

  private requestScan(): void {
    if (this.closed) return;
    if (this.scanning) {
      this.rescanRequested = true;
      return;
    }
    this.scanning = true;
    void this.scan()
      .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'scan failed'))
      .finally(() => {
        this.scanning = false;
        if (this.rescanRequested) {
          this.rescanRequested = false;
          setTimeout(() => this.requestScan(), 50).unref?.();
        }
      });
  }

  private *walk(dir: string): Generator<string> {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (IGNORED.test(e.name)) continue;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) yield* this.walk(full);
      else if (e.isFile() && SUPPORTED_EXTENSIONS.includes(path.extname(e.name).toLowerCase())) yield full;
    }
  }

  private async scan(): Promise<void> {
    const now = Date.now();
    const stableMs = this.options.stableMs ?? 2000;
    for (const file of this.walk(this.dir)) {
      if (this.closed) return;
      let st: fs.Stats;
      try {
        st = fs.statSync(file);
      } catch {
        continue;
      }
      const prev = this.seen.get(file);
      if (!prev || prev.size !== st.size || prev.mtimeMs !== st.mtimeMs) {
        // New or still changing (a partial write): start the stability clock again.
        this.seen.set(file, { size: st.size, mtimeMs: st.mtimeMs, since: now, done: false });
        continue;
      }
      if (prev.done || now - prev.since < stableMs) continue;
      prev.done = true;
      try {
        const result = await this.services.enqueuer.enqueueFile(file, {
          actor: this.options.actor ?? 'system:watch',
          ...(this.options.priority !== undefined ? { priority: this.options.priority } : {}),
        });
        this.log.info({ file, outcome: result.outcome, pipeline: result.pipeline.id }, `watch: ${result.outcome}`);
        this.options.onQueued?.(result);
      } catch (err) {
        prev.done = false;
        prev.since = Date.now();
        this.log.warn({ file, err: (err as Error).message }, 'watch: could not queue file; will try again');
      }
    }
  }
}
