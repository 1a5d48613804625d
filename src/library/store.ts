/**
 * The library tables (books, chapters, chunks): what a processed book contributes. Writes are
 * meant to run inside the caller's immediate transaction together with the book's state change,
 * so a cancelled or failed stage never leaves half a book behind.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/db.js';
import { embeddingToBytes } from '../ingest/embedder.js';

export interface LibraryChapter {
  ord: number;
  title: string;
  wordCount: number;
}

export interface LibraryChunk {
  ord: number;
  /** ord of the chapter the chunk starts in. */
  chapterOrd: number;
  text: string;
  wordCount: number;
}

export interface LibraryBook {
  pipelineId: string;
  title: string | null;
  author: string | null;
  language: string | null;
  format: string | null;
  bookType: string | null;
  strategy: string | null;
  chapters: readonly LibraryChapter[];
  chunks: readonly LibraryChunk[];
  createdAt: number;
}

export interface StoredChunk {
  id: number;
  ord: number;
  text: string;
}

export class LibraryStore {
  private readonly delChunks: Statement;
  private readonly delChapters: Statement;
  private readonly delBook: Statement;
  private readonly insBook: Statement;
  private readonly insChapter: Statement;
  private readonly insChunk: Statement;
  private readonly setEmbedding: Statement;
  private readonly chunksOf: Statement<[string], StoredChunk>;

  constructor(readonly db: Db) {
    this.delChunks = db.prepare('DELETE FROM chunks WHERE pipeline_id = ?');
    this.delChapters = db.prepare('DELETE FROM chapters WHERE pipeline_id = ?');
    this.delBook = db.prepare('DELETE FROM books WHERE pipeline_id = ?');
    this.insBook = db.prepare(`
      INSERT INTO books (pipeline_id, title, author, language, format, book_type, strategy,
        chapter_count, chunk_count, word_count, created_at)
      VALUES (@pipeline_id, @title, @author, @language, @format, @book_type, @strategy,
        @chapter_count, @chunk_count, @word_count, @created_at)`);
    this.insChapter = db.prepare(
      'INSERT INTO chapters (pipeline_id, ord, title, word_count) VALUES (?, ?, ?, ?)',
    );
    this.insChunk = db.prepare(
      'INSERT INTO chunks (pipeline_id, chapter_id, ord, text, word_count) VALUES (?, ?, ?, ?, ?)',
    );
    this.setEmbedding = db.prepare('UPDATE chunks SET embedding = ? WHERE id = ? AND pipeline_id = ?');
    this.chunksOf = db.prepare('SELECT id, ord, text FROM chunks WHERE pipeline_id = ? ORDER BY ord');
  }

  private requireTx(what: string): void {
    if (!this.db.inTransaction) throw new Error(`LibraryStore.${what} must run inside the caller's transaction`);
  }

  /** Removes every library row of a book (chunks, chapters, book). Idempotent. */
  deleteBook(pipelineId: string): void {
    this.requireTx('deleteBook');
    this.delChunks.run(pipelineId);
    this.delChapters.run(pipelineId);
    this.delBook.run(pipelineId);
  }

  /** Replaces the book's rows: deletes any earlier ones first, so re-running a stage is idempotent. */
  replaceBook(book: LibraryBook): { chapters: number; chunks: number } {
    this.requireTx('replaceBook');
    this.deleteBook(book.pipelineId);
    const words = book.chapters.reduce((s, c) => s + c.wordCount, 0);
    this.insBook.run({
      pipeline_id: book.pipelineId,
      title: book.title,
      author: book.author,
      language: book.language,
      format: book.format,
      book_type: book.bookType,
      strategy: book.strategy,
      chapter_count: book.chapters.length,
      chunk_count: book.chunks.length,
      word_count: words,
      created_at: book.createdAt,
    });
    const chapterIds = new Map<number, number>();
    for (const c of book.chapters) {
      const info = this.insChapter.run(book.pipelineId, c.ord, c.title, c.wordCount);
      chapterIds.set(c.ord, Number(info.lastInsertRowid));
    }
    for (const k of book.chunks) {
      const chapterId = chapterIds.get(k.chapterOrd);
      if (chapterId === undefined) throw new Error(`chunk ${k.ord} refers to unknown chapter ${k.chapterOrd}`);
      this.insChunk.run(book.pipelineId, chapterId, k.ord, k.text, k.wordCount);
    }
    return { chapters: book.chapters.length, chunks: book.chunks.length };
  }

  chunks(pipelineId: string): StoredChunk[] {
    return this.chunksOf.all(pipelineId);
  }

  /** Stores one vector per chunk id (little-endian float32 BLOBs). */
  writeEmbeddings(pipelineId: string, vectors: readonly { id: number; vector: Float32Array }[]): number {
    this.requireTx('writeEmbeddings');
    let n = 0;
    for (const v of vectors) {
      const blob = Buffer.from(embeddingToBytes(v.vector));
      n += this.setEmbedding.run(blob, v.id, pipelineId).changes;
    }
    return n;
  }

  counts(pipelineId: string): { chapters: number; chunks: number; embedded: number } {
    const r = this.db
      .prepare(
        `SELECT (SELECT COUNT(*) FROM chapters WHERE pipeline_id = @id) AS chapters,
                (SELECT COUNT(*) FROM chunks WHERE pipeline_id = @id) AS chunks,
                (SELECT COUNT(*) FROM chunks WHERE pipeline_id = @id AND embedding IS NOT NULL) AS embedded`,
      )
      .get({ id: pipelineId }) as { chapters: number; chunks: number; embedded: number };
    return r;
  }
}

export { embeddingFromBytes as decodeEmbedding } from '../ingest/embedder.js';
