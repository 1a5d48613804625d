/**
 * AuditLog: the append-only trail answering "who did what, when, and with which filter".
 * `append` must run inside the caller's transaction so an action and its audit rows commit
 * together. Rows are hash-chained so tampering with the file is evident (`verify`).
 */
import crypto from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import type { Clock } from '../domain/clock.js';
import { InputError } from '../domain/errors.js';
import { parseWhen } from '../domain/when.js';

/** Upper snake action names. Extend as new operations appear; keep one spelling per action. */
export const AUDIT_ACTIONS = [
  'QUEUED',
  'REQUEUED',
  'DUPLICATE_DETECTED',
  'APPROVED',
  'REJECTED',
  'ROLLED_BACK',
  'PRIORITY_CHANGED',
  'BATCH_QUEUED',
  'BATCH_APPROVED',
  'BATCH_REJECTED',
  'BATCH_RETRIED',
  'BATCH_PRIORITY_CHANGED',
  'STUCK_RECOVERED',
  'PRIORITY_AGED',
  'AUDIT_RETENTION',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number] | (string & {});

export interface AuditEntryInput {
  action: AuditAction;
  actor: string;
  pipeline_id?: string | null;
  batch_id?: number | null;
  reason?: string | null;
  before?: unknown;
  after?: unknown;
  filter?: unknown;
  ids?: readonly string[] | null;
  count?: number | null;
  confidence?: number | null;
  details?: unknown;
}

export interface AuditRow {
  id: number;
  at: number;
  action: string;
  actor: string;
  pipeline_id: string | null;
  batch_id: number | null;
  reason: string | null;
  before_value: string | null;
  after_value: string | null;
  filter_json: string | null;
  ids_json: string | null;
  count: number | null;
  confidence: number | null;
  details_json: string | null;
  prev_hash: string | null;
  hash: string;
  /** The previous audit row of the same pipeline (its trail; not part of the hash). */
  pipeline_prev_id?: number | null;
}

export interface AuditQuery {
  pipelineId?: string;
  actor?: string;
  action?: string;
  /** Milliseconds since epoch: entries at or after. */
  since?: number;
  /** Keyset: entries with id < beforeId (for scrolling further back). */
  beforeId?: number;
  limit?: number;
}

const enc = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));
const dec = (v: string | null): unknown => {
  if (v === null) return null;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
};

/** The chain hash of one row: sha256(prev_hash || canonical row). Exported for bulk generators. */
export function auditRowHash(prev: string | null, r: Omit<AuditRow, 'id' | 'hash' | 'prev_hash'>): string {
  const canonical = JSON.stringify([
    r.at, r.action, r.actor, r.pipeline_id, r.batch_id, r.reason, r.before_value, r.after_value,
    r.filter_json, r.ids_json, r.count, r.confidence, r.details_json,
  ]);
  return crypto.createHash('sha256').update(`${prev ?? ''}\n${canonical}`).digest('hex');
}

/**
 * The ids of the audit rows of the pipelines matching `seed` (a WHERE over pipelines), newest
 * first: a walk from each pipeline's newest row along pipeline_prev_id, stepping over rows that
 * retention deleted (audit_deletions). Each step is a rowid probe, so a book's trail costs its
 * length, not the table's size. Use as `id IN (…)`.
 */
export function auditChainSql(seed: string): string {
  return `WITH RECURSIVE chain(aid, depth) AS (
      SELECT last_audit_id, 0 FROM pipelines WHERE ${seed}
      UNION ALL
      SELECT COALESCE(a.pipeline_prev_id, CASE WHEN a.id IS NULL THEN g.prev_id END), c.depth + 1
      FROM chain c LEFT JOIN audit a ON a.id = c.aid LEFT JOIN audit_deletions g ON g.id = c.aid
      WHERE c.aid IS NOT NULL AND c.depth < 100000000)
    SELECT aid FROM chain WHERE aid IS NOT NULL`;
}

