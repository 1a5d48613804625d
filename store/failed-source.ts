/**
 * What the Failed tab reads: books in `failed` or `needs_retry`, most recently failed first, one
 * window at a time, through the engine's WindowOps (two index range probes of a screenful each,
 * at any depth). The unfiltered count is exact; a filtered one stops at the cap, as the Queue's
 * and Audit's do.
 */
import type { EngineServices } from '../src/services.js';
import type { PipelineRow } from '../src/db/pipeline-row.js';
import { FAILED_STATES, type BookTerm, type CappedCount, type FailedFilter, type FailedKey } from '../src/db/ops/windows.js';
import { exactTerms } from './sources.js';
import { parseFilterWords } from './filter-grammar.js';

export { compareFailed, FAILED_STATES } from '../src/db/ops/windows.js';
export type { FailedKey, FailedState } from '../src/db/ops/windows.js';

export const failedKeyOf = (r: FailedKey): FailedKey => ({ state_entered_at: r.state_entered_at, id: r.id });

/**
 * The shared grammar: bare words by substring over the title, path and the error text;
 * `state:failed` / `state:needs_retry`, `type:`, `id:` exact.
 */
export function parseFailedFilter(text: string): FailedFilter {
  const { words, fields } = parseFilterWords(text);
  const wanted = fields.state?.toLowerCase();
  const terms: BookTerm[] = words.map((w) => ({ kind: 'text', value: w }));
  return { states: FAILED_STATES.filter((s) => wanted === undefined || s === wanted), terms: [...terms, ...exactTerms(fields)] };
}

export class FailedSource {
  constructor(private readonly services: Pick<EngineServices, 'engine'>) {}

  private get windows() {
    return this.services.engine.windows;
  }

  /** Up to `limit` rows after `key` (older; from the newest when undefined), newest first. */
  older(key: FailedKey | undefined, limit: number, filter = '', inclusive = false): Promise<PipelineRow[]> {
    return this.windows.failedOlder(key && failedKeyOf(key), limit, parseFailedFilter(filter), inclusive);
  }

  /** Up to `limit` rows just before `key` (newer), newest first; the oldest rows when undefined. */
  newer(key: FailedKey | undefined, limit: number, filter = ''): Promise<PipelineRow[]> {
    return this.windows.failedNewer(key && failedKeyOf(key), limit, parseFailedFilter(filter));
  }

  total(filter = ''): Promise<CappedCount> {
    return this.windows.failedTotal(parseFailedFilter(filter));
  }

  /** 0-based position of `key` (rows newer than it), as exact at row 900,000 as the Queue's; filtered it stops at the cap. */
  positionOf(key: FailedKey, filter = ''): Promise<number> {
    return this.windows.failedPosition(failedKeyOf(key), parseFailedFilter(filter));
  }

  /** The book if it is still failed or waiting for a retry. */
  current(id: string): Promise<PipelineRow | undefined> {
    return this.windows.failedBook(id);
  }
}
