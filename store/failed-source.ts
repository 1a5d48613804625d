/**
 * What the Failed tab reads: books in `failed` or `needs_retry`, most recently failed first, one
 * window at a time. Each state is read through `pipelines_state_entered (state,
 * state_entered_at)` newest first and the two short lists are merged here, so a window costs two
 * index range probes of a screenful each, at any depth and on a file with a million failed books.
 * The unfiltered count comes from the `pipeline_counts` aggregate; a filtered one stops at the
 * cap, as the Queue's and Audit's do.
 */
import type { Services } from '../src/services.js';
import type { PipelineRow } from '../src/db/pipeline-row.js';
import { PIPELINE_COLUMNS } from '../src/db/pipeline-row.js';
import { andTerms, FILTERED_COUNT_CAP, type CappedCount } from './sources.js';
import { likeSubstring, parseFilterWords } from './filter-grammar.js';

export const FAILED_STATES = ['failed', 'needs_retry'] as const;
export type FailedState = (typeof FAILED_STATES)[number];

/** Position in the list: newest first by (state_entered_at, id). */
export interface FailedKey {
  readonly state_entered_at: number;
  readonly id: string;
}

export const failedKeyOf = (r: FailedKey): FailedKey => ({ state_entered_at: r.state_entered_at, id: r.id });

/** Newest first: a before b when a entered its state later (ties: the larger id first). */
export function compareFailed(a: FailedKey, b: FailedKey): number {
  if (a.state_entered_at !== b.state_entered_at) return b.state_entered_at - a.state_entered_at;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

interface FilterSql {
  readonly states: readonly FailedState[];
  readonly where: string;
  readonly params: Record<string, unknown>;
}

/**
 * The shared grammar: bare words by substring over the title, path and the error text;
 * `state:failed` / `state:needs_retry`, `type:`, `id:` exact.
 */
export function failedFilterSql(text: string): FilterSql {
  const { words, fields } = parseFilterWords(text);
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  words.forEach((w, i) => {
    where.push(
      `(source_path LIKE @w${i} ESCAPE '\\' OR error_json LIKE @w${i} ESCAPE '\\' OR json_extract(profile_json, '$.title') LIKE @w${i} ESCAPE '\\')`,
    );
    params[`w${i}`] = likeSubstring(w);
  });
  const wanted = fields.state?.toLowerCase();
  const states = FAILED_STATES.filter((s) => wanted === undefined || s === wanted);
  return { states, where: andTerms(where, fields, params), params };
}

export class FailedSource {
  constructor(private readonly services: Pick<Services, 'db' | 'pipelines'>) {}

  private read(state: FailedState, cmp: '<' | '>' | '<=' | null, key: FailedKey | undefined, order: 'DESC' | 'ASC', limit: number, f: FilterSql): PipelineRow[] {
    const keyset = cmp && key ? `AND (state_entered_at, id) ${cmp} (@ka, @ki)` : '';
    return this.services.db
      .prepare(
        `SELECT ${PIPELINE_COLUMNS} FROM pipelines INDEXED BY pipelines_state_entered
         WHERE state = @state ${keyset} ${f.where}
         ORDER BY state_entered_at ${order}, id ${order} LIMIT @limit`,
      )
      .all({ ...f.params, state, limit, ...(key ? { ka: key.state_entered_at, ki: key.id } : {}) }) as PipelineRow[];
  }

  /** Up to `limit` rows after `key` (older; from the newest when undefined), newest first. */
  older(key: FailedKey | undefined, limit: number, filter = '', inclusive = false): PipelineRow[] {
    if (limit <= 0) return [];
    const f = failedFilterSql(filter);
    const rows = f.states.flatMap((s) => this.read(s, key ? (inclusive ? '<=' : '<') : null, key, 'DESC', limit, f));
    return rows.sort(compareFailed).slice(0, limit);
  }

  /** Up to `limit` rows just before `key` (newer), newest first; the oldest rows when undefined. */
  newer(key: FailedKey | undefined, limit: number, filter = ''): PipelineRow[] {
    if (limit <= 0) return [];
    const f = failedFilterSql(filter);
    const rows = f.states.flatMap((s) => this.read(s, key ? '>' : null, key, 'ASC', limit, f));
    // The `limit` nearest to `key`: the oldest of the newer rows.
    return rows.sort(compareFailed).slice(-limit);
  }

  total(filter = ''): CappedCount {
    const f = failedFilterSql(filter);
    if (f.where === '') {
      const counts = this.services.pipelines.countsByState();
      return { count: f.states.reduce((n, s) => n + (counts[s] ?? 0), 0), capped: false };
    }
    let n = 0;
    for (const s of f.states) {
      const r = this.services.db
        .prepare(
          `SELECT COUNT(*) AS n FROM (SELECT 1 FROM pipelines INDEXED BY pipelines_state_entered
           WHERE state = @state ${f.where} LIMIT ${FILTERED_COUNT_CAP + 1})`,
        )
        .get({ ...f.params, state: s }) as { n: number };
      n += r.n;
    }
    return { count: Math.min(n, FILTERED_COUNT_CAP), capped: n > FILTERED_COUNT_CAP };
  }

  /**
   * 0-based position of `key` (rows newer than it). Unfiltered it is an index-only count (the
   * index holds state_entered_at, not id: ties on the same millisecond are counted apart, with a
   * few row reads), as exact at row 900,000 as the Queue's; filtered it stops at the cap.
   */
  positionOf(key: FailedKey, filter = ''): number {
    const f = failedFilterSql(filter);
    let n = 0;
    for (const s of f.states) {
      if (f.where === '') {
        const r = this.services.db
          .prepare(
            `SELECT (SELECT COUNT(*) FROM pipelines INDEXED BY pipelines_state_entered WHERE state = @state AND state_entered_at > @ka)
                  + (SELECT COUNT(*) FROM pipelines INDEXED BY pipelines_state_entered WHERE state = @state AND state_entered_at = @ka AND id > @ki) AS n`,
          )
          .get({ state: s, ka: key.state_entered_at, ki: key.id }) as { n: number };
        n += r.n;
        continue;
      }
      const r = this.services.db
        .prepare(
          `SELECT COUNT(*) AS n FROM (SELECT 1 FROM pipelines INDEXED BY pipelines_state_entered
           WHERE state = @state AND (state_entered_at, id) > (@ka, @ki) ${f.where} LIMIT ${FILTERED_COUNT_CAP + 1})`,
        )
        .get({ ...f.params, state: s, ka: key.state_entered_at, ki: key.id }) as { n: number };
      n += Math.min(r.n, FILTERED_COUNT_CAP);
    }
    return f.where === '' ? n : Math.min(n, FILTERED_COUNT_CAP);
  }

  /** The book if it is still failed or waiting for a retry. */
  current(id: string): PipelineRow | undefined {
    const row = this.services.pipelines.get(id);
    return row && (FAILED_STATES as readonly string[]).includes(row.state) ? row : undefined;
  }
}
