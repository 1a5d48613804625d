/**
 * The `ops` section of the configuration file: thresholds for health alerts, stuck detection,
 * automatic recovery rules, priority aging and audit retention. Validated with zod at the edge;
 * every field has a default, so an empty (or absent) section is a complete configuration.
 *
 * {
 *   "ops": {
 *     "health": { "failure_rate": 0.2, "failure_window": 100, "queue_backup": 100,
 *                 "worker_idle_seconds": 300, "disk_min_free_bytes": 1000000000 },
 *     "stuck": { "multiplier": 2, "min_samples": 100, "sample_window": 1000,
 *                "expected_seconds": { "processing": 1200 } },
 *     "recovery": { "max_auto_recoveries": 2, "backoff_base_seconds": 30,
 *                   "rules": [ { "name": "lease_expired", "when": "lease_expired", "action": "retry" } ] },
 *     "aging": { "step_after_hours": 24, "step": 2, "top_after_hours": 48 },
 *     "retention": { "days": { "APPROVED": 365, "BATCH_*": 90 } }
 *   }
 * }
 */
import { z } from 'zod';
import { Cron } from 'croner';
import { InputError } from '../domain/errors.js';
import { WORKING_STATES } from '../domain/states.js';
import type { RawConfig } from './load.js';
import { configPath, loadRawConfig } from './load.js';

export const DEFAULT_EXPECTED_SECONDS: Record<(typeof WORKING_STATES)[number], number> = {
  hashing: 60,
  classifying: 120,
  selecting_strategy: 30,
  processing: 900,
  validating: 60,
  embedding: 600,
};

/**
 * Why `pattern` is not a schedule croner can run, or undefined when it is. Checked when the config
 * is read, so a typo in the file is a usage error naming the key (exit 2) at start-up, not a
 * worker that dies (or never runs its maintenance) later.
 */
export function cronPatternError(pattern: string): string | undefined {
  try {
    new Cron(pattern, { paused: true }).stop();
    return undefined;
  } catch (err) {
    return (err as Error).message.replace(/^CronPattern: /, '');
  }
}

/** A croner pattern (5 fields, or 6 with seconds first), e.g. "0 * * * * *" or "*\/5 * * * *". */
export const cronSchedule = z.string().superRefine((pattern, ctx) => {
  const why = cronPatternError(pattern);
  if (why !== undefined) ctx.addIssue({ code: 'custom', message: `not a valid cron pattern '${pattern}': ${why}` });
});

const workingState = z.enum(WORKING_STATES);
const positive = z.number().finite().positive();

const expectedSchema = z
  .partialRecord(workingState, positive)
  .default({});

export const RecoveryRuleSchema = z
  .object({
    /** Becomes the actor `auto:<name>` on the audit row. */
    name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/i, 'a rule name is letters, digits, _ . -'),
    /** lease_expired: the lease ran out in a working state; over_threshold: longer than expected × multiplier. */
    when: z.enum(['lease_expired', 'over_threshold']),
    /** Only books in this state (any working state when absent). */
    state: workingState.optional(),
    /** Only books stuck at least this long (seconds in the state). */
    min_stuck_seconds: z.number().finite().nonnegative().optional(),
    action: z.enum(['retry', 'reset', 'reject']),
  })
  .strict();
export type RecoveryRule = z.infer<typeof RecoveryRuleSchema>;

export const DEFAULT_RECOVERY_RULES: RecoveryRule[] = [
  { name: 'lease_expired', when: 'lease_expired', action: 'retry' },
  { name: 'processing_over_60m', when: 'over_threshold', state: 'processing', min_stuck_seconds: 3600, action: 'retry' },
];

export const DEFAULT_RETENTION_DAYS: Record<string, number> = {
  APPROVED: 365,
  REJECTED: 365,
  ROLLED_BACK: 730,
  'BATCH_*': 90,
};

