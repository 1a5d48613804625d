/**
 * The PostgreSQL LibraryOps: the library tables and the worker's stage commit, with the SQLite
 * engine's semantics (src/db/sqlite/library.ts). A commit is one transaction:
 * (live copy, locked) → CAS transition under the lease → library rows → follow-up → audit.
 *
 * Differences from SQLite, and why:
 * - The audit rows of a commit are appended once, at the end (same entries, same order, so the
 *   same ids): appending takes the chain head's row lock, and every transaction must lock the
 *   books' rows before the head (see ./audit.ts), or a commit and a lease rescue could deadlock.
 * - SQLite serialises writers, so the live-copy check never races another hashing commit. Here
 *   two workers hashing copies of one content at once both find no live copy; the second then
 *   fails on the unique live-hash index once the first commits. That commit runs again from the
 *   start (the callbacks are pure), finds the first one's book and decides as SQLite would have.
 * - The copy's row is read FOR UPDATE, so its own worker cannot move it between the decision
 *   and the demotion.
 */
import type { AuditEntryInput } from '../audit.js';
import type { LibraryBook, LibraryCounts, LibraryOps, LibraryWrite, StageCommit, StageFailure, StoredChunk } from '../ops/library.js';
import type { PipelineRow } from '../pipeline-row.js';
import { PIPELINE_COLUMNS } from '../pipeline-row.js';
import { embeddingToBytes } from '../embedding-bytes.js';
import type { PgContext } from './context.js';
import { appendIn } from './audit.js';
import { transitionIn } from './pipelines.js';
import { run } from './sql.js';
import type { Queryable } from './tx.js';
import { withTx } from './tx.js';

const O_COLUMNS = PIPELINE_COLUMNS.split(', ')
  .map((c) => `o.${c}`)
  .join(', ');

/**
 * The other live book holding $1, locked, and whether $2 was queued before it: queue order is
 * created_at, then insertion order (a batch queues many books in one millisecond).
 */
const LIVE_COPY = `
  SELECT ${O_COLUMNS},
    COALESCE((s.created_at, s.queue_seq) < (o.created_at, o.queue_seq), false) AS self_queued_first
  FROM pipelines o LEFT JOIN pipelines s ON s.id = $2
  WHERE o.live_hash = $1 AND o.id <> $2
  LIMIT 1
  FOR UPDATE OF o`;

// Chapters and chunks cascade from the book row.
const DELETE_BOOK = 'DELETE FROM books WHERE pipeline_id = $1';
const INSERT_BOOK = `
  INSERT INTO books (pipeline_id, title, author, language, format, book_type, strategy,
    chapter_count, chunk_count, word_count, created_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`;
/** Chapters and their chunks in one statement: each chunk finds its chapter's new id by ord. */
const INSERT_CHAPTERS_AND_CHUNKS = `
  WITH ch AS (
    INSERT INTO chapters (pipeline_id, ord, title, word_count)
    SELECT $1, * FROM unnest($2::integer[], $3::text[], $4::bigint[])
    RETURNING id, ord
  )
  INSERT INTO chunks (pipeline_id, chapter_id, ord, text, word_count)
  SELECT $1, ch.id, x.ord, x.text, x.word_count
  FROM unnest($5::integer[], $6::integer[], $7::text[], $8::bigint[]) AS x(chapter_ord, ord, text, word_count)
  JOIN ch ON ch.ord = x.chapter_ord`;
const SET_EMBEDDINGS = `
  UPDATE chunks c SET embedding = x.e
  FROM unnest($2::bigint[], $3::bytea[]) AS x(id, e)
  WHERE c.id = x.id AND c.pipeline_id = $1`;
const CHUNKS_OF = 'SELECT id, ord, text FROM chunks WHERE pipeline_id = $1 ORDER BY ord';
const COUNTS_OF = `
  SELECT (SELECT COUNT(*) FROM chapters WHERE pipeline_id = $1) AS chapters,
         (SELECT COUNT(*) FROM chunks WHERE pipeline_id = $1) AS chunks,
         (SELECT COUNT(*) FROM chunks WHERE pipeline_id = $1 AND embedding IS NOT NULL) AS embedded`;

const UNIQUE_VIOLATION = '23505';
const LIVE_HASH_INDEX = 'pipelines_live_hash';
const MAX_COPY_RACES = 5;

