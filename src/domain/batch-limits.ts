/**
 * How many books a batch may touch when its filter names no `max_count`: a filter that matches
 * more is refused, so a loose filter cannot approve a whole library by accident.
 */
export const DEFAULT_BATCH_MAX_COUNT = 50;