/**
 * WHERE terms for the audit filters every reader offers (CLI, console): actor (exact or glob),
 * action, and a book — a full id, or a shorter prefix matching every book that starts with it.
 * With a book, its trail (a short walk from the pipeline row) drives the query, and '+' keeps
 * the planner from scanning the actor/action indexes instead. Adds its parameters to `params`.
 */
export function auditFilterTerms(
  f: { actor?: string | undefined; action?: string | undefined; pipelineId?: string | undefined; pipelineIdDense?: boolean | undefined },
  params: Record<string, unknown>,
): string[] {
  const where: string[] = [];
  const walk = Boolean(f.pipelineId) && !f.pipelineIdDense;
  const plus = walk ? '+' : '';
  if (f.pipelineId) {
    if (f.pipelineId.length >= 32) {
      where.push(`id IN (${auditChainSql('id = @pipeline_id')})`);
      params.pipeline_id = f.pipelineId;
    } else {
      params.pipeline_id = f.pipelineId;
      params.pipeline_id_end = f.pipelineId + 'g'; // 'g' sorts after every hex digit
      where.push(
        f.pipelineIdDense
          ? // Thousands of books share the prefix: reading the log newest first and keeping their
            // rows fills a window long before walking every one of their trails would.
            'pipeline_id >= @pipeline_id AND pipeline_id < @pipeline_id_end'
          : `id IN (${auditChainSql('id >= @pipeline_id AND id < @pipeline_id_end')})`,
      );
    }
  }
  if (f.actor) {
    where.push(f.actor.includes('*') ? `${plus}actor GLOB @actor` : `${plus}actor = @actor`);
    params.actor = f.actor;
  }
  if (f.action) {
    where.push(`${plus}action = @action`);
    params.action = f.action.toUpperCase();
  }
  return where;
}

/**
 * A book prefix shared by more books than this is read by scanning the log, not their trails:
 * walking 5,000 trails takes ~50 ms on the 1M-book file, and past that a scan finds a window of
 * their rows sooner (the rows are at least 1 in 256 of the log at that density).
 */
export const DENSE_BOOK_PREFIX = 5000;

/** Whether more than DENSE_BOOK_PREFIX books start with `prefix` (a primary-key range, bounded). */
export function isDenseBookPrefix(db: Db, prefix: string): boolean {
  const n = db
    .prepare('SELECT COUNT(*) FROM (SELECT 1 FROM pipelines WHERE id >= ? AND id < ? LIMIT ?)')
    .pluck()
    .get(prefix, prefix + 'g', DENSE_BOOK_PREFIX + 1) as number;
  return n > DENSE_BOOK_PREFIX;
}

export class AuditLog {
  private readonly insertStmt: Statement;
  private readonly lastHash: Statement<[], { hash: string }>;

  constructor(
    readonly db: Db,
    readonly clock: Clock,
  ) {
    this.insertStmt = db.prepare(`
      INSERT INTO audit (at, action, actor, pipeline_id, batch_id, reason, before_value, after_value,
        filter_json, ids_json, count, confidence, details_json, prev_hash, hash, pipeline_prev_id)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
        (SELECT last_audit_id FROM pipelines WHERE id = ?))`);
    this.lastHash = db.prepare('SELECT hash FROM audit ORDER BY id DESC LIMIT 1');
  }

  /** Appends one row; returns its id. Call inside the transaction of the action it records. */
  append(entry: AuditEntryInput): number {
    return this.appendMany([entry])[0]!;
  }

