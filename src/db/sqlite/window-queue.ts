/**
 * The queue in claim order, for the console: the same order and partial index as the claim
 * statement (src/db/claim-order.ts), read forwards and backwards by keyset. Forward pages of the
 * unfiltered queue are WorkQueue.window's; the unfiltered count is the counts aggregate.
 */
import type { SqliteStores } from './engine.js';
import type { PipelineRow } from '../pipeline-row.js';
import { PIPELINE_COLUMNS } from '../pipeline-row.js';
import { CLAIMABLE_IN, CLAIM_INDEX, CLAIM_KEY, claimOrderBy } from '../claim-order.js';
import { FILTERED_COUNT_CAP, type QueueFilter, type QueueKey, type WindowOps } from '../ops/windows.js';
import { bookTermsSql, statementCache, type FilterSql, type Prepare } from './window-sql.js';

type QueueWindowOps = Pick<WindowOps, 'queueAfter' | 'queueBefore' | 'queueFrom' | 'queueTotal' | 'queuePosition' | 'queuedBook'>;

/** Words match the path, the state and the title (`f_w0`, `f_p1`, … numbered across both kinds). */
const queueFilterSql = (filter: QueueFilter): FilterSql => bookTermsSql(filter, { column: 'state', param: (k, n) => `f_${k}${n}` });

function keyParams(key: QueueKey | undefined): Record<string, unknown> {
  return key ? { kp: key.priority, kc: key.created_at, ki: key.id } : {};
}

export function sqliteQueueWindows(stores: SqliteStores): QueueWindowOps {
  const prepare: Prepare = statementCache(stores.db);
  const select = (where: string, order: 'ASC' | 'DESC', params: Record<string, unknown>): PipelineRow[] =>
    prepare(
      `SELECT ${PIPELINE_COLUMNS} FROM pipelines INDEXED BY ${CLAIM_INDEX} WHERE state IN (${CLAIMABLE_IN}) ${where}
         ORDER BY ${claimOrderBy(order)} LIMIT @limit`,
    ).all(params) as PipelineRow[];

  return {
    queueAfter: async (key, limit, filter) => {
      if (limit <= 0) return [];
      const f = queueFilterSql(filter);
      if (f.where === '') return stores.queue.window(key ? { limit, after: { priority: key.priority, created_at: key.created_at, id: key.id } } : { limit });
      const keyset = key ? `AND ${CLAIM_KEY} > (@kp, @kc, @ki)` : '';
      return select(`${keyset} ${f.where}`, 'ASC', { ...f.params, ...keyParams(key), limit });
    },
    queueBefore: async (key, limit, filter) => {
      if (limit <= 0) return [];
      const f = queueFilterSql(filter);
      const keyset = key ? `AND ${CLAIM_KEY} < (@kp, @kc, @ki)` : '';
      return select(`${keyset} ${f.where}`, 'DESC', { ...f.params, ...keyParams(key), limit }).reverse();
    },
    queueFrom: async (key, limit, filter) => {
      if (limit <= 0) return [];
      const f = queueFilterSql(filter);
      return select(`AND ${CLAIM_KEY} >= (@kp, @kc, @ki) ${f.where}`, 'ASC', { ...f.params, ...keyParams(key), limit });
    },
    queueTotal: async (filter) => {
      const f = queueFilterSql(filter);
      if (f.where === '') {
        const counts = stores.queue.queuedByPriority();
        return { count: Object.values(counts).reduce((a, b) => a + b, 0), capped: false };
      }
      const r = prepare(
        `SELECT COUNT(*) AS n FROM (SELECT 1 FROM pipelines INDEXED BY ${CLAIM_INDEX}
         WHERE state IN (${CLAIMABLE_IN}) ${f.where} LIMIT ${FILTERED_COUNT_CAP + 1})`,
      ).get(f.params) as { n: number };
      return { count: Math.min(r.n, FILTERED_COUNT_CAP), capped: r.n > FILTERED_COUNT_CAP };
    },
    // A count over the index, no rows read.
    queuePosition: async (key, filter) => {
      const f = queueFilterSql(filter);
      const r = prepare(
        `SELECT COUNT(*) AS n FROM pipelines INDEXED BY ${CLAIM_INDEX} WHERE state IN (${CLAIMABLE_IN})
         AND ${CLAIM_KEY} < (@kp, @kc, @ki) ${f.where}`,
      ).get({ ...f.params, ...keyParams(key) }) as { n: number };
      return r.n;
    },
    queuedBook: async (id) => prepare(`SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE id = ? AND state IN (${CLAIMABLE_IN})`).get(id) as PipelineRow | undefined,
  };
}
