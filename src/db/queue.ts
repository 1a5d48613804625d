/**
 * WorkQueue: claiming by priority, leases and heartbeats, and queue counts.
 *
 * A claim is one statement (the River/Oban shape): pick the first claimable row in claim order
 * through the partial index, repeat the guard in the outer WHERE, and move the book into its
 * first working state with a lease, in the same UPDATE … RETURNING. The history row is written
 * by trigger. Two processes can never hold the same book: SQLite serialises writers and the
 * outer guard re-checks the state.
 *
 * claimBatch takes up to N books in one transaction for a worker with N free slots: the fleet
 * then pays one commit per batch instead of one per book (see docs/PERFORMANCE.md).
 */
import crypto from 'node:crypto';
import os from 'node:os';
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import { immediate } from './db.js';
import type { PipelineRow } from './pipeline-row.js';
import type { Clock } from '../domain/clock.js';
import { CLAIMABLE_STATES, MAX_PRIORITY, MIN_PRIORITY } from '../domain/states.js';
import { CLAIMABLE_IN, CLAIM_INDEX, CLAIM_KEY, claimOrderBy } from './claim-order.js';
import { InputError } from '../domain/errors.js';
import { PIPELINE_COLUMNS, pipelineFromRaw } from './pipeline-row.js';
import { MAX_CLAIM_BATCH } from './ops/queue.js';

const claimable = CLAIMABLE_IN;

/** The claimable condition, written identically in the subquery and the outer guard. */
const CLAIMABLE_WHERE = `state IN (${claimable}) AND (next_attempt_at IS NULL OR next_attempt_at <= @now)`;

/**
 * What a claim sets. A retried book that had been approved resumes at embedding; otherwise it
 * starts over.
 */
const CLAIM_SET = `
  state = CASE WHEN state = 'approved' OR (state = 'needs_retry' AND approved_by IS NOT NULL)
               THEN 'embedding' ELSE 'hashing' END,
  lease_owner = @worker, lease_token = @token,
  lease_expires_at = @now + @lease_ms, heartbeat_at = @now,
  attempts = attempts + 1, next_attempt_at = NULL,
  -- Aging raised the priority for the wait; the wait is over. A book that comes back to the
  -- queue starts from what a person set and ages again from its new entry time.
  priority = base_priority,
  state_entered_at = @now, updated_at = @now, version = version + 1,
  last_actor = @actor, transition_note = 'claimed'`;

// The most books one claimBatch takes: part of the engine interface (./ops/queue.ts).
export { MAX_CLAIM_BATCH };

export interface Claim {
  pipeline: PipelineRow;
  /** Must accompany every write the worker makes for this book. */
  leaseToken: string;
}

// Transitional re-export (#14): the check is domain policy and lives in src/domain/priority.ts.
export { assertPriority } from '../domain/priority.js';

export class WorkQueue {
  private readonly claimStmt: Statement;
  private readonly pickStmt: Statement;
  private readonly claimManyStmt: Statement;
  private readonly heartbeatLeases: Statement;
  private readonly heartbeatWorker: Statement;
  private readonly registerWorker: Statement;
  private readonly stopWorker: Statement;
  private readonly releaseWorkerLeases: Statement;
  private tokenCounter = 0;
  private readonly tokenPrefix = crypto.randomBytes(6).toString('hex');