  /**
   * Appends rows in order (one chain read for all of them, which is what makes a batch's
   * thousands of per-book rows cheap); returns their ids. Call inside the action's transaction.
   */
  appendMany(entries: readonly AuditEntryInput[]): number[] {
    if (!this.db.inTransaction) {
      throw new Error('AuditLog.append must run inside the transaction of the action it records');
    }
    const at = this.clock();
    let prev = this.lastHash.get()?.hash ?? null;
    const ids: number[] = [];
    for (const entry of entries) {
      const row = this.toRow(entry, at);
      const hash = auditRowHash(prev, row);
      // Positional binding: a batch appends thousands of rows, and named binding of a fresh
      // object per row was a visible share of that.
      const info = this.insertStmt.run(
        row.at, row.action, row.actor, row.pipeline_id, row.batch_id, row.reason, row.before_value, row.after_value,
        row.filter_json, row.ids_json, row.count, row.confidence, row.details_json, prev, hash, row.pipeline_id,
      );
      ids.push(Number(info.lastInsertRowid));
      prev = hash;
    }
    return ids;
  }

  private toRow(entry: AuditEntryInput, at: number) {
    return {
      at,
      action: entry.action,
      actor: entry.actor,
      pipeline_id: entry.pipeline_id ?? null,
      batch_id: entry.batch_id ?? null,
      reason: entry.reason ?? null,
      before_value: enc(entry.before),
      after_value: enc(entry.after),
      filter_json: enc(entry.filter),
      ids_json: entry.ids ? JSON.stringify(entry.ids) : null,
      count: entry.count ?? (entry.ids ? entry.ids.length : null),
      confidence: entry.confidence ?? null,
      details_json: enc(entry.details),
    };
  }

  get(id: number): AuditRow | undefined {
    return this.db.prepare('SELECT * FROM audit WHERE id = ?').get(id) as AuditRow | undefined;
  }

  /**
   * Newest first. Each filter has an index leading with it and ending in id, so the first page
   * is a short index walk at any table size. `since` is turned into an id bound (ids grow with
   * time) so it never forces a scan.
   */
  query(q: AuditQuery = {}): AuditRow[] {
    const limit = Math.max(1, Math.min(q.limit ?? 50, 100_000));
    const params: Record<string, unknown> = { limit };
    const where = auditFilterTerms(q, params);
    if (q.since !== undefined) {
      where.push('id >= (SELECT COALESCE(MIN(id), 9223372036854775807) FROM audit WHERE at >= @since)');
      where.push('at >= @since');
      params.since = q.since;
    }
    if (q.beforeId !== undefined) {
      where.push('id < @before_id');
      params.before_id = q.beforeId;
    }
    const sql = `SELECT * FROM audit ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT @limit`;
    return this.db.prepare(sql).all(params) as AuditRow[];
  }

  /** Per-book rows written under one batch row. */
  batchMembers(batchId: number, limit = 1000): AuditRow[] {
    return this.db
      .prepare('SELECT * FROM audit WHERE batch_id = ? ORDER BY id LIMIT ?')
      .all(batchId, limit) as AuditRow[];
  }

