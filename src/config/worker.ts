/**
 * The `worker` section of the config file, validated with zod. Every field has a default, so an
 * absent section (or file) gives a working offline setup: built-in classifier and embedder,
 * auto-approve off.
 *
 * {
 *   "worker": {
 *     "classifier": "builtin" | { "command": "my-model", "args": ["--json"], "timeoutMs": 30000 },
 *     "auto_approve": { "enabled": false, "min_confidence": 0.9 },
 *     "stage_timeouts_ms": { "hashing": 120000, "processing": 600000, ... },
 *     "backoff": { "base_ms": 5000, "max_ms": 600000 },
 *     "max_attempts": 5,
 *     "embedder": { "dims": 256 },
 *     "strategies_file": "strategies.json",
 *     "low_confidence_threshold": 0.5,
 *     "lease_seconds": 30, "poll_interval_seconds": 1, "concurrency": 1,
 *     "shutdown_grace_ms": 10000, "database_outage_seconds": 60,
 *     "lease_rescue": { "interval_seconds": 15, "max_auto_recoveries": 3 },
 *     "watch": { "stable_ms": 2000, "rescan_seconds": 10 },
 *     "maintenance": { "enabled": true, "schedule": "0 * * * * *" },
 *     "limits": { "epub_member_max_mb": 64, "epub_total_max_mb": 512, "compression_ratio_max": 100,
 *                 "text_file_max_mb": 64, "document_file_max_mb": 256, "pdf_stream_max_mb": 128,
 *                 "pdf_streams_max_mb": 512,
 *                 "pdf_max_pages": 20000, "text_max_chars": 33554432, "markup_max_depth": 256,
 *                 "markup_max_nodes": 1000000, "thread_heap_mb": 1024 }
 *   }
 * }
 */
import { z } from 'zod';
import { cronSchedule } from './ops.js';
import path from 'node:path';
import { InputError } from '../domain/errors.js';
import type { RawConfig } from './load.js';
import { DEFAULT_INGEST_LIMITS, type IngestLimits } from '../ingest/limits.js';

const positiveMs = z.number().int().positive();
const MiB = 1024 * 1024;
const mb = (bytes: number) => z.number().positive().max(1024 * 1024).default(bytes / MiB);
const count = (n: number) => z.number().int().positive().default(n);
const D = DEFAULT_INGEST_LIMITS;

/**
 * What one book may make a stage allocate (see src/ingest/limits.ts for why each exists), plus
 * the V8 heap of each stage thread: a thread that still runs out of memory dies alone and its
 * book fails with the cause, the worker process carries on.
 */
export const LimitsSchema = z
  .object({
    epub_member_max_mb: mb(D.memberMaxBytes),
    epub_total_max_mb: mb(D.totalInflatedMaxBytes),
    compression_ratio_max: z.number().positive().default(D.compressionRatioMax),
    compression_ratio_floor_mb: mb(D.ratioFloorBytes),
    text_file_max_mb: mb(D.textFileMaxBytes),
    document_file_max_mb: mb(D.documentFileMaxBytes),
    pdf_stream_max_mb: mb(D.pdfStreamMaxBytes),
    pdf_streams_max_mb: mb(D.pdfStreamsMaxBytes),
    pdf_max_pages: count(D.pdfMaxPages),
    text_max_chars: count(D.textMaxChars),
    markup_max_depth: count(D.markupMaxDepth),
    markup_max_nodes: count(D.markupMaxNodes),
    /** resourceLimits.maxOldGenerationSizeMb of each stage thread. */
    thread_heap_mb: z.number().int().min(16).max(65_536).default(1024),
  })
  .strict();
export type LimitsConfig = z.infer<typeof LimitsSchema>;

/** The config's human units (MB) as the byte counts the extractors check. */
export function ingestLimitsOf(l: LimitsConfig): IngestLimits {
  const bytes = (m: number) => Math.floor(m * MiB);
  return {
    memberMaxBytes: bytes(l.epub_member_max_mb),
    totalInflatedMaxBytes: bytes(l.epub_total_max_mb),
    compressionRatioMax: l.compression_ratio_max,
    ratioFloorBytes: bytes(l.compression_ratio_floor_mb),
    textFileMaxBytes: bytes(l.text_file_max_mb),
    documentFileMaxBytes: bytes(l.document_file_max_mb),
    pdfStreamMaxBytes: bytes(l.pdf_stream_max_mb),
    pdfStreamsMaxBytes: bytes(l.pdf_streams_max_mb),
    pdfMaxPages: l.pdf_max_pages,
    textMaxChars: l.text_max_chars,
    markupMaxDepth: l.markup_max_depth,
    markupMaxNodes: l.markup_max_nodes,
  };
}

