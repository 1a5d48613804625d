/**
 * The pipeline state machine: the only place that says which states exist and which moves between
 * them are legal. Every store write that changes `state` checks `canTransition` first and then
 * compare-and-swaps on the current state in SQL.
 */

export const STATES = [
  'detected',
  'hashing',
  'classifying',
  'selecting_strategy',
  'processing',
  'validating',
  'pending_approval',
  'approved',
  'embedding',
  'complete',
  'needs_retry',
  'failed',
  'rejected',
  'archived',
  'duplicate',
] as const;

export type PipelineState = (typeof STATES)[number];

/** States a worker may claim from: waiting for a worker, not held by one. */
export const CLAIMABLE_STATES = ['detected', 'needs_retry', 'approved'] as const satisfies readonly PipelineState[];

/** States in which a worker holds the book under a lease and runs a stage. */
export const WORKING_STATES = [
  'hashing',
  'classifying',
  'selecting_strategy',
  'processing',
  'validating',
  'embedding',
] as const satisfies readonly PipelineState[];

/** States nothing moves a book out of automatically. */
export const TERMINAL_STATES = ['complete', 'failed', 'rejected', 'archived', 'duplicate'] as const satisfies readonly PipelineState[];

/**
 * Where a claim moves a book: the first working state for what it is waiting for. A retried book
 * starts over from hashing (stages are idempotent: library rows are replaced, not appended).
 */
export const CLAIM_TARGET: Record<(typeof CLAIMABLE_STATES)[number], PipelineState> = {
  detected: 'hashing',
  needs_retry: 'hashing',
  approved: 'embedding',
};

/** Legal moves. A working state may always fall to needs_retry or failed. */
export const TRANSITIONS: Record<PipelineState, readonly PipelineState[]> = {
  detected: ['hashing', 'duplicate', 'failed', 'rejected'],
  hashing: ['classifying', 'duplicate', 'needs_retry', 'failed', 'rejected', 'detected'],
  // → duplicate: a later-queued copy gives way to the book queued first (nothing is built yet).
  classifying: ['selecting_strategy', 'duplicate', 'needs_retry', 'failed', 'rejected', 'detected'],
  selecting_strategy: ['processing', 'duplicate', 'needs_retry', 'failed', 'rejected', 'detected'],
  processing: ['validating', 'needs_retry', 'failed', 'rejected', 'detected'],
  // validating → processing is the single re-run with a fallback strategy.
  validating: ['pending_approval', 'processing', 'needs_retry', 'failed', 'rejected', 'detected'],
  pending_approval: ['approved', 'rejected'],
  approved: ['embedding', 'rejected'],
  embedding: ['complete', 'needs_retry', 'failed', 'rejected', 'approved'],
  complete: ['archived'],
  // A retried book that had been approved resumes at embedding (what claimNext does).
  needs_retry: ['hashing', 'embedding', 'detected', 'failed', 'rejected'],
  // Re-queueing: a rejected or archived book can be sent through again.
  failed: ['detected', 'needs_retry', 'archived'],
  rejected: ['detected', 'archived'],
  archived: ['detected'],
  duplicate: ['detected'],
};

const stateSet = new Set<string>(STATES);

export function isPipelineState(value: string): value is PipelineState {
  return stateSet.has(value);
}

export function canTransition(from: PipelineState, to: PipelineState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isWorkingState(state: PipelineState): boolean {
  return (WORKING_STATES as readonly string[]).includes(state);
}

export function isClaimableState(state: PipelineState): boolean {
  return (CLAIMABLE_STATES as readonly string[]).includes(state);
}

export function isTerminalState(state: PipelineState): boolean {
  return (TERMINAL_STATES as readonly string[]).includes(state);
}

export const MIN_PRIORITY = 1;
export const MAX_PRIORITY = 10;
export const DEFAULT_PRIORITY = 5;

export const BOOK_TYPES = [
  'technical_tutorial',
  'technical_reference',
  'textbook',
  'narrative_nonfiction',
  'fiction',
  'periodical',
  'research_collection',
  'travel_guide',
  'unknown',
] as const;
export type BookType = (typeof BOOK_TYPES)[number];
