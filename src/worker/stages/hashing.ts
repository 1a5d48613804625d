/**
 * hashing: streaming SHA-256 of the file (in the thread pool) and format detection from its
 * head. A file whose content another live pipeline holds (complete, or in flight elsewhere)
 * becomes a terminal `duplicate` pointing at it; the check and the write of content_hash happen
 * in the same transaction (the engine's stage commit finds the live copy, this rule decides), so the unique index `pipelines_live_content` can never be
 * violated by two workers hashing copies at once. The book queued first is the original: when
 * the live copy was queued later and is not yet past hashing, the copy becomes the duplicate
 * (also while it is classifying or selecting a strategy: nothing is built on it before processing).
 */
import type { LiveCopy, LiveCopyDecision } from '../../db/ops/library.js';
import type { PipelineRow } from '../../db/pipeline-row.js';
import type { Stage, StageContext, StageResult } from '../stage.js';
import type { TaskOutput } from '../tasks.js';

/**
 * States in which a later-queued copy gives way to the book queued first: nothing has been built
 * on it yet (processing writes the library rows; from there on the copy is kept as it is).
 */
const YIELDING_STATES = new Set(['detected', 'hashing', 'classifying', 'selecting_strategy']);

/** The duplicate rule, decided inside the commit on the live copy the engine found. */
export function decideLiveCopy(self: PipelineRow, actor: string, hashed: TaskOutput<'hash'>, copy: LiveCopy): LiveCopyDecision {
  const other = copy.row;
  if (copy.selfQueuedFirst && YIELDING_STATES.has(other.state)) {
    // This book was queued first: it is the original, whichever worker hashed first. The copy
    // (not yet past hashing) becomes the duplicate; a worker hashing it loses its
    // compare-and-swap and lets it go.
    return {
      kind: 'demote',
      to: 'duplicate',
      note: `same content as ${self.id.slice(0, 8)}, queued before it`,
      patch: { duplicate_of: self.id },
      audit: {
        action: 'DUPLICATE_DETECTED',
        actor,
        pipeline_id: other.id,
        before: other.state,
        after: 'duplicate',
        details: { duplicate_of: self.id, original_state: self.state, source_path: other.source_path, reason: 'queued after the original' },
      },
    };
  }
  return {
    kind: 'instead',
    outcome: {
      to: 'duplicate',
      patch: { content_hash: hashed.hash, size: hashed.size, format: hashed.format, duplicate_of: other.id },
      note: `same content as ${other.id.slice(0, 8)} (${other.state})`,
      audit: [
        {
          action: 'DUPLICATE_DETECTED',
          actor,
          pipeline_id: self.id,
          before: 'hashing',
          after: 'duplicate',
          details: { duplicate_of: other.id, original_state: other.state, source_path: self.source_path },
        },
      ],
    },
  };
}

export const hashingStage: Stage = {
  name: 'hashing',
  async run(ctx: StageContext): Promise<StageResult> {
    const p = ctx.pipeline;
    const { hash, size, format } = await ctx.runner.run('hash', { path: p.source_path }, ctx.signal);
    return {
      to: 'classifying',
      patch: { content_hash: hash, size, format },
      info: { size, format, hash: hash.slice(0, 12) },
      liveCopy: { hash, decide: (copy) => decideLiveCopy(p, ctx.actor, { hash, size, format }, copy) },
    };
  },
};