export const StageTimeoutsSchema = z
  .object({
    hashing: positiveMs.default(120_000),
    classifying: positiveMs.default(180_000),
    selecting_strategy: positiveMs.default(30_000),
    processing: positiveMs.default(600_000),
    validating: positiveMs.default(120_000),
    embedding: positiveMs.default(600_000),
  })
  .strict();

export const ExternalClassifierSchema = z
  .object({
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    timeoutMs: positiveMs.default(30_000),
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().optional(),
    /** Retries and circuit breaker around the command (src/worker/external-breaker.ts). */
    breaker: z
      .object({ failures: z.number().int().min(1).default(5), half_open_after_ms: positiveMs.default(30_000), retries: z.number().int().min(0).max(10).default(2) })
      .strict()
      .optional(),
  })
  .strict();

export const WorkerConfigSchema = z
  .object({
    classifier: z.union([z.literal('builtin'), ExternalClassifierSchema]).default('builtin'),
    auto_approve: z
      .object({
        enabled: z.boolean().default(false),
        min_confidence: z.number().min(0).max(1).default(0.9),
      })
      .strict()
      .default({ enabled: false, min_confidence: 0.9 }),
    stage_timeouts_ms: StageTimeoutsSchema.default(StageTimeoutsSchema.parse({})),
    backoff: z
      .object({
        base_ms: positiveMs.default(5_000),
        max_ms: positiveMs.default(600_000),
      })
      .strict()
      .refine((b) => b.max_ms >= b.base_ms, { message: 'backoff.max_ms must be >= backoff.base_ms' })
      .default({ base_ms: 5_000, max_ms: 600_000 }),
    /** When set, overrides each book's own max_attempts column. */
    max_attempts: z.number().int().min(1).max(100).optional(),
    // With `command`, an external embedder (ingest/external-embedder.ts) replaces the built-in one.
    embedder: z
      .object({ dims: z.number().int().min(8).max(8192).default(256), command: z.string().min(1).optional(), args: z.array(z.string()).default([]), batch_size: z.number().int().min(1).max(4096).default(64), timeoutMs: positiveMs.default(60_000), env: z.record(z.string(), z.string()).optional(), cwd: z.string().optional() })
      .strict()
      .default({ dims: 256, args: [], batch_size: 64, timeoutMs: 60_000 }),
    strategies_file: z.string().min(1).optional(),
    low_confidence_threshold: z.number().min(0).max(1).default(0.5),
    lease_seconds: z.number().positive().optional(),
    poll_interval_seconds: z.number().positive().optional(),
    concurrency: z.number().int().min(1).max(64).optional(),
    shutdown_grace_ms: z.number().int().min(0).default(10_000),
    /**
     * How long claims may keep failing (the database server went away, a disk error) before the
     * worker gives up and exits 1, leaving its books to lease expiry and another worker. Long
     * enough to ride out a PostgreSQL restart or failover; a service manager restarts it after.
     */
    database_outage_seconds: z.number().positive().default(60),
    lease_rescue: z
      .object({
        interval_seconds: z.number().positive().default(15),
        max_auto_recoveries: z.number().int().min(0).default(3),
      })
      .strict()
      .default({ interval_seconds: 15, max_auto_recoveries: 3 }),
    watch: z
      .object({
        /** A new file is queued once its size and mtime stayed unchanged this long. */
        stable_ms: z.number().int().min(0).default(2_000),
        /** Full rescan period, the fallback for events fs.watch misses. */
        rescan_seconds: z.number().positive().default(10),
      })
      .strict()
      .default({ stable_ms: 2_000, rescan_seconds: 10 }),
    maintenance: z
      .object({
        enabled: z.boolean().default(true),
        /** croner pattern (6 fields = with seconds). */
        schedule: cronSchedule.default('0 * * * * *'),
      })
      .strict()
      .default({ enabled: true, schedule: '0 * * * * *' }),
    limits: LimitsSchema.default(LimitsSchema.parse({})),
  })
  .strict();

export type WorkerConfig = z.infer<typeof WorkerConfigSchema>;
export type WorkerConfigInput = z.input<typeof WorkerConfigSchema>;

export const DEFAULT_WORKER_CONFIG: WorkerConfig = WorkerConfigSchema.parse({});

/** Validates `raw.worker`; every problem is listed in one InputError naming the file. */
export function parseWorkerConfig(raw: RawConfig, origin = 'config'): WorkerConfig {
  const section = raw.worker ?? {};
  const result = WorkerConfigSchema.safeParse(section);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `worker.${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new InputError(`invalid ${origin}: ${issues}`);
  }
  const cfg = result.data;
  // Relative paths in the file are relative to the file.
  if (cfg.strategies_file && origin !== 'config' && !path.isAbsolute(cfg.strategies_file)) {
    cfg.strategies_file = path.resolve(path.dirname(origin), cfg.strategies_file);
  }
  return cfg;
}
