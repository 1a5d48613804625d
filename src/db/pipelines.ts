/**
 * PipelineStore: reads and guarded writes of the pipelines table. Every state change goes through
 * `transition`, a compare-and-swap on the current state (and, for workers, the lease token); the
 * history row is written by a trigger in the same statement's transaction.
 */
import crypto from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import { immediate } from './db.js';
import type { PipelinePatch, PipelineRow } from './pipeline-row.js';
import { PATCHABLE_COLUMNS } from './pipeline-row.js';
import type { Clock } from '../domain/clock.js';
import type { Actor } from '../domain/actor.js';
import type { PipelineState } from '../domain/states.js';
import { canTransition, DEFAULT_PRIORITY, isPipelineState } from '../domain/states.js';
import {
  AmbiguousIdError,
  IllegalTransitionError,
  InputError,
  NotFoundError,
} from '../domain/errors.js';
import { refusalFor, splitAdvance } from './transition-rules.js';
import { PIPELINE_COLUMNS, pipelineFromRaw } from './pipeline-row.js';

export function newPipelineId(): string {
  return crypto.randomBytes(16).toString('hex');
}

export interface NewPipeline {
  id?: string;
  source_path: string;
  content_hash?: string | null;
  size?: number | null;
  format?: string | null;
  state?: PipelineState;
  priority?: number;
  max_attempts?: number;
  duplicate_of?: string | null;
  actor: Actor;
  note?: string | null;
}

export interface TransitionRequest {
  id: string;
  /** The state(s) the caller believes the book is in; anything else loses the swap. */
  from: PipelineState | readonly PipelineState[];
  to: PipelineState;
  actor: Actor | string;
  /** Free text or JSON stored on the history row. */
  note?: string | null;
  /** Workers pass the token of their lease; a mismatch throws LeaseLostError. */
  leaseToken?: string;
  /** Other columns to set in the same statement. */
  patch?: PipelinePatch;
  /** Drop the lease (the book leaves the worker's hands). */
  releaseLease?: boolean;
  /** Batch operations pass the version they previewed; a mismatch loses the swap. */
  expectedVersion?: number;
}

/** One book a lease holder moves in `advanceMany`. */
export interface HeldTransition {
  id: string;
  from: PipelineState;
  to: PipelineState;
  leaseToken: string;
  note?: string | null;
}

export interface AdvanceOutcome {
  moved: Pick<PipelineRow, 'id' | 'state' | 'version'>[];
  /** Books left as they were, each with the error `transition` would have thrown for it. */
  refused: { id: string; error: Error }[];
}

export interface ListOptions {
  state?: PipelineState;
  limit?: number;
  /** Keyset cursor: rows created strictly before this (created_at, id). */
  before?: { created_at: number; id: string };
}

const ID_PREFIX = /^[0-9a-f]{1,32}$/;

export class PipelineStore {
  private readonly byId: Statement<[string], PipelineRow>;
  private readonly byPrefix: Statement<[string, string], { id: string }>;
  private readonly insertStmt: Statement;
  private readonly patchCache = new Map<string, Statement>();

  constructor(
    readonly db: Db,
    readonly clock: Clock,
  ) {
    this.byId = db.prepare(`SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE id = ?`);
    this.byPrefix = db.prepare('SELECT id FROM pipelines WHERE id >= ? AND id < ? ORDER BY id LIMIT 4');
    this.insertStmt = db.prepare(`
      INSERT INTO pipelines (id, source_path, content_hash, size, format, state, priority, base_priority,
        max_attempts, duplicate_of, created_at, updated_at, state_entered_at, last_actor, transition_note)
      VALUES (@id, @source_path, @content_hash, @size, @format, @state, @priority, @priority,
        @max_attempts, @duplicate_of, @now, @now, @now, @actor, @note)
      RETURNING ${PIPELINE_COLUMNS}`);
  }

  get(id: string): PipelineRow | undefined {
    return this.byId.get(id);
  }

  /** Must exist; `id` is a full id. */
  require(id: string): PipelineRow {
    const row = this.byId.get(id);
    if (!row) throw new NotFoundError(id);
    return row;
  }

