/**
 * Pipelines: one book's row, found, moved and patched. Every method is one transaction in the
 * engine (a transition writes its history row and count in it, by trigger or statement).
 */
import type { PipelineRow } from '../pipeline-row.js';
import type { AdvanceOutcome, HeldTransition, ListOptions, NewPipeline, TransitionRequest } from '../pipelines.js';

export interface PipelineOps {
  get(id: string): Promise<PipelineRow | undefined>;
  /** Must exist (NotFoundError otherwise); `id` is a full id. */
  require(id: string): Promise<PipelineRow>;
  /** A full id from an id or a unique prefix (InputError when ambiguous, NotFoundError when none). */
  resolveId(idOrPrefix: string): Promise<string>;
  insert(input: NewPipeline): Promise<PipelineRow>;
  /** Checked against the transition table; compare-and-swap on state (+ lease token, + version). */
  transition(req: TransitionRequest): Promise<PipelineRow>;
  /** A lease holder's group transition: each book its own CAS; losers are refused, the rest move. */
  advanceMany(items: readonly HeldTransition[], options: { actor: string; releaseLease?: boolean }): Promise<AdvanceOutcome>;
  /** Newest first, keyset-paged. */
  list(options?: ListOptions): Promise<PipelineRow[]>;
  /** Counts by state from the maintained aggregate. */
  countsByState(): Promise<Record<string, number>>;
  /** The live book holding this content, if any. */
  findLiveByHash(hash: string): Promise<PipelineRow | undefined>;
  findByHash(hash: string): Promise<PipelineRow[]>;
}
