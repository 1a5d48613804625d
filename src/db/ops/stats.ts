/** StatsOps: filled in by the store-surface work (#14). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface StatsOps {}