export const OpsConfigSchema = z
  .object({
    health: z
      .object({
        /** high_failure_rate when more than this share of the last `failure_window` finished books failed. */
        failure_rate: z.number().min(0).max(1).default(0.2),
        failure_window: z.number().int().positive().default(100),
        /** No failure-rate alert until this many books have finished: 3 broken files out of the
         *  first 3 finished is a fresh library, not an outage. */
        failure_min_finished: z.number().int().nonnegative().default(10),
        /** queue_backup when more books than this are queued. */
        queue_backup: z.number().int().nonnegative().default(100),
        /** worker_idle (books queued, no worker running) is critical this long after the last heartbeat; a lost worker with no books left is alerted on this long. */
        worker_idle_seconds: positive.default(300),
        /** disk_space_low when less than this is free beside the database. */
        disk_min_free_bytes: z.number().nonnegative().default(1_000_000_000),
        /** How many stuck books the report lists. */
        stuck_list_limit: z.number().int().positive().default(20),
      })
      .strict()
      .prefault({}),
    stuck: z
      .object({
        multiplier: positive.default(2),
        /** Learned medians are used once a state has this many samples. */
        min_samples: z.number().int().positive().default(100),
        /** How many recent samples per state the durations job learns from. */
        sample_window: z.number().int().positive().default(1000),
        /** Expected seconds per working state; overrides the learned median when set. */
        expected_seconds: expectedSchema,
      })
      .strict()
      .prefault({}),
    recovery: z
      .object({
        max_auto_recoveries: z.number().int().nonnegative().default(2),
        backoff_base_seconds: z.number().nonnegative().default(30),
        backoff_max_seconds: z.number().nonnegative().default(3600),
        rules: z.array(RecoveryRuleSchema).default(DEFAULT_RECOVERY_RULES),
      })
      .strict()
      .prefault({}),
    aging: z
      .object({
        enabled: z.boolean().default(true),
        step_after_hours: positive.default(24),
        step: z.number().int().positive().default(2),
        top_after_hours: positive.default(48),
      })
      .strict()
      .prefault({}),
    retention: z
      .object({
        enabled: z.boolean().default(true),
        /** Action (or GLOB pattern like BATCH_*) → days kept. Unlisted actions are kept forever. */
        days: z
          .record(z.string().regex(/^[A-Z_]+\*?$/, 'an action name in upper snake case, optionally ending in *'), positive)
          .default(DEFAULT_RETENTION_DAYS),
      })
      .strict()
      .prefault({}),
    batch: z
      .object({
        /** Books per immediate transaction when a batch is applied. */
        chunk_size: z.number().int().min(1).max(5000).default(1000),
        default_max: z.number().int().positive().default(50),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type OpsConfig = z.infer<typeof OpsConfigSchema>;
export type OpsConfigInput = z.input<typeof OpsConfigSchema>;

function describe(error: z.ZodError, where: string): string {
  const first = error.issues[0];
  if (!first) return `invalid ${where}`;
  const at = first.path.length ? first.path.join('.') : '(section)';
  return `invalid ${where} at ${at}: ${first.message}`;
}

/** Validates an `ops` section (undefined → all defaults). Throws InputError naming the field. */
export function parseOpsConfig(section: unknown, where = 'ops config'): OpsConfig {
  const r = OpsConfigSchema.safeParse(section ?? {});
  if (!r.success) throw new InputError(describe(r.error, where));
  return r.data;
}

export function opsConfigFromRaw(raw: RawConfig, file?: string): OpsConfig {
  return parseOpsConfig(raw.ops, file ? `config file ${file} (ops)` : 'ops config');
}

/** Finds the config file for this database (flag, env, beside the database) and parses `ops`. */
export function loadOpsConfig(dbPath: string, flag?: string, env: NodeJS.ProcessEnv = process.env): OpsConfig {
  const file = dbPath === ':memory:' && !flag && !env.AGENTIC_PIPELINE_CONFIG ? undefined : configPath(dbPath, flag, env);
  return opsConfigFromRaw(loadRawConfig(file), file);
}

/** Deep-merges overrides (e.g. from flags) into a parsed config and validates the result. */
export function withOverrides(base: OpsConfig, overrides: OpsConfigInput): OpsConfig {
  const merged: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    const cur = (base as Record<string, unknown>)[k];
    merged[k] = v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' ? mergeObj(cur, v) : v;
  }
  return parseOpsConfig(merged, 'flags');
}

function mergeObj(a: object, b: object): object {
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur) ? mergeObj(cur, v) : v;
  }
  return out;
}
