/**
 * Change notification on PostgreSQL (ChangeOps): LISTEN/NOTIFY as a hint that lets an idle
 * console skip its queries, never as the only way to see a change.
 *
 * Sending: no per-row NOTIFY trigger (River and Oban dropped theirs: every NOTIFY takes the
 * server's notification-queue lock at commit, which serialises busy writers). Instead each
 * committed write of this engine marks the pool dirty (sql.ts, tx.ts call `committed`), and at
 * most one `NOTIFY` per DEBOUNCE_MS goes out, after the commit it reports (NOTIFY is delivered
 * on commit only, so a notice never announces a write that could still roll back).
 *
 * Heartbeats are not announced (sql.ts `runQuiet`): they change no book, and a fleet's
 * heartbeats would otherwise wake every idle worker several times a second for nothing.
 *
 * Receiving: a dedicated connection (LISTEN needs one; a pooled one would be handed to other
 * work), opened on the first `version()` or `subscribe()`, so processes that never ask open
 * none. Every notice moves the version and calls the subscribers (idle workers: they claim at
 * once instead of at their next poll). When the connection drops, it reconnects with capped, jittered backoff;
 * while it is down every `version()` moves (the poller refreshes as if there were no NOTIFY),
 * and reconnecting moves it once more (notices sent while it was down are lost).
 */
import pg from 'pg';
import type { ChangeOps } from '../ops/changes.js';

export const CHANGES_CHANNEL = 'agentic_pipeline_changes';
const DEBOUNCE_MS = 50;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

const hooks = new WeakMap<pg.Pool, () => void>();

/** Called after a write committed on `pool` (cheap: a flag and at most one timer). */
export function committed(pool: pg.Pool): void {
  hooks.get(pool)?.();
}

export interface PgChanges extends ChangeOps {
  /** Sends a pending notice now, stops listening (before the pool ends). */
  close(): Promise<void>;
}

export function pgChanges(pool: pg.Pool, config: pg.ClientConfig, options: { readonly: boolean }): PgChanges {
  let closed = false;

  // ---- sending, debounced
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;
  const flush = async () => {
    timer = undefined;
    if (!dirty || closed) return;
    dirty = false;
    // A lost notice only delays a console's refresh until its next fallback poll.
    await pool.query(`NOTIFY ${CHANGES_CHANNEL}`).catch(() => undefined);
  };
  if (!options.readonly) {
    hooks.set(pool, () => {
      dirty = true;
      if (!timer && !closed) {
        timer = setTimeout(() => void flush(), DEBOUNCE_MS);
        timer.unref?.();
      }
    });
  }

  // ---- receiving
  let version = 0;
  let client: pg.Client | undefined;
  let listening = false;
  let started = false;
  let failures = 0;
  let retry: NodeJS.Timeout | undefined;

  const listeners = new Set<() => void>();
  const tell = () => {
    for (const l of listeners) l();
  };

  const connect = async () => {
    if (closed) return;
    const c = new pg.Client({ ...config, application_name: 'agentic-pipeline-listen' });
    client = c;
    const lost = () => {
      if (client !== c) return;
      client = undefined;
      listening = false;
      version++;
      c.end().catch(() => undefined);
      schedule();
    };
    c.on('error', lost);
    c.on('end', lost);
    c.on('notification', () => {
      version++;
      tell();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANGES_CHANNEL}`);
      if (client !== c) return;
      listening = true;
      failures = 0;
      version++; // anything committed while not listening went unannounced
      tell();
    } catch {
      lost();
    }
  };
  const schedule = () => {
    if (closed || retry) return;
    const base = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** failures++);
    retry = setTimeout(() => {
      retry = undefined;
      void connect();
    }, base / 2 + Math.random() * (base / 2));
    retry.unref?.();
  };

  return {
    async version() {
      if (!started) {
        started = true;
        await connect();
      }
      // Not listening: no notice can be trusted to come, so every look is a change.
      if (!listening) version++;
      return version;
    },
    subscribe(listener) {
      listeners.add(listener);
      if (!started) {
        started = true;
        void connect();
      }
      return () => void listeners.delete(listener);
    },
    async close() {
      if (closed) return;
      listeners.clear();
      if (timer) clearTimeout(timer);
      await flush();
      closed = true;
      if (retry) clearTimeout(retry);
      hooks.delete(pool);
      const c = client;
      client = undefined;
      listening = false;
      await c?.end().catch(() => undefined);
    },
  };
}