  constructor(
    readonly db: Db,
    readonly clock: Clock,
  ) {
    this.claimStmt = db.prepare(`
      UPDATE pipelines SET ${CLAIM_SET}
      WHERE id = (SELECT id FROM pipelines INDEXED BY ${CLAIM_INDEX} WHERE ${CLAIMABLE_WHERE}
                  ORDER BY ${claimOrderBy()} LIMIT 1)
        AND ${CLAIMABLE_WHERE}
      RETURNING ${PIPELINE_COLUMNS}`).raw(true);
    // claimBatch picks in claim order first, then claims the picked ids in one statement: the
    // UPDATE's RETURNING comes back in id order and shows the reset priority, so the pick is what
    // says which book was first. Both run in one IMMEDIATE transaction (no writer between them);
    // the guard is repeated anyway. `+state` keeps the planner on the id probes instead of
    // scanning every claimable row through the state index.
    this.pickStmt = db
      .prepare(
        `SELECT id FROM pipelines INDEXED BY ${CLAIM_INDEX} WHERE ${CLAIMABLE_WHERE}
         ORDER BY ${claimOrderBy()} LIMIT @n`,
      )
      .pluck();
    this.claimManyStmt = db.prepare(`
      UPDATE pipelines SET ${CLAIM_SET}
      WHERE id IN (SELECT value FROM json_each(@ids))
        AND +state IN (${claimable}) AND (next_attempt_at IS NULL OR next_attempt_at <= @now)
      RETURNING ${PIPELINE_COLUMNS}`).raw(true);
    // Leased rows are few (the fleet's concurrency): a scan of the lease index, which carries
    // lease_owner, finds a worker's books without an index of its own to update on every claim.
    this.heartbeatLeases = db.prepare(
      'UPDATE pipelines INDEXED BY pipelines_lease_stuck SET lease_expires_at = @expires, heartbeat_at = @now WHERE lease_owner = @worker',
    );
    this.heartbeatWorker = db.prepare('UPDATE workers SET heartbeat_at = @now WHERE id = @worker');
    this.registerWorker = db.prepare(`
      INSERT INTO workers (id, pid, host, started_at, heartbeat_at, concurrency, info_json)
      VALUES (@id, @pid, @host, @now, @now, @concurrency, @info)
      ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, host = excluded.host, started_at = excluded.started_at,
        heartbeat_at = excluded.heartbeat_at, stopped_at = NULL, concurrency = excluded.concurrency,
        info_json = excluded.info_json`);
    this.stopWorker = db.prepare('UPDATE workers SET stopped_at = @now, heartbeat_at = @now WHERE id = @worker');
    this.releaseWorkerLeases = db.prepare(
      'UPDATE pipelines INDEXED BY pipelines_lease_stuck SET lease_expires_at = @now WHERE lease_owner = @worker',
    );
  }

  private newToken(): string {
    return `${this.tokenPrefix}-${(++this.tokenCounter).toString(36)}`;
  }

  /**
   * Claims the most urgent claimable book (priority ASC, then oldest first) for `workerId`, moving
   * it into its first working state under a lease of `leaseMs`. Returns undefined when nothing is
   * claimable now.
   */
  claimNext(workerId: string, leaseMs: number): Claim | undefined {
    const token = this.newToken();
    const raw = immediate(this.db, () =>
      this.claimStmt.get({
        worker: workerId,
        token,
        now: this.clock(),
        lease_ms: leaseMs,
        actor: `system:worker:${workerId}`,
      }),
    ) as unknown[] | undefined;
    return raw ? { pipeline: pipelineFromRaw(raw), leaseToken: token } : undefined;
  }

  /**
   * Claims up to `max` books at once, in claim order, for a worker with that many free slots (the
   * River/Oban fetch-for-demand shape): one transaction and one UPDATE for the lot, so a busy
   * fleet pays one commit per batch instead of one per book. Every book gets the same history
   * row, lease and attempt as from claimNext. The books share one lease token: a token tells
   * successive claims of the same book apart, and no two books of a batch are the same book.
   */
  claimBatch(workerId: string, leaseMs: number, max: number): Claim[] {
    if (!Number.isInteger(max) || max < 1 || max > MAX_CLAIM_BATCH) {
      throw new InputError(`a claim batch takes 1 to ${MAX_CLAIM_BATCH} books, got ${String(max)}`);
    }
    if (max === 1) {
      const one = this.claimNext(workerId, leaseMs);
      return one ? [one] : [];
    }
    const token = this.newToken();
    return immediate(this.db, () => {
      const now = this.clock();
      const ids = this.pickStmt.all({ now, n: max }) as string[];
      if (ids.length === 0) return [];
      const rows = (
        this.claimManyStmt.all({
          ids: JSON.stringify(ids),
          worker: workerId,
          token,
          now,
          lease_ms: leaseMs,
          actor: `system:worker:${workerId}`,
        }) as unknown[][]
      ).map(pipelineFromRaw);
      const rank = new Map(ids.map((id, i) => [id, i]));
      rows.sort((a, b) => rank.get(a.id)! - rank.get(b.id)!);
      return rows.map((pipeline) => ({ pipeline, leaseToken: token }));
    });
  }

