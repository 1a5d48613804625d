/**
 * The contract between the Worker and one stage. A stage does its work (off the main thread
 * where it is heavy), honours `signal`, and returns what should be committed: the next state,
 * columns to set, and any library rows or audit entries, all as data. The Worker commits all of
 * it as ONE engine operation (`engine.library.commitStage`, one transaction) together with the
 * lease-checked state change, so a stage that is cancelled or fails has written nothing.
 */
import type { Engine } from '../db/engine.js';
import type { PipelineRow } from '../db/pipeline-row.js';
import type { StageCommit, StageOutcome } from '../db/ops/library.js';
import type { Clock } from '../domain/clock.js';
import type { Chunk, Classification, Classifier, Embedder, ExtractedBook, Strategy, ValidationResult } from '../ingest/types.js';
import type { StrategySet } from '../ingest/strategies.js';
import type { TaskRunner } from './pool.js';
import type { Logger } from './logger.js';

export type StageName = 'hashing' | 'classifying' | 'selecting_strategy' | 'processing' | 'validating' | 'embedding';
export const STAGE_NAMES: readonly StageName[] = ['hashing', 'classifying', 'selecting_strategy', 'processing', 'validating', 'embedding'];

/** What strategy_json holds. */
export interface StrategyRecord {
  name: string;
  reason: string;
  strategy: Strategy;
  /** Set when this is the single re-run after the named strategy failed validation. */
  fallback_from?: string;
  previous_failures?: string[];
}

/** Results carried from one stage to the next while the worker holds the book. */
export interface BookMemo {
  extracted?: ExtractedBook;
  classification?: Classification;
  strategy?: StrategyRecord;
  chunks?: Chunk[];
  validation?: ValidationResult;
}

export interface WorkerSettings {
  classifier: Classifier | 'builtin';
  /** undefined = the built-in hashing embedder, run in the thread pool. */
  embedder: Embedder | undefined;
  embeddingDims: number;
  strategies: StrategySet;
  lowConfidenceThreshold: number;
}

export interface StageContext {
  readonly workerId: string;
  readonly actor: string;
  readonly pipeline: PipelineRow;
  readonly leaseToken: string;
  readonly signal: AbortSignal;
  /** For reads a stage needs (embedding reads the stored chunks); stages never write. */
  readonly engine: Engine;
  readonly clock: Clock;
  readonly runner: TaskRunner;
  readonly settings: WorkerSettings;
  readonly memo: BookMemo;
  readonly log: Logger;
}

/** The next state, columns, library write and audit entries (StageOutcome, src/db/ops/library.ts). */
export interface StageResult extends StageOutcome {
  /**
   * Checked first inside the commit: another live book holding this content, and what to do
   * about it (hashing's duplicate rule). A synchronous, pure decision.
   */
  liveCopy?: StageCommit['liveCopy'];
  /** Extra fields for the stage's log line. */
  info?: Record<string, unknown>;
}

export interface Stage {
  readonly name: StageName;
  run(ctx: StageContext): Promise<StageResult>;
}
