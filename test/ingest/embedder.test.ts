import { describe, expect, it } from 'vitest';
import { cosineSimilarity, createEmbedder, hashingEmbedding } from '../../src/ingest/index.js';
import { embeddingFromBytes, embeddingToBytes } from '../../src/db/embedding-bytes.js';

const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('hashing embedder', () => {
  it('returns one L2-normalised vector of the configured size per text', async () => {
    const embedder = createEmbedder({ dims: 64 });
    expect(embedder.dims).toBe(64);
    const vectors = await embedder.embed(['The harbour at dawn.', 'Install the package with npm.', 'x']);
    expect(vectors).toHaveLength(3);
    for (const v of vectors) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v.length).toBe(64);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
  });

  it('defaults to 256 dimensions', async () => {
    const [v] = await createEmbedder().embed(['hello world']);
    expect(v!.length).toBe(256);
  });

  it('is deterministic across calls and instances', async () => {
    const text = 'Getting there: the airport is 12 km from the centre.';
    const [a] = await createEmbedder().embed([text]);
    const [b] = await createEmbedder().embed([text]);
    expect(Array.from(a!)).toEqual(Array.from(b!));
  });

  it('puts texts that share vocabulary closer than unrelated ones', () => {
    const a = hashingEmbedding('the hotel near the cathedral has rooms with breakfast included');
    const b = hashingEmbedding('rooms at the hotel by the cathedral include breakfast');
    const c = hashingEmbedding('install the compiler and run the unit tests from the terminal');
    expect(cosineSimilarity(a, b)).toBeGreaterThan(cosineSimilarity(a, c) + 0.2);
  });

  it('is case-insensitive and ignores punctuation', () => {
    expect(Array.from(hashingEmbedding('Hello, World!'))).toEqual(Array.from(hashingEmbedding('hello world')));
  });

  it('gives a zero vector for text with no words rather than NaNs', () => {
    const v = hashingEmbedding('  ... ');
    expect(v.every((x) => x === 0)).toBe(true);
  });

  it('rejects out-of-range dimensions and stops when aborted', async () => {
    expect(() => createEmbedder({ dims: 2 })).toThrow();
    const controller = new AbortController();
    controller.abort();
    await expect(createEmbedder().embed(['a'], { signal: controller.signal })).rejects.toThrow(/abort/i);
  });

  it('round-trips a vector through its BLOB bytes exactly', () => {
    const v = hashingEmbedding('a vector for the database');
    const bytes = embeddingToBytes(v);
    expect(bytes.length).toBe(v.length * 4);
    expect(Array.from(embeddingFromBytes(bytes))).toEqual(Array.from(v));
    expect(() => embeddingFromBytes(new Uint8Array(5))).toThrow(/not a whole number/);
  });
});
