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
}
