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

/** Little-endian float32 bytes, for storing a vector in a BLOB column; independent of host byte order. */
export function embeddingToBytes(vector: Float32Array): Uint8Array {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  vector.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return bytes;
}

export function embeddingFromBytes(bytes: Uint8Array): Float32Array {
  if (bytes.length % 4 !== 0) throw new RangeError(`embedding blob of ${bytes.length} bytes is not a whole number of float32 values`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
