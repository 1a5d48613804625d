/**
 * What the console reads beyond the ops reports: keyset windows over the queue (claim order) and
 * the audit log (newest first). Only the visible window is ever fetched, so a queue of a million
 * books scrolls as fast as one of ten.
 *
 * Forward pages of the unfiltered queue come from `WorkQueue.window`; the console also needs to
 * page backwards (k, PgUp, G) and to filter, which the domain does not offer, so those queries
 * are here, written in the same order and through the same partial index.
 */
import type { Services } from '../src/services.js';
import type { PipelineRow } from '../src/db/pipeline-row.js';
import { AUDIT_ACTIONS, auditFilterTerms, isDenseBookPrefix, type AuditRow } from '../src/db/audit.js';
import { CLAIMABLE_STATES } from '../src/domain/states.js';
import { likeSubstring, parseFilterWords, type FilterWords } from './filter-grammar.js';
import { PIPELINE_COLUMNS } from '../src/db/pipeline-row.js';

export interface QueueKey {
  readonly priority: number;
  readonly created_at: number;
  readonly id: string;
}

export const keyOf = (r: QueueKey): QueueKey => ({ priority: r.priority, created_at: r.created_at, id: r.id });

/** Counting a filtered queue stops here (shown as "10,000+"). */
export const FILTERED_COUNT_CAP = 10_000;

const claimable = CLAIMABLE_STATES.map((s) => `'${s}'`).join(', ');

export interface QueueFilterSql {
  readonly where: string;
  readonly params: Record<string, unknown>;
}

/**
 * The queue filter typed after `/`, in the shared grammar (store/filter-grammar.ts): bare words
 * match the title, path or state by substring; `state:`, `p:` (or `p3`), `type:` and `id:` are
 * exact. Every term narrows a scan of `pipelines_claim` (the queued rows only) that stops at the
 * window size or the count cap, as before.
 */
export function queueFilterSql(text: string): QueueFilterSql {
  const { words, fields } = parseFilterWords(text);
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  let n = 0;
  const priority = (v: string): void => {
    where.push(`priority = @f_p${n}`);
    params[`f_p${n++}`] = Number(v);
  };
  for (const w of words) {
    const p = /^p(\d{1,2})$/i.exec(w);
    if (p) {
      priority(p[1]!);
      continue;
    }
    where.push(
      `(source_path LIKE @f_w${n} ESCAPE '\\' OR state LIKE @f_w${n} ESCAPE '\\' OR json_extract(profile_json, '$.title') LIKE @f_w${n} ESCAPE '\\')`,
    );
    params[`f_w${n++}`] = likeSubstring(w);
  }
  if (fields.state !== undefined) {
    where.push('state = @f_state');
    params.f_state = fields.state.toLowerCase();
  }
  const pv = fields.p ?? fields.priority;
  if (pv !== undefined) priority(pv);
  return { where: andTerms(where, fields, params), params };
}

/**
 * The end of a book list's filter, the same for the Queue and Failed tabs: `type:` exact and
 * `id:` as a prefix (a range over the primary key), after the tab's own `terms`; then every term
 * joined as one `AND …` clause ('' when there is none).
 */
export function andTerms(terms: string[], fields: FilterWords['fields'], params: Record<string, unknown>): string {
  if (fields.type !== undefined) {
    terms.push('book_type = @f_type');
    params.f_type = fields.type;
  }
  if (fields.id !== undefined) {
    terms.push('id >= @f_id AND id < @f_id_end');
    params.f_id = fields.id.toLowerCase();
    params.f_id_end = fields.id.toLowerCase() + 'g';
  }
  return terms.length === 0 ? '' : `AND ${terms.join(' AND ')}`;
}

export class QueueSource {
  constructor(private readonly services: Pick<Services, 'db' | 'queue'>) {}

  private select(where: string, order: 'ASC' | 'DESC', params: Record<string, unknown>): PipelineRow[] {
    return this.services.db
      .prepare(
        `SELECT ${PIPELINE_COLUMNS} FROM pipelines INDEXED BY pipelines_claim WHERE state IN (${claimable}) ${where}
         ORDER BY priority ${order}, created_at ${order}, id ${order} LIMIT @limit`,
      )
      .all(params) as PipelineRow[];
  }

  /** Rows after `key` (exclusive) in claim order; from the start when `key` is undefined. */
  after(key: QueueKey | undefined, limit: number, filter = ''): PipelineRow[] {
    if (limit <= 0) return [];
    const f = queueFilterSql(filter);
    if (f.where === '') return this.services.queue.window(key ? { limit, after: keyOf(key) } : { limit });
    const keyset = key ? 'AND (priority, created_at, id) > (@kp, @kc, @ki)' : '';
    return this.select(`${keyset} ${f.where}`, 'ASC', { ...f.params, ...keyParams(key), limit });
  }

