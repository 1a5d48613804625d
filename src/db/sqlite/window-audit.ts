/**
 * The audit log for the console, newest first, by id (ids only grow). Each filter stays one
 * indexed term (audit_actor, audit_action, the books' trails); a book-id prefix shared by
 * thousands of books is read by scanning the log instead (a window must not wait for thousands
 * of trail walks), and its count stops sooner.
 */
import type { SqliteStores } from './engine.js';
import { auditFilterTerms, isDenseBookPrefix, type AuditRow } from '../audit.js';
import { DENSE_PREFIX_COUNT_CAP, FILTERED_COUNT_CAP, type AuditFilter, type WindowOps } from '../ops/windows.js';
import { statementCache } from './window-sql.js';

type AuditWindowOps = Pick<WindowOps, 'auditOlderFrom' | 'auditNewerThan' | 'auditOldest' | 'auditCount'>;

export function sqliteAuditWindows(stores: SqliteStores): AuditWindowOps {
  const prepare = statementCache(stores.db);
  /** Whether a book prefix is shared by thousands of books (asked once per prefix). */
  const denseByPrefix = new Map<string, boolean>();
  const isDense = (f: AuditFilter): boolean => {
    const prefix = f.pipelineId;
    if (!prefix || prefix.length >= 32) return false;
    let dense = denseByPrefix.get(prefix);
    if (dense === undefined) {
      dense = isDenseBookPrefix(stores.db, prefix);
      denseByPrefix.set(prefix, dense);
    }
    return dense;
  };
  /** The filter's WHERE terms; a dense book prefix is read by scanning instead of by trails. */
  const terms = (f: AuditFilter, params: Record<string, unknown>): string[] => auditFilterTerms({ ...f, pipelineIdDense: isDense(f) }, params);
  const whereOf = (w: string[]): string => (w.length ? 'WHERE ' + w.join(' AND ') : '');

  return {
    auditOlderFrom: async (atOrBelow, limit, f) => {
      if (limit <= 0) return [];
      if (!f.pipelineId || f.pipelineId.length >= 32) {
        return stores.audit.query({
          ...(f.pipelineId ? { pipelineId: f.pipelineId } : {}),
          ...(f.actor ? { actor: f.actor } : {}),
          ...(f.action ? { action: f.action } : {}),
          ...(atOrBelow !== undefined ? { beforeId: atOrBelow + 1 } : {}),
          limit,
        });
      }
      const params: Record<string, unknown> = { limit };
      const w = terms(f, params);
      if (atOrBelow !== undefined) {
        w.push('id <= @below');
        params.below = atOrBelow;
      }
      return prepare(`SELECT * FROM audit ${whereOf(w)} ORDER BY id DESC LIMIT @limit`).all(params) as AuditRow[];
    },
    auditNewerThan: async (id, limit, f) => {
      if (limit <= 0) return [];
      const params: Record<string, unknown> = { limit, above: id };
      const w = [...terms(f, params), 'id > @above'];
      return (prepare(`SELECT * FROM audit WHERE ${w.join(' AND ')} ORDER BY id ASC LIMIT @limit`).all(params) as AuditRow[]).reverse();
    },
    auditOldest: async (limit, f) => {
      const params: Record<string, unknown> = { limit };
      const w = terms(f, params);
      return (prepare(`SELECT * FROM audit ${whereOf(w)} ORDER BY id ASC LIMIT @limit`).all(params) as AuditRow[]).reverse();
    },
    auditCount: async (f, newerThan) => {
      const params: Record<string, unknown> = {};
      const w = terms(f, params);
      const cap = w.length === 0 ? undefined : isDense(f) ? DENSE_PREFIX_COUNT_CAP : FILTERED_COUNT_CAP;
      if (newerThan !== undefined) {
        w.push('id > @above');
        params.above = newerThan;
      }
      const where = whereOf(w);
      if (cap === undefined) {
        const n = (prepare(`SELECT COUNT(*) AS n FROM audit ${where}`).get(params) as { n: number }).n;
        return { count: n, capped: false };
      }
      params.cap = cap + 1;
      const n = (prepare(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM audit ${where} LIMIT @cap)`).get(params) as { n: number }).n;
      return n > cap ? { count: cap, capped: true } : { count: n, capped: false };
    },
  };
}
