/**
 * Public surface of the ingestion library. Pure: files in, data out; no database access. A
 * worker stage calls one of these per state (hashing → hashFile, classifying → extractBook +
 * classifier, selecting_strategy → selectStrategy, processing → chunkBook, validating →
 * validateChunks / fallbackStrategy, embedding → embedder).
 */
export type {
  BookFormat,
  BookSource,
  Chapter,
  ChapterMode,
  Chunk,
  Classification,
  ClassifyInput,
  Classifier,
  Embedder,
  ExtractOptions,
  ExtractedBook,
  Extractor,
  OutlineSource,
  StageOptions,
  Strategy,
  ValidationResult,
  ValidationRules,
  ValidationStats,
} from './types.js';
export { BOOK_FORMATS, CHAPTER_MODES } from './types.js';

export { detectFormat, detectFormatFromBytes } from './detect.js';
export { hashFile, type FileHash } from './hash.js';
export { DEFAULT_INGEST_LIMITS, ingestLimits, type IngestLimits } from './limits.js';
export { openRegularFile } from './regular-file.js';
export { extractBook, extractorFor } from './extract.js';
export { extractEpub, epubExtractor } from './formats/epub.js';
export { extractPdf, pdfExtractor } from './formats/pdf.js';
export { extractMarkdown, markdownExtractor } from './formats/markdown.js';
export { extractHtml, htmlExtractor } from './formats/html.js';
export { extractTxt, txtExtractor } from './formats/txt.js';

export {
  classifyHeuristically,
  classifyInputFor,
  sampleText,
  createClassifier,
  HeuristicClassifier,
  ExternalCommandClassifier,
  ClassifierConfigSchema,
  DEFAULT_CLASSIFIER_TIMEOUT_MS,
  DEFAULT_SAMPLE_CHARS,
  type ClassifierConfig,
  type ExternalCommandOptions,
} from './classifier.js';

export {
  selectStrategy,
  fallbackStrategy,
  getStrategy,
  parseStrategySet,
  loadStrategySet,
  DEFAULT_STRATEGIES,
  DEFAULT_STRATEGY_DATA,
  DEFAULT_LOW_CONFIDENCE_THRESHOLD,
  StrategySchema,
  StrategySetSchema,
  type StrategySet,
  type SelectOptions,
} from './strategies.js';

export { chunkBook, chunkChapters } from './chunker.js';
export { validateChunks } from './validator.js';
export {
  createEmbedder,
  HashingEmbedder,
  hashingEmbedding,
  cosineSimilarity,
  EmbedderConfigSchema,
  DEFAULT_EMBEDDING_DIMS,
  type EmbedderConfig,
} from './embedder.js';
export { countWords, nonWhitespaceLength } from './text.js';
