/**
 * The queue in claim order, for the console, on PostgreSQL: the claim statement's order and
 * partial index (`pipelines_claim`, its WHERE written identically so the planner may use it),
 * read forwards and backwards by keyset, `(priority, created_at, id)` compared as a row value in
 * the index's order. The unfiltered count is the counts aggregate; a filtered one stops at the cap.
 */
import type { PipelineRow } from '../pipeline-row.js';
import { PIPELINE_COLUMNS } from '../pipeline-row.js';
import { CLAIM_KEY, claimOrderBy } from '../claim-order.js';
import { FILTERED_COUNT_CAP, type QueueFilter, type QueueKey, type WindowOps } from '../ops/windows.js';
import type { PipelineOps } from '../ops/pipelines.js';
import { CLAIMABLE_STATES } from '../../domain/states.js';
import type { PgContext } from './context.js';
import { CLAIMABLE_LIST } from './migrations.js';
import { bookTermsPg, Params, read } from './window-sql.js';

type QueueWindowOps = Pick<WindowOps, 'queueAfter' | 'queueBefore' | 'queueFrom' | 'queueTotal' | 'queuePosition' | 'queuedBook'>;

/** Words match the path, the state and the title. */
const queueTerms = (filter: QueueFilter, params: Params): string => bookTermsPg(filter, 'state', params);

const keyArgs = (key: QueueKey, params: Params): string => `(${params.add(key.priority)}::integer, ${params.add(key.created_at)}::bigint, ${params.add(key.id)}::text)`;

export function pgQueueWindows(ctx: PgContext, pipelines: Pick<PipelineOps, 'countsByState'>): QueueWindowOps {
  const { pool } = ctx;
  /** One window: `cmp` against `key` (none: from the end `order` starts at), the filter, a limit. */
  const select = async (key: QueueKey | undefined, cmp: '>' | '<' | '>=', order: 'ASC' | 'DESC', limit: number, filter: QueueFilter): Promise<PipelineRow[]> => {
    const params = new Params();
    const keyset = key ? `AND ${CLAIM_KEY} ${cmp} ${keyArgs(key, params)}` : '';
    const terms = queueTerms(filter, params);
    const text = `SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE state IN (${CLAIMABLE_LIST}) ${keyset} ${terms}
      ORDER BY ${claimOrderBy(order)} LIMIT ${params.add(limit)}`;
    return read<PipelineRow>(pool, text, params, terms !== '');
  };

  return {
    queueAfter: async (key, limit, filter) => (limit <= 0 ? [] : select(key, '>', 'ASC', limit, filter)),
    queueBefore: async (key, limit, filter) => (limit <= 0 ? [] : (await select(key, '<', 'DESC', limit, filter)).reverse()),
    queueFrom: async (key, limit, filter) => (limit <= 0 ? [] : select(key, '>=', 'ASC', limit, filter)),
    queueTotal: async (filter) => {
      const params = new Params();
      const terms = queueTerms(filter, params);
      if (terms === '') {
        const counts = await pipelines.countsByState();
        return { count: CLAIMABLE_STATES.reduce((n, s) => n + (counts[s] ?? 0), 0), capped: false };
      }
      const text = `SELECT COUNT(*) AS n FROM (SELECT 1 FROM pipelines WHERE state IN (${CLAIMABLE_LIST}) ${terms}
        LIMIT ${FILTERED_COUNT_CAP + 1}) AS matching`;
      const n = (await read<{ n: number }>(pool, text, params, true))[0]!.n;
      return { count: Math.min(n, FILTERED_COUNT_CAP), capped: n > FILTERED_COUNT_CAP };
    },
    // A count over the claim index (index-only where the visibility map allows), exact as
    // SQLite's, filtered or not.
    queuePosition: async (key, filter) => {
      const params = new Params();
      const keyset = `AND ${CLAIM_KEY} < ${keyArgs(key, params)}`;
      const terms = queueTerms(filter, params);
      const text = `SELECT COUNT(*) AS n FROM pipelines WHERE state IN (${CLAIMABLE_LIST}) ${keyset} ${terms}`;
      return (await read<{ n: number }>(pool, text, params, terms !== ''))[0]!.n;
    },
    queuedBook: async (id) => {
      const params = new Params();
      const text = `SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE id = ${params.add(id)} AND state IN (${CLAIMABLE_LIST})`;
      return (await read<PipelineRow>(pool, text, params, false))[0];
    },
  };
}
