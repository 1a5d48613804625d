/**
 * The CPU-heavy parts of the stages, as plain functions of plain data (no database, no
 * services), so they run the same inside a worker thread (see thread.ts / pool.ts) or in-process.
 *
 * Start-up matters (every worker process starts a pool thread that imports this): only small,
 * dependency-free modules load eagerly; each format's extractor (htmlparser2, fflate, and pdfjs
 * inside the PDF one) loads on the first book of that format.
 */
import { basename } from 'node:path';
import { hashFile } from '../ingest/hash.js';
import { detectFormat } from '../ingest/detect.js';
import { classifyHeuristically } from '../ingest/heuristic.js';
import { chunkBook } from '../ingest/chunker.js';
import { validateChunks } from '../ingest/validator.js';
import { hashingEmbedding } from '../ingest/hashing-embedding.js';
import { throwIfAborted } from '../ingest/text.js';
import { DEFAULT_INGEST_LIMITS, type IngestLimits } from '../ingest/limits.js';
import type {
  BookFormat,
  Chapter,
  Chunk,
  Classification,
  ClassifyInput,
  ExtractedBook,
  Extractor,
  Strategy,
  ValidationResult,
} from '../ingest/types.js';

/** The same extractors as ingest/extract.ts's `extractorFor`, each imported on first use. */
const EXTRACTOR_LOADERS: Record<BookFormat, () => Promise<Extractor>> = {
  epub: () => import('../ingest/formats/epub.js').then((m) => m.epubExtractor),
  pdf: () => import('../ingest/formats/pdf.js').then((m) => m.pdfExtractor),
  markdown: () => import('../ingest/formats/markdown.js').then((m) => m.markdownExtractor),
  html: () => import('../ingest/formats/html.js').then((m) => m.htmlExtractor),
  txt: () => import('../ingest/formats/txt.js').then((m) => m.txtExtractor),
};
const extractors = new Map<BookFormat, Promise<Extractor>>();

export function loadExtractor(format: BookFormat): Promise<Extractor> {
  let p = extractors.get(format);
  if (!p) {
    const load = EXTRACTOR_LOADERS[format];
    if (!load) return Promise.reject(new Error(`no extractor for format '${String(format)}'`));
    p = load();
    // A failed import is not cached, so a later book can try again.
    p.catch(() => extractors.delete(format));
    extractors.set(format, p);
  }
  return p;
}

export interface TaskMap {
  /** Streaming SHA-256 plus format detection from the file's head. */
  hash: { input: { path: string }; output: { hash: string; size: number; format: BookFormat } };
  extract: { input: { path: string; format?: BookFormat | null }; output: ExtractedBook };
  classify: { input: ClassifyInput; output: Classification };
  chunk: { input: { chapters: Chapter[]; strategy: Strategy }; output: Chunk[] };
  validate: {
    input: { book: { chapters: Chapter[]; sourceChars: number }; chunks: Chunk[]; strategy: Strategy };
    output: ValidationResult;
  };
  embed: { input: { texts: string[]; dims: number }; output: Float32Array[] };
}

export type TaskName = keyof TaskMap;
export type TaskInput<K extends TaskName> = TaskMap[K]['input'];
export type TaskOutput<K extends TaskName> = TaskMap[K]['output'];

/**
 * What the runner gives every task besides its input: the configured ingest limits (a thread
 * gets them once, in its workerData, rather than with every book).
 */
export interface TaskEnv {
  limits: IngestLimits;
}

export const DEFAULT_TASK_ENV: TaskEnv = { limits: DEFAULT_INGEST_LIMITS };

type Impl = { [K in TaskName]: (input: TaskInput<K>, signal?: AbortSignal, env?: TaskEnv) => Promise<TaskOutput<K>> };

export const TASKS: Impl = {
  async hash({ path }, signal) {
    const format = await detectFormat(path, signal ? { signal } : {});
    const { hash, size } = await hashFile(path, signal);
    return { hash, size, format };
  },
  async extract({ path, format }, signal, env = DEFAULT_TASK_ENV) {
    const fmt = format ?? (await detectFormat(path, signal ? { signal } : {}));
    const extractor = await loadExtractor(fmt);
    return extractor.extract(path, { ...(signal ? { signal } : {}), fileName: basename(path), limits: env.limits });
  },
  async classify(input, signal) {
    throwIfAborted(signal);
    return classifyHeuristically(input);
  },
  async chunk({ chapters, strategy }, signal) {
    throwIfAborted(signal);
    return chunkBook({ chapters }, strategy);
  },
  async validate({ book, chunks, strategy }, signal) {
    throwIfAborted(signal);
    return validateChunks(book, chunks, strategy);
  },
  async embed({ texts, dims }, signal) {
    const out: Float32Array[] = [];
    for (const t of texts) {
      throwIfAborted(signal);
      out.push(hashingEmbedding(t, dims));
    }
    return out;
  },
};

/** Errors cross the thread boundary as plain data and are rebuilt with their class. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return {
      name: err.name,
      message: err.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(err.stack ? { stack: err.stack } : {}),
    };
  }
  return { name: 'Error', message: String(err) };
}