async function replaceBook(c: Queryable, book: LibraryBook): Promise<void> {
  await run(c, DELETE_BOOK, [book.pipelineId]);
  const words = book.chapters.reduce((s, ch) => s + ch.wordCount, 0);
  await run(c, INSERT_BOOK, [
    book.pipelineId, book.title, book.author, book.language, book.format, book.bookType, book.strategy,
    book.chapters.length, book.chunks.length, words, book.createdAt,
  ]);
  const ords = new Set(book.chapters.map((ch) => ch.ord));
  for (const k of book.chunks) {
    if (!ords.has(k.chapterOrd)) throw new Error(`chunk ${k.ord} refers to unknown chapter ${k.chapterOrd}`);
  }
  if (book.chapters.length === 0) return;
  await run(c, INSERT_CHAPTERS_AND_CHUNKS, [
    book.pipelineId,
    book.chapters.map((ch) => ch.ord),
    book.chapters.map((ch) => ch.title),
    book.chapters.map((ch) => ch.wordCount),
    book.chunks.map((k) => k.chapterOrd),
    book.chunks.map((k) => k.ord),
    book.chunks.map((k) => k.text),
    book.chunks.map((k) => k.wordCount),
  ]);
}

async function writeLibrary(c: Queryable, pipelineId: string, w: LibraryWrite): Promise<void> {
  if (w.kind === 'replace') await replaceBook(c, w.book);
  else if (w.kind === 'embeddings') {
    if (w.vectors.length === 0) return;
    await run(c, SET_EMBEDDINGS, [pipelineId, w.vectors.map((v) => v.id), w.vectors.map((v) => Buffer.from(embeddingToBytes(v.vector)))]);
  } else await run(c, DELETE_BOOK, [pipelineId]);
}

/** A write refused by the unique live-hash index: another transaction took the content first. */
export function isLiveHashRace(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === UNIQUE_VIOLATION && e.constraint === LIVE_HASH_INDEX;
}

export function pgLibraryOps(ctx: PgContext, key: Buffer | null): LibraryOps {
  const { pool } = ctx;

  async function commitIn(c: Queryable, s: StageCommit): Promise<PipelineRow> {
    const audit: AuditEntryInput[] = [];
    let outcome = s.outcome;
    if (s.liveCopy) {
      const found = (await run<PipelineRow & { self_queued_first: boolean }>(c, LIVE_COPY, [s.liveCopy.hash, s.id])).rows[0];
      if (found) {
        const { self_queued_first: selfQueuedFirst, ...row } = found;
        const copy = { row: row as PipelineRow, selfQueuedFirst };
        const decision = s.liveCopy.decide(copy);
        if (decision?.kind === 'instead') outcome = decision.outcome;
        else if (decision?.kind === 'demote') {
          // The copy (not this book) moves; a worker holding it loses its compare-and-swap.
          await transitionIn(ctx, c, {
            id: copy.row.id,
            from: copy.row.state,
            to: decision.to,
            actor: s.actor,
            note: decision.note,
            ...(decision.patch ? { patch: decision.patch } : {}),
            releaseLease: true,
          });
          audit.push(decision.audit);
        }
      }
    }
    let after = await transitionIn(ctx, c, {
      id: s.id,
      from: s.from,
      to: outcome.to,
      actor: s.actor,
      note: outcome.note ?? null,
      leaseToken: s.leaseToken,
      ...(outcome.patch ? { patch: outcome.patch } : {}),
      releaseLease: outcome.releaseLease ?? false,
    });
    if (outcome.library) await writeLibrary(c, s.id, outcome.library);
    audit.push(...(outcome.audit ?? []));
    const next = s.followUp?.(after);
    if (next) {
      after = await transitionIn(ctx, c, {
        id: s.id,
        from: after.state,
        to: next.to,
        actor: next.actor,
        note: next.note,
        ...(next.patch ? { patch: next.patch } : {}),
      });
      audit.push(next.audit);
    }
    await appendIn(ctx, key, c, audit);
    return after;
  }

  async function commitStage(s: StageCommit): Promise<PipelineRow> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await withTx(pool, (c) => commitIn(c, s));
      } catch (err) {
        // Another hashing commit took the content first: run again, it is the live copy now.
        if (!s.liveCopy || !isLiveHashRace(err) || attempt >= MAX_COPY_RACES) throw err;
      }
    }
  }

  return {
    chunks: async (pipelineId): Promise<StoredChunk[]> => (await run<StoredChunk>(pool, CHUNKS_OF, [pipelineId])).rows,
    counts: async (pipelineId): Promise<LibraryCounts> => (await run<LibraryCounts>(pool, COUNTS_OF, [pipelineId])).rows[0]!,
    commitStage,
    failStage: (f: StageFailure) =>
      withTx(pool, async (c) => {
        const after = await transitionIn(ctx, c, {
          id: f.id,
          from: f.from,
          to: f.to,
          actor: f.actor,
          note: f.note,
          leaseToken: f.leaseToken,
          releaseLease: true,
          patch: f.patch,
        });
        if (f.clearLibrary) await run(c, DELETE_BOOK, [f.id]);
        return after;
      }),
  };
}
