/**
 * "Did anything change?" for pollers: the console asks this before every refresh and skips its
 * queries while the answer stays the same, so an idle console reads almost nothing and draws
 * nothing.
 */
export interface ChangeOps {
  /**
   * A number that moves when another connection commits (SQLite: `data_version`; PostgreSQL will
   * count NOTIFYs). Our own connection's commits may not move it: refresh after your own writes.
   */
  version(): Promise<number>;
  /**
   * Calls `listener` soon after another connection (on any host) commits a change, so an idle
   * worker can claim a newly queued book at once instead of at its next poll. A hint only: an
   * engine without push (SQLite, one host: its workers poll the file cheaply) never calls it, and
   * one with push (PostgreSQL: LISTEN/NOTIFY) may miss notices while its listener reconnects;
   * callers keep polling as the fallback. Returns the unsubscribe function.
   */
  subscribe(listener: () => void): () => void;
}
