/**
 * Failed books for the console, most recently failed first. Each state is read through
 * `pipelines_state_entered (state, state_entered_at)` newest first and the two short lists are
 * merged here, so a window costs two index range probes of a screenful each, at any depth and on
 * a file with a million failed books. The unfiltered count comes from the `pipeline_counts`
 * aggregate; a filtered one stops at the cap, as the Queue's and Audit's do.
 */
import type { SqliteStores } from './engine.js';
import type { PipelineRow } from '../pipeline-row.js';
import { PIPELINE_COLUMNS } from '../pipeline-row.js';
import { compareFailed, FAILED_STATES, FILTERED_COUNT_CAP, type FailedFilter, type FailedKey, type FailedState, type WindowOps } from '../ops/windows.js';
import { bookTermsSql, statementCache, type FilterSql } from './window-sql.js';

type FailedWindowOps = Pick<WindowOps, 'failedOlder' | 'failedNewer' | 'failedTotal' | 'failedPosition' | 'failedBook'>;

/** Words match the path, the error text and the title. */
const failedFilterSql = (filter: FailedFilter): FilterSql => bookTermsSql(filter.terms, { column: 'error_json', param: (k, n) => `${k}${n}` });

export function sqliteFailedWindows(stores: SqliteStores): FailedWindowOps {
  const prepare = statementCache(stores.db);
  const read = (state: FailedState, cmp: '<' | '>' | '<=' | null, key: FailedKey | undefined, order: 'DESC' | 'ASC', limit: number, f: FilterSql): PipelineRow[] => {
    const keyset = cmp && key ? `AND (state_entered_at, id) ${cmp} (@ka, @ki)` : '';
    return prepare(
      `SELECT ${PIPELINE_COLUMNS} FROM pipelines INDEXED BY pipelines_state_entered
         WHERE state = @state ${keyset} ${f.where}
         ORDER BY state_entered_at ${order}, id ${order} LIMIT @limit`,
    ).all({ ...f.params, state, limit, ...(key ? { ka: key.state_entered_at, ki: key.id } : {}) }) as PipelineRow[];
  };
  // Unfiltered, a position is an index-only count (the index holds state_entered_at, not id: ties
  // on the same millisecond are counted apart, with a few row reads).
  const position = `SELECT (SELECT COUNT(*) FROM pipelines INDEXED BY pipelines_state_entered WHERE state = @state AND state_entered_at > @ka)
                  + (SELECT COUNT(*) FROM pipelines INDEXED BY pipelines_state_entered WHERE state = @state AND state_entered_at = @ka AND id > @ki) AS n`;

  return {
    failedOlder: async (key, limit, filter, inclusive = false) => {
      if (limit <= 0) return [];
      const f = failedFilterSql(filter);
      const rows = filter.states.flatMap((s) => read(s, key ? (inclusive ? '<=' : '<') : null, key, 'DESC', limit, f));
      return rows.sort(compareFailed).slice(0, limit);
    },
    failedNewer: async (key, limit, filter) => {
      if (limit <= 0) return [];
      const f = failedFilterSql(filter);
      const rows = filter.states.flatMap((s) => read(s, key ? '>' : null, key, 'ASC', limit, f));
      // The `limit` nearest to `key`: the oldest of the newer rows.
      return rows.sort(compareFailed).slice(-limit);
    },
    failedTotal: async (filter) => {
      const f = failedFilterSql(filter);
      if (f.where === '') {
        const counts = stores.pipelines.countsByState();
        return { count: filter.states.reduce((n, s) => n + (counts[s] ?? 0), 0), capped: false };
      }
      let n = 0;
      for (const s of filter.states) {
        const r = prepare(
          `SELECT COUNT(*) AS n FROM (SELECT 1 FROM pipelines INDEXED BY pipelines_state_entered
           WHERE state = @state ${f.where} LIMIT ${FILTERED_COUNT_CAP + 1})`,
        ).get({ ...f.params, state: s }) as { n: number };
        n += r.n;
      }
      return { count: Math.min(n, FILTERED_COUNT_CAP), capped: n > FILTERED_COUNT_CAP };
    },
    failedPosition: async (key, filter) => {
      const f = failedFilterSql(filter);
      let n = 0;
      for (const s of filter.states) {
        if (f.where === '') {
          n += (prepare(position).get({ state: s, ka: key.state_entered_at, ki: key.id }) as { n: number }).n;
          continue;
        }
        const r = prepare(
          `SELECT COUNT(*) AS n FROM (SELECT 1 FROM pipelines INDEXED BY pipelines_state_entered
           WHERE state = @state AND (state_entered_at, id) > (@ka, @ki) ${f.where} LIMIT ${FILTERED_COUNT_CAP + 1})`,
        ).get({ ...f.params, state: s, ka: key.state_entered_at, ki: key.id }) as { n: number };
        n += Math.min(r.n, FILTERED_COUNT_CAP);
      }
      return f.where === '' ? n : Math.min(n, FILTERED_COUNT_CAP);
    },
    failedBook: async (id) => {
      const row = stores.pipelines.get(id);
      return row && (FAILED_STATES as readonly string[]).includes(row.state) ? row : undefined;
    },
  };
}
