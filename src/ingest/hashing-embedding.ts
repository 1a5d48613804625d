/**
 * The hashing-trick embedding itself, free of zod so a pool thread loads only this (see
 * embedder.ts for the Embedder class and its config schema).
 */
export const DEFAULT_EMBEDDING_DIMS = 256;

/** FNV-1a, 32-bit: fast, stable across platforms and Node versions. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function tokenize(text: string): string[] {
  return text.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu) ?? [];
}

/**
 * One L2-normalised vector. Each feature goes to bucket hash % dims with a sign from another hash
 * bit, so collisions cancel out on average instead of piling up. An empty text gives the zero
 * vector (there is nothing to normalise).
 */
export function hashingEmbedding(text: string, dims = DEFAULT_EMBEDDING_DIMS): Float32Array {
  const counts = new Map<string, number>();
  const tokens = tokenize(text);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    counts.set(t, (counts.get(t) ?? 0) + 1);
    const next = tokens[i + 1];
    if (next !== undefined) {
      const bigram = `${t} ${next}`;
      counts.set(bigram, (counts.get(bigram) ?? 0) + 0.5);
    }
  }
  const acc = new Float64Array(dims);
  for (const [feature, tf] of counts) {
    const h = fnv1a(feature);
    const sign = (h >>> 31) === 1 ? -1 : 1;
    // sub-linear term frequency: a word used 40 times is not 40 times more telling
    acc[h % dims]! += sign * (1 + Math.log(tf));
  }
  let norm = 0;
  for (const v of acc) norm += v * v;
  norm = Math.sqrt(norm);
  const out = new Float32Array(dims);
  if (norm > 0) for (let i = 0; i < dims; i++) out[i] = acc[i]! / norm;
  return out;
}
