/**
 * The contracts between ingestion stages. Everything here is plain data or a small async
 * interface so a worker can hold a lease, call one stage, and write its result without knowing
 * how the stage works inside.
 */
import type { BookType } from '../domain/states.js';
import type { IngestLimits } from './limits.js';

export const BOOK_FORMATS = ['epub', 'pdf', 'markdown', 'html', 'txt'] as const;
export type BookFormat = (typeof BOOK_FORMATS)[number];

/**
 * Where chapter boundaries came from, so an operator can tell a real table of contents from a
 * guess: `spine`/`nav`/`ncx` (EPUB), `outline` (PDF bookmarks), `headings` (Markdown/HTML/EPUB
 * headings), `patterns` ("Chapter 1" lines), `pages` (PDF page groups), `single` (no structure
 * found, the whole text is one chapter).
 */
export type OutlineSource = 'spine' | 'nav' | 'ncx' | 'outline' | 'headings' | 'patterns' | 'pages' | 'single';

export interface Chapter {
  title: string;
  text: string;
  /** 0-based reading order. */
  order: number;
}

export interface ExtractedBook {
  format: BookFormat;
  /** Falls back to the file name when the source has no title. */
  title: string;
  /** null when the source names no author. */
  author: string | null;
  language?: string;
  chapters: Chapter[];
  outlineSource: OutlineSource;
  /**
   * Non-whitespace characters of text found in the source before it was split into chapters.
   * Counting without whitespace keeps the "share of source text kept" rule honest when later
   * steps only re-flow spacing.
   */
  sourceChars: number;
  /** Everything else the source declared (publisher, date, subject, page count…), as strings. */
  metadata: Record<string, string>;
}

export interface StageOptions {
  signal?: AbortSignal;
}

export interface ExtractOptions extends StageOptions {
  /** Used for the fallback title and error messages when the source is a buffer. */
  fileName?: string;
  /** What this book may make the extractor allocate; missing fields take the defaults. */
  limits?: Partial<IngestLimits>;
}

/** A path on disk or the file's bytes. */
export type BookSource = string | Uint8Array;

export interface Extractor {
  readonly format: BookFormat;
  extract(source: BookSource, options?: ExtractOptions): Promise<ExtractedBook>;
}

export interface ClassifyInput {
  title: string;
  author: string | null;
  format: BookFormat;
  /** A few thousand characters spread across the book; see `sampleText`. */
  sample: string;
  metadata?: Record<string, string>;
}

export interface Classification {
  bookType: BookType;
  /** In [0, 1]; below the strategy threshold the conservative strategy is used. */
  confidence: number;
  reasons: string[];
}

export interface Classifier {
  readonly name: string;
  classify(input: ClassifyInput, options?: StageOptions): Promise<Classification>;
}

export interface Embedder {
  readonly name: string;
  readonly dims: number;
  /** One vector of length `dims` per input text, in input order. */
  embed(texts: readonly string[], options?: StageOptions): Promise<Float32Array[]>;
}

/**
 * How chapters feed the chunker: `per_chapter` never lets a chunk cross a chapter boundary,
 * `merge_short` first folds chapters shorter than `minChapterWords` into the next one,
 * `whole_book` treats the book as one stream (for sources whose chapters cannot be trusted).
 */
export const CHAPTER_MODES = ['per_chapter', 'merge_short', 'whole_book'] as const;
export type ChapterMode = (typeof CHAPTER_MODES)[number];

export interface ValidationRules {
  minChapters: number;
  minWords: number;
  /** In [0, 1]: share of chunks whose text repeats an earlier chunk. */
  maxDuplicateChunkShare: number;
  /** In [0, 1]: share of `sourceChars` that must survive into the chunks. */
  minSourceKeptShare: number;
}

/** A processing strategy. Plain data: it can come from the built-in set or a user's JSON file. */
export interface Strategy {
  name: string;
  description: string;
  /** Target chunk size in words. */
  chunkWords: number;
  /** Words each chunk repeats from the end of the previous one. */
  overlapWords: number;
  chapterMode: ChapterMode;
  /** Only used by `merge_short`. */
  minChapterWords: number;
  validation: ValidationRules;
  /** Name of the strategy for the single re-run after a validation failure; null = none. */
  fallback: string | null;
}

export interface Chunk {
  /** 0-based position in the book. */
  index: number;
  /** Chapter the chunk starts in. */
  chapterIndex: number;
  chapterTitle: string;
  text: string;
  wordCount: number;
  /** Leading words repeated from the previous chunk (0 for the first chunk of a stream). */
  overlapWords: number;
}

export interface ValidationStats {
  chapters: number;
  words: number;
  chunks: number;
  duplicateChunkShare: number;
  sourceChars: number;
  keptChars: number;
  keptShare: number;
}

export interface ValidationResult {
  ok: boolean;
  /** Human-readable, one per broken rule, e.g. "only 1 chapter, strategy wants >= 2". */
  failures: string[];
  stats: ValidationStats;
}
