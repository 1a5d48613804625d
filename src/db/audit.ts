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
import { auditKeyFromEnv, AUDIT_KEY_ENV } from './audit-key.js';

export { AUDIT_ACTIONS, auditToJson, parseSince } from './audit-entry.js';
export type { AuditAction, AuditEntryInput, AuditRow, AuditQuery } from './audit-entry.js';
import { decodeJson as dec, auditEntryRow } from './audit-entry.js';
import type { Deletion, PruneCheck } from './audit-prunes.js';
import { accountDeletion, bridgeGap, invalidPruneWhy, prunedAfter, pruneCheckOf } from './audit-prunes.js';
import type { AuditEntryInput, AuditRow, AuditQuery } from './audit-entry.js';

/**
 * The schema-5 chain hash of one row: sha256(prev_hash || canonical row), without the id and the
 * trail pointer. Rows written before migration 6 (hash_version NULL) verify with it; exported for
 * bulk generators, whose rows verify with it too.
 */
export function auditRowHash(prev: string | null, r: Omit<AuditRow, 'id' | 'hash' | 'prev_hash'>): string {
  const canonical = JSON.stringify([
    r.at, r.action, r.actor, r.pipeline_id, r.batch_id, r.reason, r.before_value, r.after_value,
    r.filter_json, r.ids_json, r.count, r.confidence, r.details_json,
  ]);
  return crypto.createHash('sha256').update(`${prev ?? ''}\n${canonical}`).digest('hex');
}

/** Every column a reader relies on, hashed (SHA-256). */
export const HASH_FULL = 2;
/** The same, as HMAC-SHA256 with the audit key: rewriting the chain needs the key. */
export const HASH_KEYED = 3;

/**
 * The chain hash of a row under hash version 2 or 3: the id and the trail pointer are in it, so
 * renumbering a row or re-pointing a book's trail (pipeline_prev_id) shows as an edit, and the
 * version itself is, so a row cannot be relabelled to an older formula without a new hash.
 */
export function auditRowHashV(
  prev: string | null,
  r: Omit<AuditRow, 'id' | 'hash' | 'prev_hash' | 'pipeline_prev_id' | 'hash_version'>,
  id: number,
  pipelinePrevId: number | null,
  version: number,
  key: Buffer | null,
): string {
  // id, trail pointer and version as arguments: spreading them into a copy of the row cost more
  // than the hash itself (measured ~5 µs a row).
  const canonical = JSON.stringify([
    version, id, r.at, r.action, r.actor, r.pipeline_id, r.batch_id, r.reason, r.before_value, r.after_value,
    r.filter_json, r.ids_json, r.count, r.confidence, r.details_json, pipelinePrevId,
  ]);
  const h = version === HASH_KEYED ? crypto.createHmac('sha256', key!) : crypto.createHash('sha256');
  return h.update(`${prev ?? ''}\n${canonical}`).digest('hex');
}

/** The line of one removed entry in AUDIT_PRUNED's digest (sha256 over these, in id order). */
export function prunedDigestLine(d: { id: number; hash: string; action: string | null; at: number | null }): string {
  return `${d.id}\t${d.hash}\t${d.action ?? ''}\t${d.at ?? ''}\n`;
}

export { globRegExp } from './audit-prunes.js';

/** The audit chain's newest entry: what an anchor records. */
export interface AuditChainHead {
  /** 0 and null for an empty log. */
  id: number;
  hash: string | null;
  count: number;
  hash_version: number | null;
}

