/**
 * How many books a batch may touch when its filter names no `max_count`: a filter that matches
 * more is refused, so a loose filter cannot approve a whole library by accident.
 */
export const DEFAULT_BATCH_MAX_COUNT = 50;

/** A batch's max: its filter's `max_count`, else the configured default, else DEFAULT_BATCH_MAX_COUNT. */
export function batchMaxCount(filter: { max_count?: number | undefined }, configured?: number): number {
  return filter.max_count ?? configured ?? DEFAULT_BATCH_MAX_COUNT;
}