  /** One statement extends every lease the worker holds (heartbeat per worker, not per book). */
  heartbeat(workerId: string, leaseMs: number): number {
    const now = this.clock();
    return immediate(this.db, () => {
      this.heartbeatWorker.run({ now, worker: workerId });
      return this.heartbeatLeases.run({ expires: now + leaseMs, now, worker: workerId }).changes;
    });
  }

  register(workerId: string, info: { concurrency?: number; [k: string]: unknown } = {}): void {
    immediate(this.db, () =>
      this.registerWorker.run({
        id: workerId,
        pid: process.pid,
        host: os.hostname(),
        now: this.clock(),
        concurrency: info.concurrency ?? 1,
        info: JSON.stringify(info),
      }),
    );
  }

  /**
   * Marks the worker stopped. Any lease it still holds is expired at once, so recovery can take
   * those books without waiting out the lease (a clean shutdown should have released them all).
   */
  unregister(workerId: string): number {
    const now = this.clock();
    return immediate(this.db, () => {
      this.stopWorker.run({ now, worker: workerId });
      return this.releaseWorkerLeases.run({ now, worker: workerId }).changes;
    });
  }

  /** Queued (claimable-state) books by priority, from the maintained aggregate. */
  queuedByPriority(): Record<number, number> {
    const rows = this.db
      .prepare(`SELECT priority, SUM(n) AS n FROM pipeline_counts WHERE state IN (${claimable}) GROUP BY priority`)
      .all() as { priority: number; n: number }[];
    const out: Record<number, number> = {};
    for (let p = MIN_PRIORITY; p <= MAX_PRIORITY; p++) out[p] = 0;
    for (const r of rows) out[r.priority] = r.n;
    return out;
  }

  /**
   * A window of the queue in claim order (what the console's Queue tab scrolls). Keyset paging
   * from the last row seen keeps deep windows O(log n + window).
   */
  window(options: { limit: number; after?: { priority: number; created_at: number; id: string } }): PipelineRow[] {
    const params: Record<string, unknown> = { limit: options.limit };
    let keyset = '';
    if (options.after) {
      keyset = `AND ${CLAIM_KEY} > (@ap, @ac, @ai)`;
      params.ap = options.after.priority;
      params.ac = options.after.created_at;
      params.ai = options.after.id;
    }
    return this.db
      .prepare(
        `SELECT ${PIPELINE_COLUMNS} FROM pipelines INDEXED BY ${CLAIM_INDEX} WHERE state IN (${claimable}) ${keyset}
         ORDER BY ${claimOrderBy()} LIMIT @limit`,
      )
      .all(params) as PipelineRow[];
  }

  /** Position of a book in claim order (0-based), or undefined if it is not queued. */
  positionOf(row: Pick<PipelineRow, 'priority' | 'created_at' | 'id' | 'state'>): number | undefined {
    if (!(CLAIMABLE_STATES as readonly string[]).includes(row.state)) return undefined;
    const r = this.db
      .prepare(
        `SELECT COUNT(*) AS n FROM pipelines INDEXED BY ${CLAIM_INDEX} WHERE state IN (${claimable})
         AND ${CLAIM_KEY} < (@p, @c, @i)`,
      )
      .get({ p: row.priority, c: row.created_at, i: row.id }) as { n: number };
    return r.n;
  }
}
