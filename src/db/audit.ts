/**
 * AuditLog: the append-only trail answering "who did what, when, and with which filter".
 * `append` must run inside the caller's transaction so an action and its audit rows commit
 * together. Rows are hash-chained so tampering with the file is evident (`verify`).
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import type { Clock } from '../domain/clock.js';
import { InputError } from '../domain/errors.js';
import { auditKeyFromEnv, AUDIT_KEY_ENV } from './audit-key.js';
export { auditRowHash, auditRowHashV, globRegExp, HASH_FULL, HASH_KEYED, prunedDigestLine } from './audit-hash.js';
export type { AuditAnchor, AuditProblem, AuditVerifyReport } from './audit-hash.js';
import type { AuditVerifyReport } from './audit-hash.js';
import { auditRowHashV, HASH_FULL, HASH_KEYED } from './audit-hash.js';
import type { ChainDeletion, ChainReads, PruneEntryRow, VerifyOptions } from './audit-walk.js';
import { verifyChainSync } from './audit-walk.js';

export { AUDIT_ACTIONS, auditToJson, parseSince } from './audit-entry.js';
export type { AuditAction, AuditEntryInput, AuditRow, AuditQuery } from './audit-entry.js';
import { auditEntryRow } from './audit-entry.js';
import type { AuditEntryInput, AuditRow, AuditQuery } from './audit-entry.js';

/** The audit chain's newest entry: what an anchor records. */
export interface AuditChainHead {
  /** 0 and null for an empty log. */
  id: number;
  hash: string | null;
  count: number;
  hash_version: number | null;
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
  private readonly lastRow: Statement<[], { id: number; hash: string; hash_version: number | null }>;
  private readonly nextIdStmt: Statement<[], number>;
  private readonly deletedHash: Statement<[number], string>;
  private readonly trailEnd: Statement<[string], number | null>;
  private readonly trailEnds: Statement<[string], { id: string; last_audit_id: number | null }>;