  /** Up to `limit` rows before `key` (exclusive), returned in claim order; the last rows when undefined. */
  before(key: QueueKey | undefined, limit: number, filter = ''): PipelineRow[] {
    if (limit <= 0) return [];
    const f = queueFilterSql(filter);
    const keyset = key ? 'AND (priority, created_at, id) < (@kp, @kc, @ki)' : '';
    return this.select(`${keyset} ${f.where}`, 'DESC', { ...f.params, ...keyParams(key), limit }).reverse();
  }

  /** Rows from `key` (inclusive) on. */
  from(key: QueueKey, limit: number, filter = ''): PipelineRow[] {
    if (limit <= 0) return [];
    const f = queueFilterSql(filter);
    return this.select(`AND (priority, created_at, id) >= (@kp, @kc, @ki) ${f.where}`, 'ASC', {
      ...f.params,
      ...keyParams(key),
      limit,
    });
  }

  /** Queued books (matching the filter, counted up to the cap). */
  total(filter = ''): CappedCount {
    const f = queueFilterSql(filter);
    if (f.where === '') {
      const counts = this.services.queue.queuedByPriority();
      return { count: Object.values(counts).reduce((a, b) => a + b, 0), capped: false };
    }
    const r = this.services.db
      .prepare(
        `SELECT COUNT(*) AS n FROM (SELECT 1 FROM pipelines INDEXED BY pipelines_claim
         WHERE state IN (${claimable}) ${f.where} LIMIT ${FILTERED_COUNT_CAP + 1})`,
      )
      .get(f.params) as { n: number };
    return { count: Math.min(r.n, FILTERED_COUNT_CAP), capped: r.n > FILTERED_COUNT_CAP };
  }

  /** 0-based position of `key` in the (filtered) claim order: a count over the index, no rows read. */
  positionOf(key: QueueKey, filter = ''): number {
    const f = queueFilterSql(filter);
    const r = this.services.db
      .prepare(
        `SELECT COUNT(*) AS n FROM pipelines INDEXED BY pipelines_claim WHERE state IN (${claimable})
         AND (priority, created_at, id) < (@kp, @kc, @ki) ${f.where}`,
      )
      .get({ ...f.params, ...keyParams(key) }) as { n: number };
    return r.n;
  }

  /** The book if it is queued now (a claimed or rejected book has left the queue). */
  queued(id: string): PipelineRow | undefined {
    return this.services.db
      .prepare(`SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE id = ? AND state IN (${claimable})`)
      .get(id) as PipelineRow | undefined;
  }
}

function keyParams(key: QueueKey | undefined): Record<string, unknown> {
  return key ? { kp: key.priority, kc: key.created_at, ki: key.id } : {};
}

/**
 * Audit filter, in the shared grammar (store/filter-grammar.ts): `actor:human:ana`,
 * `action:approved`, `book:3f2a…` exact; a bare word is an actor (`human:ana`), a book id prefix
 * (hex), or matches the action by substring ("retr" → BATCH_RETRIED). Each stays one indexed
 * term (audit_actor, audit_action, the books' trails): a substring is resolved against the known
 * action names here, not by scanning the log.
 */
export interface AuditFilter {
  readonly actor?: string;
  readonly action?: string;
  readonly pipelineId?: string;
}

export function parseAuditFilter(text: string): AuditFilter {
  const out: { actor?: string; action?: string; pipelineId?: string } = {};
  for (const word of text.trim().split(/\s+/).filter((w) => w !== '')) {
    const m = /^(actor|action|book|id):(.+)$/i.exec(word);
    if (m) {
      const kind = m[1]!.toLowerCase();
      if (kind === 'actor') out.actor = m[2]!;
      else if (kind === 'action') out.action = m[2]!.toUpperCase();
      else out.pipelineId = m[2]!.toLowerCase();
    } else if (/^(human|auto|system|mcp):/.test(word)) out.actor = word;
    else if (/^[0-9a-f]{8,32}$/i.test(word)) out.pipelineId = word.toLowerCase();
    else out.action = actionMatching(word);
  }
  return out;
}

/** The known action a bare word names: itself if exact, else the first (shortest) containing it. */
export function actionMatching(word: string): string {
  const w = word.toUpperCase();
  if ((AUDIT_ACTIONS as readonly string[]).includes(w)) return w;
  const hits = AUDIT_ACTIONS.filter((a) => a.includes(w)).sort((a, b) => a.length - b.length);
  return hits[0] ?? w;
}

/** What the Audit tab's filter prompt shows. */
export const AUDIT_FILTER_HINT = 'words match action (retr → BATCH_RETRIED); actor:X action:X book:3f2a exact';

export function describeAuditFilter(f: AuditFilter): string {
  return [f.actor && `actor ${f.actor}`, f.action && `action ${f.action}`, f.pipelineId && `book ${f.pipelineId.slice(0, 8)}`]
    .filter(Boolean)
    .join(', ');
}