  /**
   * Walks the hash chain in id order, in pages of short reads (a multi-second read transaction
   * would hold back WAL checkpoints for the writers). A row whose hash does not match its content
   * was edited. A row whose prev_hash is not the previous row's hash follows deleted rows: the gap
   * is bridged when the deletions recorded between the two (audit_deletions, by trigger) chain
   * prev_hash → hash from one to the other and all went through retention's gate; otherwise it is
   * reported, as unverifiable when it predates the recording (schema 5).
   */
  verify(options: { pageSize?: number } = {}): AuditVerifyReport {
    const report: AuditVerifyReport = {
      checked: 0, modified: [], gaps: [], retention_gaps: 0, bridged_rows: 0, unverifiable_gaps: [], tail_removed: null,
    };
    const page = this.db.prepare('SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT ?');
    const deletedBetween = this.db.prepare(
      'SELECT id, prev_hash, hash, by_retention FROM audit_deletions WHERE id > ? AND id < ? ORDER BY id',
    );
    const recordedFrom =
      (this.db.prepare('SELECT recorded_from FROM audit_deletions_meta WHERE id = 1').pluck().get() as number | undefined) ?? 0;
    const size = options.pageSize ?? 10_000;
    let prev: { id: number; hash: string } | undefined;
    for (;;) {
      const rows = page.all(prev?.id ?? 0, size) as AuditRow[];
      for (const r of rows) {
        report.checked++;
        if (auditRowHash(r.prev_hash, r) !== r.hash) report.modified.push(r.id);
        const expected = prev?.hash ?? null;
        if (r.prev_hash !== expected) {
          const dels = deletedBetween.all(prev?.id ?? 0, r.id) as { prev_hash: string | null; hash: string; by_retention: number }[];
          let link = expected;
          let bridged = dels.length > 0;
          for (const d of dels) {
            if (d.by_retention !== 1 || d.prev_hash !== link) {
              bridged = false;
              break;
            }
            link = d.hash;
          }
          if (bridged && link === r.prev_hash) {
            report.retention_gaps++;
            report.bridged_rows += dels.length;
          } else if (r.id <= recordedFrom) {
            // The row existed when deletions started being recorded: what is missing before it
            // may have been deleted (by retention) before then.
            report.unverifiable_gaps.push(r.id);
          } else {
            report.gaps.push(r.id);
          }
        }
        prev = { id: r.id, hash: r.hash };
      }
      if (rows.length < size) break;
    }
    // No later row's prev_hash covers the newest entries; the id high-water mark does. Entries
    // removed from the end leave ids between the last row and it, which only retention's
    // recorded deletions may explain.
    const highWater = (this.db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'audit'`).pluck().get() as number | undefined) ?? 0;
    const last = prev?.id ?? 0;
    if (highWater > last) {
      const dels = deletedBetween.all(last, highWater + 1) as { id: number; prev_hash: string | null; hash: string; by_retention: number }[];
      let link = prev?.hash ?? null;
      let bridged = dels.length === highWater - last;
      for (const d of dels) {
        if (!bridged || d.by_retention !== 1 || d.prev_hash !== link) {
          bridged = false;
          break;
        }
        link = d.hash;
      }
      // Ids given out before deletions were recorded may have gone unrecorded (by retention):
      // only those after must each be a recorded retention deletion.
      const recordedAbove = Math.max(last, recordedFrom);
      const explained = dels.filter((d) => d.id > recordedAbove && d.by_retention === 1).length;
      if (bridged) {
        report.retention_gaps++;
        report.bridged_rows += dels.length;
      } else if (last < recordedFrom && explained === highWater - recordedAbove) {
        report.unverifiable_gaps.push(last + 1);
      } else {
        report.tail_removed = { from: last + 1, to: highWater };
      }
    }
    return report;
  }
}

export interface AuditVerifyReport {
  checked: number;
  /** Rows whose content no longer matches their hash. */
  modified: number[];
  /** Rows after a gap that recorded retention deletions do not explain. */
  gaps: number[];
  /** Gaps bridged by rows retention deleted, and how many deleted rows bridge them. */
  retention_gaps: number;
  bridged_rows: number;
  /** Gaps from before deletions were recorded (databases upgraded from schema 4). */
  unverifiable_gaps: number[];
  /**
   * The newest entries, missing: ids the log once gave out (AUTOINCREMENT's high-water mark in
   * sqlite_sequence) after the last entry left, not deleted by retention. Null when none.
   */
  tail_removed: { from: number; to: number } | null;
}

/** The stable JSON document for one audit entry (what `--json` prints). */
export function auditToJson(r: AuditRow): Record<string, unknown> {
  return {
    id: r.id,
    at: r.at,
    action: r.action,
    actor: r.actor,
    pipeline_id: r.pipeline_id,
    batch_id: r.batch_id,
    reason: r.reason,
    before: dec(r.before_value),
    after: dec(r.after_value),
    filter: dec(r.filter_json),
    ids: dec(r.ids_json),
    count: r.count,
    confidence: r.confidence,
    details: dec(r.details_json),
  };
}

/** Parses "7d", "12h", "30m", "45s", "2w" or an ISO date into a since-timestamp. */
export function parseSince(value: string, now: number): number {
  return parseWhen(value, now, '--since'); // the one strict date/age reader (src/domain/when.ts)
}