  /**
   * Resolves a full id or a unique prefix (tables show 8 characters). Uses the primary key as a
   * range, so it costs one index probe at any table size.
   */
  resolveId(idOrPrefix: string): string {
    const prefix = idOrPrefix.trim().toLowerCase();
    if (!ID_PREFIX.test(prefix)) {
      throw new InputError(`invalid pipeline id '${idOrPrefix}': expected hexadecimal characters`);
    }
    if (prefix.length === 32) {
      if (!this.byId.get(prefix)) throw new NotFoundError(idOrPrefix);
      return prefix;
    }
    const upper = prefix + 'g'; // 'g' sorts after every hex digit
    const rows = this.byPrefix.all(prefix, upper);
    if (rows.length === 0) throw new NotFoundError(idOrPrefix);
    if (rows.length > 1) throw new AmbiguousIdError(idOrPrefix, rows.map((r) => r.id));
    return rows[0]!.id;
  }

  /** Inserts one pipeline (history row by trigger). Call inside a transaction for atomicity with audit. */
  insert(input: NewPipeline): PipelineRow {
    const priority = input.priority ?? DEFAULT_PRIORITY;
    return this.insertStmt.get({
      id: input.id ?? newPipelineId(),
      source_path: input.source_path,
      content_hash: input.content_hash ?? null,
      size: input.size ?? null,
      format: input.format ?? null,
      state: input.state ?? 'detected',
      priority,
      max_attempts: input.max_attempts ?? 5,
      duplicate_of: input.duplicate_of ?? null,
      now: this.clock(),
      actor: input.actor,
      note: input.note ?? null,
    }) as PipelineRow;
  }

  /**
   * Moves one book from `from` to `to` in one immediate transaction: checks the transition table,
   * then compare-and-swaps on state (and lease token / version when given). Throws and writes
   * nothing when the move is illegal or the swap is lost.
   */
  transition(req: TransitionRequest): PipelineRow {
    return immediate(this.db, () => this.transitionInTx(req));
  }

  /** As `transition`, for callers already inside a transaction (batches, actions with audit). */
  transitionInTx(req: TransitionRequest): PipelineRow {
    const froms: readonly PipelineState[] = typeof req.from === 'string' ? [req.from] : req.from;
    if (!isPipelineState(req.to)) throw new InputError(`unknown state '${req.to}'`);
    // Fast path (every worker step): one guarded UPDATE. Only when it changes nothing is the row
    // read, to say exactly why (missing, lease lost, wrong state, changed).
    if (froms.length === 1 && canTransition(froms[0]!, req.to)) {
      const row = this.update(req.id, froms[0]!, req.to, this.transitionPatch(req), {
        actor: req.actor,
        note: req.note ?? null,
        leaseToken: req.leaseToken,
        ...(req.expectedVersion !== undefined ? { version: req.expectedVersion } : {}),
      });
      if (row) return row;
    }
    const current = this.byId.get(req.id);
    if (!current) throw new NotFoundError(req.id);
    const refusal = refusalFor(req, current, froms);
    if (refusal) throw refusal;
    const row = this.update(req.id, current.state, req.to, this.transitionPatch(req), {
      actor: req.actor,
      note: req.note ?? null,
      leaseToken: req.leaseToken,
      version: current.version,
    });
    if (!row) {
      // Cannot happen inside an immediate transaction unless the row vanished; be loud anyway.
      throw new IllegalTransitionError(req.id, current.state, req.to, `pipeline ${req.id.slice(0, 8)} changed during the transition`);
    }
    return row;
  }

  /**
   * Group commit for a lease holder moving several of its books at once (a batch from
   * WorkQueue.claimBatch): one statement and, outside a caller's transaction, one commit for the
   * lot. Each book is still its own compare-and-swap on state and lease token with its own
   * history row; a book that loses its swap is refused with the same typed error `transition`
   * would throw and nothing is written for it, while the others move.
   */
  advanceMany(items: readonly HeldTransition[], options: { actor: Actor | string; releaseLease?: boolean }): AdvanceOutcome {
    // Inside a caller's transaction this nests as a savepoint.
    return immediate(this.db, () => this.advanceInTx(items, options));
  }

