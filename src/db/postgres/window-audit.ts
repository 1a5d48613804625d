/**
 * The audit log for the console on PostgreSQL, newest first, by id (ids only grow). Each filter
 * is one indexed term: a book by `audit_pipeline (pipeline_id, id)` (a prefix as a range of it),
 * actor and action by `audit_actor` / `audit_action (…, id)`; the planner picks between them
 * and the primary key read backwards. A book prefix shared by thousands of books is "dense" as
 * in SQLite (the same test, the same threshold), and its count stops at the lower cap: the cap
 * is part of what the interface shows.
 *
 * The unfiltered count is not a COUNT(*) over ten million rows on every refresh: every id from
 * 1 to the chain head's `pos` was given to exactly one row (./audit.ts), so the rows present are
 * `pos` minus the rows removed, which a statement trigger keeps in `audit_removed` (migration
 * "windows"). A window's position (rows newer than an id) is the id span above it minus the
 * deletion records in that span: near the top of the log, no rows are read at all.
 */
import type { AuditRow } from '../audit.js';
import { DENSE_BOOK_PREFIX } from '../audit.js';
import { DENSE_PREFIX_COUNT_CAP, FILTERED_COUNT_CAP, type AuditFilter, type WindowOps } from '../ops/windows.js';
import type { PgContext } from './context.js';
import { globToRegex, Params, read } from './window-sql.js';

type AuditWindowOps = Pick<WindowOps, 'auditOlderFrom' | 'auditNewerThan' | 'auditOldest' | 'auditCount'>;

/** SQLite's AuditLog.query reads at most this many rows at once; the console's windows go through it. */
const QUERY_LIMIT_MAX = 100_000;

const IS_DENSE = 'SELECT COUNT(*) AS n FROM (SELECT 1 FROM pipelines WHERE id >= $1 AND id < $2 LIMIT $3) AS sharing';
const TOTAL = `SELECT h.pos - r.n AS n FROM audit_chain_head h, audit_removed r WHERE h.id = 1 AND r.id = 1`;
const NEWER_THAN = `SELECT GREATEST(h.pos - GREATEST($1::bigint, 0), 0)
    - (SELECT COUNT(*) FROM audit_deletions d WHERE d.id > $1::bigint AND d.id <= h.pos) AS n
  FROM audit_chain_head h WHERE h.id = 1`;

/** The filter's WHERE terms (SQLite's auditFilterTerms, term for term). */
function auditTerms(f: AuditFilter, params: Params): string[] {
  return leadAndTerms(f, params).where;
}

/**
 * The terms, and for a window the column whose index leads the read. An exact book, actor or
 * action (in that order: a book's rows are the fewest) is written as a one-value range,
 * `c >= $v AND c <= $v`, and the window ordered by `(c, id)`: equal to `c = $v` (the collations
 * are deterministic), but only the `(c, id)` index yields that order without a sort, so the
 * window is that index read backwards for exactly its rows. With plain `c = $v` the planner may
 * read the primary key backwards and filter, which reaches the window only after every newer
 * row of other actors (an actor whose rows are all old: the whole log).
 */
function leadAndTerms(f: AuditFilter, params: Params): { where: string[]; lead: string | undefined } {
  const where: string[] = [];
  let lead: string | undefined;
  const exact = (column: string, value: string) => {
    const v = params.add(value);
    if (lead === undefined) {
      lead = column;
      where.push(`${column} >= ${v} AND ${column} <= ${v}`);
    } else where.push(`${column} = ${v}`);
  };
  if (f.pipelineId) {
    if (f.pipelineId.length >= 32) exact('pipeline_id', f.pipelineId);
    else where.push(`pipeline_id >= ${params.add(f.pipelineId)} AND pipeline_id < ${params.add(f.pipelineId + 'g')}`);
  }
  if (f.actor) {
    if (f.actor.includes('*')) where.push(`actor ~ ${params.add(globToRegex(f.actor))}`);
    else exact('actor', f.actor);
  }
  if (f.action) exact('action', f.action.toUpperCase());
  return { where, lead };
}

const whereOf = (w: string[]): string => (w.length ? 'WHERE ' + w.join(' AND ') : '');

export function pgAuditWindows(ctx: PgContext): AuditWindowOps {
  const { pool } = ctx;
  /** Whether a book prefix is shared by thousands of books (asked once per prefix, as SQLite does). */
  const denseByPrefix = new Map<string, boolean>();
  const isDense = async (f: AuditFilter): Promise<boolean> => {
    const prefix = f.pipelineId;
    if (!prefix || prefix.length >= 32) return false;
    let dense = denseByPrefix.get(prefix);
    if (dense === undefined) {
      const params = new Params();
      params.add(prefix);
      params.add(prefix + 'g');
      params.add(DENSE_BOOK_PREFIX + 1);
      dense = (await read<{ n: number }>(pool, IS_DENSE, params, false))[0]!.n > DENSE_BOOK_PREFIX;
      denseByPrefix.set(prefix, dense);
    }
    return dense;
  };
  /** Rows matching `f` and `bound`, in id order `order`, at most `limit` (null: all). */
  const select = async (f: AuditFilter, bound: ((p: Params) => string) | undefined, order: 'ASC' | 'DESC', limit: number | null): Promise<AuditRow[]> => {
    const params = new Params();
    const { where: w, lead } = leadAndTerms(f, params);
    const filtered = w.length > 0;
    if (bound) w.push(bound(params));
    const by = lead ? `${lead} ${order}, id ${order}` : `id ${order}`;
    const text = `SELECT * FROM audit ${whereOf(w)} ORDER BY ${by} LIMIT ${params.add(limit)}::bigint`;
    return read<AuditRow>(pool, text, params, filtered);
  };

  return {
    auditOlderFrom: async (atOrBelow, limit, f) => {
      if (limit <= 0) return [];
      // SQLite reads a whole book (or no book) through AuditLog.query, which clamps the limit.
      const max = !f.pipelineId || f.pipelineId.length >= 32 ? Math.min(limit, QUERY_LIMIT_MAX) : limit;
      return select(f, atOrBelow === undefined ? undefined : (p) => `id <= ${p.add(atOrBelow)}::bigint`, 'DESC', max);
    },
    auditNewerThan: async (id, limit, f) => {
      if (limit <= 0) return [];
      return (await select(f, (p) => `id > ${p.add(id)}::bigint`, 'ASC', limit)).reverse();
    },
    // As SQLite's `LIMIT n`: 0 reads nothing, a negative limit reads everything.
    auditOldest: async (limit, f) => (await select(f, undefined, 'ASC', limit < 0 ? null : limit)).reverse(),
    auditCount: async (f, newerThan) => {
      const params = new Params();
      const w = auditTerms(f, params);
      if (w.length === 0) {
        if (newerThan === undefined) return { count: (await read<{ n: number }>(pool, TOTAL, params, false))[0]!.n, capped: false };
        params.add(newerThan);
        return { count: (await read<{ n: number }>(pool, NEWER_THAN, params, false))[0]!.n, capped: false };
      }
      const cap = (await isDense(f)) ? DENSE_PREFIX_COUNT_CAP : FILTERED_COUNT_CAP;
      if (newerThan !== undefined) w.push(`id > ${params.add(newerThan)}::bigint`);
      const text = `SELECT COUNT(*) AS n FROM (SELECT 1 FROM audit ${whereOf(w)} LIMIT ${cap + 1}) AS matching`;
      const n = (await read<{ n: number }>(pool, text, params, true))[0]!.n;
      return n > cap ? { count: cap, capped: true } : { count: n, capped: false };
    },
  };
}
