/** ActionOps: one person's (or rule's) action on one book, each one transaction with its audit row. Filled in by #14. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ActionOps {}