  private advanceInTx(items: readonly HeldTransition[], options: { actor: Actor | string; releaseLease?: boolean }): AdvanceOutcome {
    const { legal, refused } = splitAdvance(items);
    if (legal.length === 0) return { moved: [], refused };
    const key = `advance|${options.releaseLease ? 'r' : ''}`;
    let stmt = this.patchCache.get(key);
    if (!stmt) {
      const release = options.releaseLease ? ', lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL' : '';
      // json_each drives the statement (one primary-key probe per book); `+state` keeps the
      // planner off the state index.
      stmt = this.db.prepare(`
        UPDATE pipelines SET updated_at = @now, version = version + 1, state = x.to_state, state_entered_at = @now,
          last_actor = @actor, transition_note = x.note,
          completed_at = CASE WHEN x.to_state = 'complete' THEN @now ELSE completed_at END${release}
        FROM (SELECT value ->> 0 AS pid, value ->> 1 AS tok, value ->> 2 AS from_state, value ->> 3 AS to_state,
                     value ->> 4 AS note FROM json_each(@items)) AS x
        WHERE pipelines.id = x.pid AND pipelines.lease_token = x.tok AND +pipelines.state = x.from_state
        RETURNING pipelines.id, pipelines.state, pipelines.version`);
      this.patchCache.set(key, stmt);
    }
    const moved = stmt.all({
      items: JSON.stringify(legal.map((i) => [i.id, i.leaseToken, i.from, i.to, i.note ?? null])),
      now: this.clock(),
      actor: options.actor,
    }) as AdvanceOutcome['moved'];
    if (moved.length < legal.length) {
      const done = new Set(moved.map((m) => m.id));
      for (const item of legal) {
        if (done.has(item.id)) continue;
        const current = this.byId.get(item.id);
        refused.push({
          id: item.id,
          error: current
            ? (refusalFor(item, current, [item.from]) ??
              new IllegalTransitionError(item.id, current.state, item.to, `pipeline ${item.id.slice(0, 8)} changed during the transition`))
            : new NotFoundError(item.id),
        });
      }
    }
    return { moved, refused };
  }

  private transitionPatch(req: Pick<TransitionRequest, 'patch' | 'releaseLease' | 'to'>): Record<string, unknown> {
    const patch: Record<string, unknown> = { ...(req.patch ?? {}) };
    if (req.releaseLease) {
      patch.lease_owner = null;
      patch.lease_token = null;
      patch.lease_expires_at = null;
    }
    if (req.to === 'complete' && patch.completed_at === undefined) patch.completed_at = this.clock();
    return patch;
  }

  /**
   * Set-based transition for batches: moves every listed book that is still at its expected
   * version and in one of `from` to `to`, in one statement (history rows by trigger), and
   * returns the moved rows. A book whose version or state moved is left alone for the caller to
   * report. Call inside a transaction.
   */
  transitionManyInTx(
    items: readonly { id: string; version: number }[],
    req: { from: readonly PipelineState[]; to: PipelineState; actor: Actor | string; note?: string | null; patch?: PipelinePatch; releaseLease?: boolean },
  ): Pick<PipelineRow, 'id' | 'state' | 'confidence'>[] {
    if (!isPipelineState(req.to)) throw new InputError(`unknown state '${req.to}'`);
    const froms = req.from.filter((f) => canTransition(f, req.to));
    if (items.length === 0 || froms.length === 0) return [];
    const patch = this.transitionPatch(req);
    const keys = Object.keys(patch).filter((k) => patch[k] !== undefined).sort();
    for (const k of keys) {
      if (!PATCHABLE_COLUMNS.has(k)) throw new Error(`column ${k} cannot be patched`);
    }
    const cacheKey = `many|${froms.join(',')}|${keys.join(',')}`;
    let stmt = this.patchCache.get(cacheKey);
    if (!stmt) {
      const sets = [
        'updated_at = @now', 'version = version + 1', 'state = @to', 'state_entered_at = @now',
        'last_actor = @actor', 'transition_note = @note', ...keys.map((k) => `${k} = @p_${k}`),
      ];
      // The listed (id, version) pairs drive the statement: one primary-key probe per book.
      stmt = this.db.prepare(`
        UPDATE pipelines SET ${sets.join(', ')}
        FROM (SELECT value ->> 0 AS pid, value ->> 1 AS ver FROM json_each(@pairs)) AS x
        WHERE pipelines.id = x.pid AND pipelines.version = x.ver
          AND +pipelines.state IN (${froms.map((f) => `'${f}'`).join(', ')})
        RETURNING pipelines.id, pipelines.state, pipelines.confidence`);
      this.patchCache.set(cacheKey, stmt);
    }
    const params: Record<string, unknown> = {
      pairs: JSON.stringify(items.map((i) => [i.id, i.version])),
      now: this.clock(),
      to: req.to,
      actor: req.actor,
      note: req.note ?? null,
    };
    for (const k of keys) params[`p_${k}`] = patch[k];
    return stmt.all(params) as Pick<PipelineRow, 'id' | 'state' | 'confidence'>[];
  }