/** An anchored chain head, as read back from an anchor file. */
export interface AuditAnchor {
  id: number;
  hash: string | null;
  count: number;
  /** When it was anchored, ms since epoch. */
  at: number;
  /** Where it came from (line number in the anchor file), for messages. */
  line?: number;
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
  verify(options: { pageSize?: number; anchors?: readonly AuditAnchor[] } = {}): AuditVerifyReport {
    const report: AuditVerifyReport = {
      intact: true, problems: [],
      checked: 0, modified: [], gaps: [], retention_gaps: 0, bridged_rows: 0, unverifiable_gaps: [], tail_removed: null,
      keyed: 0, unchecked_keyed: 0, key_used: this.key !== null, unkeyed_after_keyed: [], prunes: 0, invalid_prunes: [],
      anchors_checked: 0,
    };
    const page = this.db.prepare('SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT ?');
    const deletedBetween = this.db.prepare(
      'SELECT id, prev_hash, hash, by_retention, action, at, pruned_by FROM audit_deletions WHERE id > ? AND id < ? ORDER BY id',
    );
    const recordedFrom =
      (this.db.prepare('SELECT recorded_from FROM audit_deletions_meta WHERE id = 1').pluck().get() as number | undefined) ?? 0;
    const legacyUpto =
      (this.db.prepare('SELECT legacy_deletions_upto FROM audit_meta WHERE id = 1').pluck().get() as number | undefined) ?? 0;
    const prunes = this.loadPrunes();
    report.prunes = prunes.size;

    // A removed row is accounted for by its AUDIT_PRUNED entry, or (from before schema 6) by the
    // gate it went through; anything else is tampering (audit-prunes.ts, shared by the engines).
    const account = (d: Deletion) => accountDeletion(prunes, legacyUpto, d);
    const bridge = (from: string | null, to: string | null, dels: Deletion[]) => bridgeGap(from, to, dels, account);

    const size = options.pageSize ?? 10_000;
    let prev: { id: number; hash: string } | undefined;
    let sawKeyed = false;
    for (;;) {
      const rows = page.all(prev?.id ?? 0, size) as AuditRow[];
      for (const r of rows) {
        report.checked++;
        const version = r.hash_version ?? 1;
        if (version === HASH_KEYED) {
          report.keyed++;
          sawKeyed = true;
          if (this.key === null) report.unchecked_keyed++;
          else if (auditRowHashV(r.prev_hash, r, r.id, r.pipeline_prev_id ?? null, version, this.key) !== r.hash) report.modified.push(r.id);
        } else {
          if (sawKeyed) report.unkeyed_after_keyed.push(r.id);
          const ok = version === 1 ? auditRowHash(r.prev_hash, r) === r.hash
            : version === HASH_FULL ? auditRowHashV(r.prev_hash, r, r.id, r.pipeline_prev_id ?? null, version, null) === r.hash : false;
          if (!ok) report.modified.push(r.id);
        }
        const expected = prev?.hash ?? null;
        if (r.prev_hash !== expected) {
          const dels = deletedBetween.all(prev?.id ?? 0, r.id) as Deletion[];
          const b = bridge(expected, r.prev_hash, dels);
          if (b.linked && b.verdict === 'pruned') {
            report.retention_gaps++;
            report.bridged_rows += dels.length;
          } else if ((b.linked && b.verdict === 'legacy') || (!b.linked && r.id <= recordedFrom)) {
            // Removed before schema 6 recorded what retention removed (or before schema 5
            // recorded deletions at all): cannot be checked either way.
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
    // removed from the end leave ids between the last row and it, which only recorded, accounted
    // deletions may explain (retention always appends its entry after what it removed).
    const highWater = (this.db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'audit'`).pluck().get() as number | undefined) ?? 0;
    const last = prev?.id ?? 0;
    if (highWater > last) {
      const dels = deletedBetween.all(last, highWater + 1) as Deletion[];
      const b = bridge(prev?.hash ?? null, dels.at(-1)?.hash ?? null, dels);
      const complete = b.linked && dels.length === highWater - last;
      if (complete && b.verdict === 'pruned') {
        report.retention_gaps++;
        report.bridged_rows += dels.length;
      } else if ((complete && b.verdict === 'legacy') || last < recordedFrom) {
        report.unverifiable_gaps.push(last + 1);
      } else {
        report.tail_removed = { from: last + 1, to: highWater };
      }
    }
    // The digest over every record naming the entry (one index range each: the entries' removed
    // rows in all, read once more), so a record added or altered anywhere shows.
    const named = this.db.prepare('SELECT id, hash, action, at FROM audit_deletions WHERE pruned_by = ? ORDER BY id');
    for (const p of prunes.values()) {
      const hasher = crypto.createHash('sha256');
      for (const d of named.iterate(p.id) as Iterable<Deletion>) hasher.update(prunedDigestLine(d));
      const why = invalidPruneWhy(p, hasher.digest('hex'));
      if (why) report.invalid_prunes.push({ id: p.id, why });
    }
    this.checkReset(report, highWater);
    if (options.anchors) this.checkAnchors(report, options.anchors, prunes);
    this.explain(report);
    return report;
  }

  /** Every AUDIT_PRUNED entry (a few per day at most), with the policy it names, parsed once. */
  private loadPrunes(): Map<number, PruneCheck> {
    const rows = this.db
      .prepare(`SELECT id, at, count, details_json FROM audit INDEXED BY audit_action WHERE action = 'AUDIT_PRUNED' ORDER BY id`)
      .all() as { id: number; at: number; count: number | null; details_json: string | null }[];
    return new Map(rows.map((r) => [r.id, pruneCheckOf(r)]));
  }

  /** An emptied or recreated log reads like a new one; the books' trail pointers say otherwise. */
  private checkReset(report: AuditVerifyReport, highWater: number): void {
    const furthest = (this.db.prepare('SELECT MAX(last_audit_id) FROM pipelines').pluck().get() as number | null) ?? 0;
    if (furthest > highWater) {
      report.problems.push({
        kind: 'log_recreated',
        message: `books point at audit entries up to #${furthest}, but the log has only ever given out ids up to #${highWater}: it was emptied or recreated`,
      });
    } else if (report.checked === 0 && this.db.prepare('SELECT 1 FROM pipelines LIMIT 1').get() !== undefined) {
      report.problems.push({ kind: 'log_empty', message: 'the log is empty but the database holds books: it was emptied or recreated' });
    }
  }

  /** Each anchored head still in the log (or removed by a valid prune) with its hash; no shrinking. */
  private checkAnchors(report: AuditVerifyReport, anchors: readonly AuditAnchor[], prunes: Map<number, PruneCheck>): void {
    const invalid = new Set(report.invalid_prunes.map((p) => p.id));
    const present = this.db.prepare('SELECT hash FROM audit WHERE id = ?').pluck();
    const removed = this.db.prepare('SELECT hash, pruned_by FROM audit_deletions WHERE id = ?');
    // What valid retention entries after each id removed.
    const prunedSince = prunedAfter(prunes, invalid);
    for (const a of anchors) {
      report.anchors_checked++;
      const where = `anchored ${new Date(a.at).toISOString()}${a.line ? ` (anchor line ${a.line})` : ''}`;
      if (a.id > 0) {
        const hash = present.get(a.id) as string | undefined;
        if (hash === undefined) {
          const d = removed.get(a.id) as { hash: string; pruned_by: number | null } | undefined;
          const pruned = d !== undefined && d.hash === a.hash && d.pruned_by !== null && prunes.has(d.pruned_by) && !invalid.has(d.pruned_by);
          if (!pruned) {
            report.problems.push({ kind: 'anchor_missing', message: `entry #${a.id}, ${where}, is missing: the log was truncated, emptied or recreated`, anchor: a.id });
            continue;
          }
        } else if (hash !== a.hash) {
          report.problems.push({ kind: 'anchor_rewritten', message: `entry #${a.id} no longer has the hash ${where}: the chain was rewritten`, anchor: a.id });
          continue;
        }
      }
      const since = prunedSince(a.id);
      if (report.checked + since < a.count) {
        report.problems.push({
          kind: 'anchor_shrunk',
          message: `the log holds ${report.checked} entries, ${a.count} were ${where} and retention has removed ${since} since: entries were removed`,
          anchor: a.id,
        });
      }
    }
  }

  /** One sentence per kind of finding, and the verdict. */
  private explain(r: AuditVerifyReport): void {
    const ids = (xs: number[]) => xs.slice(0, 10).join(', ') + (xs.length > 10 ? ` … (${xs.length} in all)` : '');
    const early: AuditProblem[] = [];
    if (r.modified.length > 0) early.push({ kind: 'edited', message: `${r.modified.length} entr${r.modified.length === 1 ? 'y no longer matches its' : 'ies no longer match their'} hash: ${ids(r.modified)}` });
    if (r.gaps.length > 0) early.push({ kind: 'removed', message: `entries are missing outside retention, before entries ${ids(r.gaps)}` });
    if (r.tail_removed) {
      const { from, to } = r.tail_removed;
      early.push({ kind: 'tail_removed', message: `${from === to ? `the newest entry (${to}) is` : `the newest entries (${from}–${to}) are`} missing outside retention` });
    }
    for (const p of r.invalid_prunes) early.push({ kind: 'invalid_prune', message: `retention entry #${p.id} ${p.why}` });
    if (r.unkeyed_after_keyed.length > 0) early.push({ kind: 'unkeyed_after_keyed', message: `${r.unkeyed_after_keyed.length} unkeyed entr${r.unkeyed_after_keyed.length === 1 ? 'y follows' : 'ies follow'} keyed ones (forged or rewritten without the key): ${ids(r.unkeyed_after_keyed)}` });
    if (r.unchecked_keyed > 0) early.push({ kind: 'key_missing', message: `${r.unchecked_keyed} keyed entr${r.unchecked_keyed === 1 ? 'y' : 'ies'} cannot be checked without the audit key (set ${AUDIT_KEY_ENV})` });
    r.problems.unshift(...early);
    r.intact = r.problems.length === 0;
  }
}

export interface AuditProblem {
  /** edited, removed, tail_removed, invalid_prune, unkeyed_after_keyed, key_missing, log_recreated, log_empty, anchor_missing, anchor_rewritten, anchor_shrunk */
  kind: string;
  message: string;
  anchor?: number;
}

export interface AuditVerifyReport {
  /** No problem found: every entry checked, every gap accounted for, every anchor still there. */
  intact: boolean;
  /** What is wrong, one sentence each (empty when intact). */
  problems: AuditProblem[];
  checked: number;
  /** Rows whose content no longer matches their hash. */
  modified: number[];
  /** Rows after a gap that retention's AUDIT_PRUNED entries do not account for. */
  gaps: number[];
  /** Gaps accounted for by retention, and how many removed rows bridge them. */
  retention_gaps: number;
  bridged_rows: number;
  /** Gaps from before schema 6 recorded what retention removed (cannot be checked). */
  unverifiable_gaps: number[];
  /**
   * The newest entries, missing: ids the log once gave out (AUTOINCREMENT's high-water mark in
   * sqlite_sequence) after the last entry left, not removed by retention. Null when none.
   */
  tail_removed: { from: number; to: number } | null;
  /** Keyed entries (hash version 3), and how many of them could not be checked (no key given). */
  keyed: number;
  unchecked_keyed: number;
  key_used: boolean;
  /** Unkeyed entries after the first keyed one: the writer refuses to append those. */
  unkeyed_after_keyed: number[];
  /** AUDIT_PRUNED entries, and those whose count or digest does not match what names them. */
  prunes: number;
  invalid_prunes: { id: number; why: string }[];
  anchors_checked: number;
}

