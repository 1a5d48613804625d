/**
 * The library tables (books, chapters, chunks): what a processed book contributes. The rows are
 * written by the engine (`engine.library`, src/db/ops/library.ts) in the same transaction as the
 * book's state change, so a cancelled or failed stage never leaves half a book behind; these are
 * the shapes, for code outside src/db.
 */
export type { LibraryBook, LibraryChapter, LibraryChunk, LibraryCounts, LibraryWrite, StoredChunk } from '../db/ops/library.js';

export { embeddingFromBytes as decodeEmbedding } from '../db/embedding-bytes.js';