  /**
   * Updates columns of one book without changing its state, guarded like a transition (state,
   * optional lease token). Returns undefined when the guard fails.
   */
  updateColumns(
    id: string,
    expectedState: PipelineState,
    patch: PipelinePatch,
    guard: { leaseToken?: string; actor: Actor | string },
  ): PipelineRow | undefined {
    return this.update(id, expectedState, expectedState, patch as Record<string, unknown>, {
      actor: guard.actor,
      note: null,
      leaseToken: guard.leaseToken,
    });
  }

  private update(
    id: string,
    from: PipelineState,
    to: PipelineState,
    patch: Record<string, unknown>,
    guard: { actor: string; note: string | null; leaseToken?: string | undefined; version?: number },
  ): PipelineRow | undefined {
    const keys = Object.keys(patch).filter((k) => patch[k] !== undefined).sort();
    for (const k of keys) {
      if (!PATCHABLE_COLUMNS.has(k)) throw new Error(`column ${k} cannot be patched`);
    }
    const stateChange = from !== to;
    const cacheKey = `${stateChange ? 's' : 'c'}|${guard.leaseToken !== undefined ? 'l' : ''}|${guard.version !== undefined ? 'v' : ''}|${keys.join(',')}`;
    let stmt = this.patchCache.get(cacheKey);
    if (!stmt) {
      const sets = [
        'updated_at = @now',
        'version = version + 1',
        ...(stateChange
          ? ['state = @to', 'state_entered_at = @now', 'last_actor = @actor', 'transition_note = @note']
          : []),
        ...keys.map((k) => `${k} = @p_${k}`),
      ];
      const where = [
        'id = @id',
        'state = @from',
        ...(guard.leaseToken !== undefined ? ['lease_token = @lease_token'] : []),
        ...(guard.version !== undefined ? ['version = @version'] : []),
      ];
      stmt = this.db
        .prepare(`UPDATE pipelines SET ${sets.join(', ')} WHERE ${where.join(' AND ')} RETURNING ${PIPELINE_COLUMNS}`)
        .raw(true);
      this.patchCache.set(cacheKey, stmt);
    }
    const params: Record<string, unknown> = { id, from, now: this.clock() };
    if (stateChange) {
      params.to = to;
      params.actor = guard.actor;
      params.note = guard.note;
    }
    if (guard.leaseToken !== undefined) params.lease_token = guard.leaseToken;
    if (guard.version !== undefined) params.version = guard.version;
    for (const k of keys) params[`p_${k}`] = patch[k];
    const raw = stmt.get(params) as unknown[] | undefined;
    return raw ? pipelineFromRaw(raw) : undefined;
  }

  /** Newest first, optionally one state; keyset-paged so deep pages stay O(log n). */
  list(options: ListOptions = {}): PipelineRow[] {
    const limit = Math.max(1, Math.min(options.limit ?? 50, 10_000));
    const where: string[] = [];
    const params: Record<string, unknown> = { limit };
    if (options.state) {
      where.push('state = @state');
      params.state = options.state;
    }
    if (options.before) {
      where.push('(created_at < @bc OR (created_at = @bc AND id < @bi))');
      params.bc = options.before.created_at;
      params.bi = options.before.id;
    }
    const sql = `SELECT ${PIPELINE_COLUMNS} FROM pipelines ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY ${options.state ? 'state_entered_at DESC, id DESC' : 'created_at DESC, id DESC'} LIMIT @limit`;
    return this.db.prepare(sql).all(params) as PipelineRow[];
  }

  /** Counts by state from the maintained aggregate (never scans pipelines). */
  countsByState(): Record<string, number> {
    const rows = this.db
      .prepare('SELECT state, SUM(n) AS n FROM pipeline_counts GROUP BY state')
      .all() as { state: string; n: number }[];
    const out: Record<string, number> = {};
    for (const r of rows) if (r.n > 0) out[r.state] = r.n;
    return out;
  }

  /** The live pipeline holding this content, if any (not duplicate/rejected/archived/failed). */
  findLiveByHash(hash: string): PipelineRow | undefined {
    return this.db
      .prepare(`SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE live_hash = ?`)
      .get(hash) as PipelineRow | undefined;
  }

  /** All pipelines with this content, newest first. */
  findByHash(hash: string): PipelineRow[] {
    return this.db
      .prepare(`SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE content_hash = ? ORDER BY created_at DESC, id DESC LIMIT 100`)
      .all(hash) as PipelineRow[];
  }
}
