/**
 * How a vector is stored: the storage format of the `chunks.embedding` BLOB (both engines), so it
 * lives with the database code, not with the embedders that make vectors.
 */
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
