/**
 * The SQLite LibraryOps: the library tables and the worker's stage commit. Library writes run
 * only inside the commit's immediate transaction together with the book's state change.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db.js';
import { immediate } from '../db.js';
import type { SqliteStores } from './engine.js';
import type { LibraryBook, LibraryCounts, LibraryOps, LibraryWrite, StageCommit, StageFailure, StoredChunk } from '../ops/library.js';
import type { PipelineRow } from '../pipeline-row.js';
import { PIPELINE_COLUMNS } from '../pipeline-row.js';
import { embeddingToBytes } from '../embedding-bytes.js';

/** The library tables of one connection; statements prepared once. */
export class LibraryTables {
  private readonly delChunks: Statement;
  private readonly delChapters: Statement;
  private readonly delBook: Statement;
  private readonly insBook: Statement;
  private readonly insChapter: Statement;
  private readonly insChunk: Statement;
  private readonly setEmbedding: Statement;
  private readonly chunksOf: Statement<[string], StoredChunk>;
  private readonly countsOf: Statement<[{ id: string }], LibraryCounts>;

  constructor(readonly db: Db) {
    this.delChunks = db.prepare('DELETE FROM chunks WHERE pipeline_id = ?');
    this.delChapters = db.prepare('DELETE FROM chapters WHERE pipeline_id = ?');
    this.delBook = db.prepare('DELETE FROM books WHERE pipeline_id = ?');
    this.insBook = db.prepare(`
      INSERT INTO books (pipeline_id, title, author, language, format, book_type, strategy,
        chapter_count, chunk_count, word_count, created_at)
      VALUES (@pipeline_id, @title, @author, @language, @format, @book_type, @strategy,
        @chapter_count, @chunk_count, @word_count, @created_at)`);
    this.insChapter = db.prepare('INSERT INTO chapters (pipeline_id, ord, title, word_count) VALUES (?, ?, ?, ?)');
    this.insChunk = db.prepare('INSERT INTO chunks (pipeline_id, chapter_id, ord, text, word_count) VALUES (?, ?, ?, ?, ?)');
    this.setEmbedding = db.prepare('UPDATE chunks SET embedding = ? WHERE id = ? AND pipeline_id = ?');
    this.chunksOf = db.prepare('SELECT id, ord, text FROM chunks WHERE pipeline_id = ? ORDER BY ord');
    this.countsOf = db.prepare(
      `SELECT (SELECT COUNT(*) FROM chapters WHERE pipeline_id = @id) AS chapters,
              (SELECT COUNT(*) FROM chunks WHERE pipeline_id = @id) AS chunks,
              (SELECT COUNT(*) FROM chunks WHERE pipeline_id = @id AND embedding IS NOT NULL) AS embedded`,
    );
  }

  private requireTx(what: string): void {
    if (!this.db.inTransaction) throw new Error(`library ${what} must run inside the stage's transaction`);
  }

  /** Removes every library row of a book (chunks, chapters, book). Idempotent. */
  deleteBook(pipelineId: string): void {
    this.requireTx('deleteBook');
    this.delChunks.run(pipelineId);
    this.delChapters.run(pipelineId);
    this.delBook.run(pipelineId);
  }

  /** Replaces the book's rows: deletes any earlier ones first, so re-running a stage is idempotent. */
  replaceBook(book: LibraryBook): void {
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
  }

  /** Stores one vector per chunk id (little-endian float32 BLOBs). */
  writeEmbeddings(pipelineId: string, vectors: readonly { id: number; vector: Float32Array }[]): void {
    this.requireTx('writeEmbeddings');
    for (const v of vectors) this.setEmbedding.run(Buffer.from(embeddingToBytes(v.vector)), v.id, pipelineId);
  }

  write(pipelineId: string, w: LibraryWrite): void {
    if (w.kind === 'replace') this.replaceBook(w.book);
    else if (w.kind === 'embeddings') this.writeEmbeddings(pipelineId, w.vectors);
    else this.deleteBook(pipelineId);
  }

  chunks(pipelineId: string): StoredChunk[] {
    return this.chunksOf.all(pipelineId);
  }

