/**
 * The built-in offline embedder: the hashing trick over word unigrams and bigrams. Not semantic
 * in the neural sense, but texts that share vocabulary land close together, it needs no model
 * download, and the same text always gives the same vector.
 */
import { z } from 'zod';
import { throwIfAborted } from './text.js';
import type { Embedder, StageOptions } from './types.js';

export { DEFAULT_EMBEDDING_DIMS, tokenize, hashingEmbedding };
import { DEFAULT_EMBEDDING_DIMS, tokenize, hashingEmbedding } from './hashing-embedding.js';

export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

export class HashingEmbedder implements Embedder {
  readonly name: string;
  constructor(readonly dims = DEFAULT_EMBEDDING_DIMS) {
    this.name = `hashing-${dims}`;
  }
  async embed(texts: readonly string[], options: StageOptions = {}): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (const text of texts) {
      throwIfAborted(options.signal);
      out.push(hashingEmbedding(text, this.dims));
    }
    return out;
  }
}

export const EmbedderConfigSchema = z.object({
  kind: z.literal('hashing').default('hashing'),
  dims: z.number().int().min(8).max(8192).default(DEFAULT_EMBEDDING_DIMS),
});
export type EmbedderConfig = z.input<typeof EmbedderConfigSchema>;

export function createEmbedder(config: EmbedderConfig = {}): Embedder {
  const parsed = EmbedderConfigSchema.parse(config);
  return new HashingEmbedder(parsed.dims);
}