/**
 * Filtered audit counts stop at FILTERED_COUNT_CAP, as the queue's do: an exact count of a filter
 * matching most of a 10M-row log would cost a scan per refresh. A book prefix shared by thousands
 * of books is counted by scanning the log, so it stops sooner.
 */
export const DENSE_PREFIX_COUNT_CAP = 1_000;

/** A count, and whether it stopped at its cap (there are more than `count`). */
export interface CappedCount {
  readonly count: number;
  readonly capped: boolean;
}

export class AuditSource {
  /** Whether a book prefix is shared by thousands of books (asked once per prefix). */
  private readonly dense = new Map<string, boolean>();

  constructor(private readonly services: Pick<Services, 'db' | 'audit'>) {}

  private isDense(f: AuditFilter): boolean {
    const prefix = f.pipelineId;
    if (!prefix || prefix.length >= 32) return false;
    let dense = this.dense.get(prefix);
    if (dense === undefined) {
      dense = isDenseBookPrefix(this.services.db, prefix);
      this.dense.set(prefix, dense);
    }
    return dense;
  }

  /** The filter's WHERE terms; a dense book prefix is read by scanning instead of by trails. */
  private terms(f: AuditFilter, params: Record<string, unknown>): string[] {
    return auditFilterTerms({ ...f, pipelineIdDense: this.isDense(f) }, params);
  }

  /** Newest first: entries with id <= `atOrBelow` (all when undefined). */
  olderFrom(atOrBelow: number | undefined, limit: number, f: AuditFilter = {}): AuditRow[] {
    if (limit <= 0) return [];
    if (!f.pipelineId || f.pipelineId.length >= 32) {
      return this.services.audit.query({
        ...(f.pipelineId ? { pipelineId: f.pipelineId } : {}),
        ...(f.actor ? { actor: f.actor } : {}),
        ...(f.action ? { action: f.action } : {}),
        ...(atOrBelow !== undefined ? { beforeId: atOrBelow + 1 } : {}),
        limit,
      });
    }
    const params: Record<string, unknown> = { limit };
    const w = this.terms(f, params);
    if (atOrBelow !== undefined) {
      w.push('id <= @below');
      params.below = atOrBelow;
    }
    return this.services.db
      .prepare(`SELECT * FROM audit ${w.length ? 'WHERE ' + w.join(' AND ') : ''} ORDER BY id DESC LIMIT @limit`)
      .all(params) as AuditRow[];
  }

  /** Up to `limit` entries newer than `id` (exclusive), returned newest first. */
  newerThan(id: number, limit: number, f: AuditFilter = {}): AuditRow[] {
    if (limit <= 0) return [];
    const params: Record<string, unknown> = { limit, above: id };
    const w = [...this.terms(f, params), 'id > @above'];
    return (
      this.services.db
        .prepare(`SELECT * FROM audit WHERE ${w.join(' AND ')} ORDER BY id ASC LIMIT @limit`)
        .all(params) as AuditRow[]
    ).reverse();
  }

  /** Oldest entries (for G), newest first. */
  oldest(limit: number, f: AuditFilter = {}): AuditRow[] {
    const params: Record<string, unknown> = { limit };
    const w = this.terms(f, params);
    return (
      this.services.db
        .prepare(`SELECT * FROM audit ${w.length ? 'WHERE ' + w.join(' AND ') : ''} ORDER BY id ASC LIMIT @limit`)
        .all(params) as AuditRow[]
    ).reverse();
  }

  /**
   * Entries matching the filter (newer than `newerThan` when given: the window's position).
   * Without a filter the count is exact; with one it stops at its cap (FILTERED_COUNT_CAP, or
   * DENSE_PREFIX_COUNT_CAP for a dense book prefix) and says so.
   */
  count(f: AuditFilter = {}, newerThan?: number): CappedCount {
    const params: Record<string, unknown> = {};
    const w = this.terms(f, params);
    const cap = w.length === 0 ? undefined : this.isDense(f) ? DENSE_PREFIX_COUNT_CAP : FILTERED_COUNT_CAP;
    if (newerThan !== undefined) {
      w.push('id > @above');
      params.above = newerThan;
    }
    const where = w.length ? 'WHERE ' + w.join(' AND ') : '';
    if (cap === undefined) {
      const n = (this.services.db.prepare(`SELECT COUNT(*) AS n FROM audit ${where}`).get(params) as { n: number }).n;
      return { count: n, capped: false };
    }
    params.cap = cap + 1;
    const n = (this.services.db.prepare(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM audit ${where} LIMIT @cap)`).get(params) as { n: number }).n;
    return n > cap ? { count: cap, capped: true } : { count: n, capped: false };
  }

  get(id: number): AuditRow | undefined {
    return this.services.audit.get(id);
  }
}