  counts(pipelineId: string): LibraryCounts {
    return this.countsOf.get({ id: pipelineId })!;
  }
}

/** The duplicate check of a hashing commit, prepared once per connection. */
class LiveCopies {
  // live_hash is set only while a book is live (trigger-maintained, uniquely indexed).
  private readonly liveCopy: Statement<[string, string], PipelineRow & { queue_rowid: number }>;
  private readonly rowid: Statement<[string], { queue_rowid: number }>;

  constructor(db: Db) {
    this.liveCopy = db.prepare(`SELECT rowid AS queue_rowid, ${PIPELINE_COLUMNS} FROM pipelines WHERE live_hash = ? AND id <> ? LIMIT 1`);
    this.rowid = db.prepare('SELECT rowid AS queue_rowid, created_at FROM pipelines WHERE id = ?');
  }

  /**
   * The other live book holding `hash`, and whether `selfId` was queued before it. Queue order
   * is created_at, then insertion order (a batch queues many books in one millisecond).
   */
  find(hash: string, selfId: string): { row: PipelineRow; selfQueuedFirst: boolean } | undefined {
    const other = this.liveCopy.get(hash, selfId);
    if (!other) return undefined;
    const self = this.rowid.get(selfId) as { queue_rowid: number; created_at: number } | undefined;
    const { queue_rowid: otherRowid, ...row } = other;
    const selfQueuedFirst =
      self !== undefined && (self.created_at < row.created_at || (self.created_at === row.created_at && self.queue_rowid < otherRowid));
    return { row: row as PipelineRow, selfQueuedFirst };
  }
}

export function sqliteLibraryOps({ db, pipelines, audit }: SqliteStores): LibraryOps {
  // Prepared on first use: a read-only connection (the console) never prepares the writes.
  let tables: LibraryTables | undefined;
  let copies: LiveCopies | undefined;
  const lib = () => (tables ??= new LibraryTables(db));

  function commitStage(c: StageCommit): PipelineRow {
    return immediate(db, () => {
      let outcome = c.outcome;
      if (c.liveCopy) {
        const copy = (copies ??= new LiveCopies(db)).find(c.liveCopy.hash, c.id);
        const decision = copy ? c.liveCopy.decide(copy) : undefined;
        if (decision?.kind === 'instead') outcome = decision.outcome;
        else if (decision?.kind === 'demote') {
          // The copy (not this book) moves; a worker holding it loses its compare-and-swap.
          pipelines.transitionInTx({
            id: copy!.row.id,
            from: copy!.row.state,
            to: decision.to,
            actor: c.actor,
            note: decision.note,
            ...(decision.patch ? { patch: decision.patch } : {}),
            releaseLease: true,
          });
          audit.append(decision.audit);
        }
      }
      let after = pipelines.transitionInTx({
        id: c.id,
        from: c.from,
        to: outcome.to,
        actor: c.actor,
        note: outcome.note ?? null,
        leaseToken: c.leaseToken,
        ...(outcome.patch ? { patch: outcome.patch } : {}),
        releaseLease: outcome.releaseLease ?? false,
      });
      if (outcome.library) lib().write(c.id, outcome.library);
      for (const a of outcome.audit ?? []) audit.append(a);
      const next = c.followUp?.(after);
      if (next) {
        after = pipelines.transitionInTx({
          id: c.id,
          from: after.state,
          to: next.to,
          actor: next.actor,
          note: next.note,
          ...(next.patch ? { patch: next.patch } : {}),
        });
        audit.append(next.audit);
      }
      return after;
    });
  }

  function failStage(f: StageFailure): PipelineRow {
    return immediate(db, () => {
      const after = pipelines.transitionInTx({
        id: f.id,
        from: f.from,
        to: f.to,
        actor: f.actor,
        note: f.note,
        leaseToken: f.leaseToken,
        releaseLease: true,
        patch: f.patch,
      });
      if (f.clearLibrary) lib().deleteBook(f.id);
      return after;
    });
  }

  return {
    chunks: async (pipelineId) => lib().chunks(pipelineId),
    counts: async (pipelineId) => lib().counts(pipelineId),
    commitStage: async (commit) => commitStage(commit),
    failStage: async (failure) => failStage(failure),
  };
}
