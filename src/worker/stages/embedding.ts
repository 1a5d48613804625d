/**
 * embedding: one vector per stored chunk, by the configured embedder (built-in: offline
 * feature-hashed vectors computed in the thread pool; or an external command, see
 * ingest/external-embedder.ts), written in one transaction with the move to complete. The
 * embedder's name and dimension are stored in result_json.embedding.
 */
import { PermanentError } from '../../domain/errors.js';
import type { Stage, StageContext, StageResult } from '../stage.js';

export const embeddingStage: Stage = {
  name: 'embedding',
  async run(ctx: StageContext): Promise<StageResult> {
    const p = ctx.pipeline;
    const rows = await ctx.engine.library.chunks(p.id);
    if (rows.length === 0) {
      throw new PermanentError('no chunks are stored for this book, nothing to embed (library rows missing)', 'no_chunks');
    }
    const texts = rows.map((r) => r.text);
    const custom = ctx.settings.embedder;
    const vectors = custom
      ? await custom.embed(texts, { signal: ctx.signal })
      : await ctx.runner.run('embed', { texts, dims: ctx.settings.embeddingDims }, ctx.signal);
    if (vectors.length !== rows.length) {
      throw new PermanentError(`embedder returned ${vectors.length} vectors for ${rows.length} chunks`, 'embedder_mismatch');
    }
    const dims = vectors[0]?.length ?? 0;
    // Every vector of a book has the embedder's dimension, checked before anything is stored
    // (an external command checks its own answers too; an in-process override may not).
    const expected = custom ? custom.dims : ctx.settings.embeddingDims;
    const wrong = vectors.findIndex((v) => v.length !== expected);
    if (wrong >= 0) {
      throw new PermanentError(`embedder returned a vector of dimension ${vectors[wrong]!.length} for chunk ${wrong}, expected ${expected}`, 'embedder_dims');
    }
    const name = custom ? custom.name : `hashing-${ctx.settings.embeddingDims}`;
    let result: Record<string, unknown> = {};
    try {
      result = p.result_json ? (JSON.parse(p.result_json) as Record<string, unknown>) : {};
    } catch {
      result = {};
    }
    result.embedding = { embedder: name, dims, chunks: rows.length };
    return {
      to: 'complete',
      patch: { result_json: JSON.stringify(result), error_json: null },
      info: { embedder: name, chunks: rows.length, dims },
      library: { kind: 'embeddings', vectors: rows.map((r, i) => ({ id: r.id, vector: vectors[i]! })) },
    };
  },
};
