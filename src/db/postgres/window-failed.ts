/**
 * Failed books for the console on PostgreSQL, most recently failed first: each state read
 * through `pipelines_state_entered (state, state_entered_at)` backwards and the two short lists
 * merged here (as SQLite's window-failed.ts does), so a window is two index range probes of a
 * screenful each at any depth. The keyset `(state_entered_at, id) < (…)` is a row value: the
 * planner bounds the index range by its first column and sorts each millisecond's ties by id
 * (an incremental sort over a handful of rows). Unfiltered counts come from `pipeline_counts`.
 */
import type { PipelineRow } from '../pipeline-row.js';
import { PIPELINE_COLUMNS } from '../pipeline-row.js';
import { compareFailed, FAILED_STATES, FILTERED_COUNT_CAP, type FailedFilter, type FailedKey, type FailedState, type WindowOps } from '../ops/windows.js';
import type { PipelineOps } from '../ops/pipelines.js';
import type { PgContext } from './context.js';
import { bookTermsPg, Params, read } from './window-sql.js';

type FailedWindowOps = Pick<WindowOps, 'failedOlder' | 'failedNewer' | 'failedTotal' | 'failedPosition' | 'failedBook'>;

/** Words match the path, the error document's text and the title. */
const failedTerms = (filter: FailedFilter, params: Params): string => bookTermsPg(filter.terms, 'error_json::text', params);

const keyArgs = (key: FailedKey, params: Params): string => `(${params.add(key.state_entered_at)}::bigint, ${params.add(key.id)}::text)`;

export function pgFailedWindows(ctx: PgContext, pipelines: Pick<PipelineOps, 'get' | 'countsByState'>): FailedWindowOps {
  const { pool } = ctx;
  const readState = async (state: FailedState, cmp: '<' | '>' | '<=' | null, key: FailedKey | undefined, order: 'DESC' | 'ASC', limit: number, filter: FailedFilter): Promise<PipelineRow[]> => {
    const params = new Params();
    const s = params.add(state);
    const keyset = cmp && key ? `AND (state_entered_at, id) ${cmp} ${keyArgs(key, params)}` : '';
    const terms = failedTerms(filter, params);
    const text = `SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE state = ${s} ${keyset} ${terms}
      ORDER BY state_entered_at ${order}, id ${order} LIMIT ${params.add(limit)}`;
    return read<PipelineRow>(pool, text, params, terms !== '');
  };
  /** Books of `state` matching `terms` (newer than `key` when given), counted up to the cap + 1. */
  const cappedCount = async (state: FailedState, key: FailedKey | undefined, filter: FailedFilter): Promise<number> => {
    const params = new Params();
    const s = params.add(state);
    const keyset = key ? `AND (state_entered_at, id) > ${keyArgs(key, params)}` : '';
    const terms = failedTerms(filter, params);
    const text = `SELECT COUNT(*) AS n FROM (SELECT 1 FROM pipelines WHERE state = ${s} ${keyset} ${terms}
      LIMIT ${FILTERED_COUNT_CAP + 1}) AS matching`;
    return (await read<{ n: number }>(pool, text, params, true))[0]!.n;
  };
  // Unfiltered, a position is a count over the index: the books that entered later, plus the
  // same millisecond's books with a larger id.
  const POSITION = `SELECT (SELECT COUNT(*) FROM pipelines WHERE state = $1 AND state_entered_at > $2)
    + (SELECT COUNT(*) FROM pipelines WHERE state = $1 AND state_entered_at = $2 AND id > $3) AS n`;
  const unfiltered = (filter: FailedFilter): boolean => failedTerms(filter, new Params()) === '';

  return {
    failedOlder: async (key, limit, filter, inclusive = false) => {
      if (limit <= 0) return [];
      const cmp = key ? (inclusive ? '<=' : '<') : null;
      const lists = await Promise.all(filter.states.map((s) => readState(s, cmp, key, 'DESC', limit, filter)));
      return lists.flat().sort(compareFailed).slice(0, limit);
    },
    failedNewer: async (key, limit, filter) => {
      if (limit <= 0) return [];
      const lists = await Promise.all(filter.states.map((s) => readState(s, key ? '>' : null, key, 'ASC', limit, filter)));
      // The `limit` nearest to `key`: the oldest of the newer rows.
      return lists.flat().sort(compareFailed).slice(-limit);
    },
    failedTotal: async (filter) => {
      if (unfiltered(filter)) {
        const counts = await pipelines.countsByState();
        return { count: filter.states.reduce((n, s) => n + (counts[s] ?? 0), 0), capped: false };
      }
      const n = (await Promise.all(filter.states.map((s) => cappedCount(s, undefined, filter)))).reduce((a, b) => a + b, 0);
      return { count: Math.min(n, FILTERED_COUNT_CAP), capped: n > FILTERED_COUNT_CAP };
    },
    failedPosition: async (key, filter) => {
      if (unfiltered(filter)) {
        const ns = await Promise.all(
          filter.states.map(async (s) => (await read<{ n: number }>(pool, POSITION, paramsOf(s, key), false))[0]!.n),
        );
        return ns.reduce((a, b) => a + b, 0);
      }
      const ns = await Promise.all(filter.states.map((s) => cappedCount(s, key, filter)));
      return Math.min(ns.reduce((a, b) => a + Math.min(b, FILTERED_COUNT_CAP), 0), FILTERED_COUNT_CAP);
    },
    failedBook: async (id) => {
      const row = await pipelines.get(id);
      return row && (FAILED_STATES as readonly string[]).includes(row.state) ? row : undefined;
    },
  };
}

function paramsOf(state: FailedState, key: FailedKey): Params {
  const params = new Params();
  params.add(state);
  params.add(key.state_entered_at);
  params.add(key.id);
  return params;
}