  /**
   * `key`: the audit key (default: from the environment, see audit-key.ts). With a key, new
   * entries are keyed (hash version 3) and verify checks keyed entries' HMACs.
   */
  constructor(
    readonly db: Db,
    readonly clock: Clock,
    private readonly key: Buffer | null = auditKeyFromEnv(),
  ) {
    this.insertStmt = db.prepare(`
      INSERT INTO audit (at, action, actor, pipeline_id, batch_id, reason, before_value, after_value,
        filter_json, ids_json, count, confidence, details_json, prev_hash, hash, pipeline_prev_id, hash_version)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.lastRow = db.prepare('SELECT id, hash, hash_version FROM audit ORDER BY id DESC LIMIT 1');
    // AUTOINCREMENT's next id: past every id ever given out, deleted ones included.
    this.nextIdStmt = db
      .prepare(`SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'audit'), 0),
                          COALESCE((SELECT MAX(id) FROM audit), 0)) + 1`)
      .pluck() as Statement<[], number>;
    this.deletedHash = db.prepare('SELECT hash FROM audit_deletions WHERE id = ?').pluck() as Statement<[number], string>;
    this.trailEnd = db.prepare('SELECT last_audit_id FROM pipelines WHERE id = ?').pluck() as Statement<[string], number | null>;
    this.trailEnds = db.prepare(
      'SELECT p.id, p.last_audit_id FROM json_each(?) j JOIN pipelines p ON p.id = j.value',
    ) as Statement<[string], { id: string; last_audit_id: number | null }>;
  }

  /** Whether new entries are keyed (an audit key is configured). */
  get keyed(): boolean {
    return this.key !== null;
  }

  /** Appends one row; returns its id. Call inside the transaction of the action it records. */
  append(entry: AuditEntryInput): number {
    return this.appendMany([entry])[0]!;
  }

  /** The id the next appended entry gets (inside a write transaction, nobody else can take it). */
  nextId(): number {
    return this.nextIdStmt.get()!;
  }

  /**
   * Appends rows in order (one chain read for all of them, which is what makes a batch's
   * thousands of per-book rows cheap); returns their ids. Call inside the action's transaction.
   * Each row links to the last id given out, even when retention removed that row, so the chain
   * runs through the removed rows and verify checks them against their AUDIT_PRUNED entry.
   */
  appendMany(entries: readonly AuditEntryInput[]): number[] {
    if (!this.db.inTransaction) {
      throw new Error('AuditLog.append must run inside the transaction of the action it records');
    }
    const at = this.clock();
    const last = this.lastRow.get();
    let id = this.nextId();
    if (last?.hash_version === HASH_KEYED && !this.key) {
      // An unkeyed row after keyed ones is what a forger without the key would write.
      throw new InputError(`the audit trail is keyed: set ${AUDIT_KEY_ENV} (or ${AUDIT_KEY_ENV}_FILE) to write to it`);
    }
    let prev: string | null = last !== undefined && last.id === id - 1 ? last.hash : (this.deletedHash.get(id - 1) ?? last?.hash ?? null);
    const version = this.key ? HASH_KEYED : HASH_FULL;
    // Each book's newest row, which its new row links to (and hashes): one read for a batch's
    // thousands of books, not a round trip per row.
    const trail = new Map<string, number | null>();
    if (entries.length > 1) {
      const books = [...new Set(entries.map((e) => e.pipeline_id).filter((x): x is string => typeof x === 'string'))];
      if (books.length > 1) for (const r of this.trailEnds.all(JSON.stringify(books))) trail.set(r.id, r.last_audit_id);
    }
    const ids: number[] = [];
    for (const entry of entries) {
      const row = this.toRow(entry, at);
      let pipelinePrev: number | null = null;
      if (row.pipeline_id !== null) {
        pipelinePrev = trail.has(row.pipeline_id) ? (trail.get(row.pipeline_id) ?? null) : (this.trailEnd.get(row.pipeline_id) ?? null);
        trail.set(row.pipeline_id, id);
      }
      const hash = auditRowHashV(prev, row, id, pipelinePrev, version, this.key);
      // Positional binding: a batch appends thousands of rows, and named binding of a fresh
      // object per row was a visible share of that.
      // The id is left to AUTOINCREMENT, which gives out exactly `id` (past every id ever given
      // out); binding it would make the no-reuse trigger probe the table for every row.
      const info = this.insertStmt.run(
        row.at, row.action, row.actor, row.pipeline_id, row.batch_id, row.reason, row.before_value, row.after_value,
        row.filter_json, row.ids_json, row.count, row.confidence, row.details_json, prev, hash, pipelinePrev, version,
      );
      if (info.lastInsertRowid !== id && Number(info.lastInsertRowid) !== id) {
        throw new Error(`audit entry hashed as #${id} was stored as #${String(info.lastInsertRowid)}`);
      }
      ids.push(id);
      id++;
      prev = hash;
    }
    return ids;
  }

  private toRow(entry: AuditEntryInput, at: number) {
    return auditEntryRow(entry, at);
  }

  /** The newest entry and how many there are (COUNT(*): an anchor is written on a schedule, not polled). */
  head(): AuditChainHead {
    const last = this.lastRow.get();
    const count = this.db.prepare('SELECT COUNT(*) FROM audit').pluck().get() as number;
    return { id: last?.id ?? 0, hash: last?.hash ?? null, count, hash_version: last?.hash_version ?? null };
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

  /** Per-book rows written under one batch row (not its BATCH_CHUNK rows). */
  batchMembers(batchId: number, limit = 1000): AuditRow[] {
    return this.db
      .prepare('SELECT * FROM audit WHERE batch_id = ? AND pipeline_id IS NOT NULL ORDER BY id LIMIT ?')
      .all(batchId, limit) as AuditRow[];
  }

  /**
   * How many books a batch applied, from its trail: the header's count (its first chunk) plus
   * each later chunk's BATCH_CHUNK row. A batch killed mid-way shows what it did, no more.
   */
  batchApplied(batchId: number): number {
    return this.db
      .prepare(
        `SELECT COALESCE((SELECT count FROM audit WHERE id = @id), 0)
              + COALESCE((SELECT SUM(count) FROM audit WHERE batch_id = @id AND action = 'BATCH_CHUNK'), 0)`,
      )
      .pluck()
      .get({ id: batchId }) as number;
  }

  /**
   * Walks the hash chain in id order, in pages of short reads (a multi-second read transaction
   * would hold back WAL checkpoints for the writers). A row whose hash does not match its content
   * was edited. A row whose prev_hash is not the previous row's hash follows removed rows: the
   * gap is accepted only when their deletion records chain prev_hash → hash from one row to the
   * other and each removed row belongs to an AUDIT_PRUNED entry (in the chain) whose policy it
   * was eligible under, and whose count and digest match all the rows that name it. Gaps from
   * before schema 6 are reported as unverifiable. Anchors (heads recorded outside the file) must
   * each still be in the log with the same hash, and the log must have only grown since.
   */
  verify(options: VerifyOptions = {}): AuditVerifyReport {
    return verifyChainSync(this.chainReads(), this.key, options);
  }

  /** What the verifier (audit-walk.ts) reads, from this file. */
  private chainReads(): ChainReads {
    const db = this.db;
    const page = db.prepare('SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT ?');
    const between = db.prepare(
      'SELECT id, prev_hash, hash, by_retention, action, at, pruned_by FROM audit_deletions WHERE id > ? AND id < ? ORDER BY id',
    );
    const named = db.prepare(
      'SELECT id, prev_hash, hash, by_retention, action, at, pruned_by FROM audit_deletions WHERE pruned_by = ? AND id > ? ORDER BY id LIMIT ?',
    );
    return {
      page: (after, limit) => page.all(after, limit) as AuditRow[],
      deletedBetween: (lo, hi) => between.all(lo, hi) as ChainDeletion[],
      namedBy: (pruneId, after, limit) => named.all(pruneId, after, limit) as ChainDeletion[],
      prunes: () =>
        db.prepare(`SELECT id, at, count, details_json FROM audit INDEXED BY audit_action WHERE action = 'AUDIT_PRUNED' ORDER BY id`).all() as PruneEntryRow[],
      marks: () => ({
        recordedFrom: (db.prepare('SELECT recorded_from FROM audit_deletions_meta WHERE id = 1').pluck().get() as number | undefined) ?? 0,
        legacyUpto: (db.prepare('SELECT legacy_deletions_upto FROM audit_meta WHERE id = 1').pluck().get() as number | undefined) ?? 0,
      }),
      // AUTOINCREMENT's high-water mark: ids once given out, even if their rows are gone.
      highWater: () => (db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'audit'`).pluck().get() as number | undefined) ?? 0,
      furthestTrail: () => (db.prepare('SELECT MAX(last_audit_id) FROM pipelines').pluck().get() as number | null) ?? 0,
      hasBooks: () => db.prepare('SELECT 1 FROM pipelines LIMIT 1').get() !== undefined,
      hashOf: (id) => db.prepare('SELECT hash FROM audit WHERE id = ?').pluck().get(id) as string | undefined,
      deletionOf: (id) => db.prepare('SELECT hash, pruned_by FROM audit_deletions WHERE id = ?').get(id) as { hash: string; pruned_by: number | null } | undefined,
    };
  }
}


