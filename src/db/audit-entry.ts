/**
 * What an audit entry is, engine-neutral: the action names, the entry written and the row read,
 * the `--json` document of a row, and `--since`. Every interface may import these; the log
 * itself (append, chain, verify) is an engine's (src/db/audit.ts for SQLite).
 */
import { parseWhen } from '../domain/when.js';

/** Upper snake action names. Extend as new operations appear; keep one spelling per action. */
export const AUDIT_ACTIONS = [
  'QUEUED',
  'REQUEUED',
  'DUPLICATE_DETECTED',
  'APPROVED',
  'REJECTED',
  'ROLLED_BACK',
  'PRIORITY_CHANGED',
  'BATCH_QUEUED',
  'BATCH_APPROVED',
  'BATCH_REJECTED',
  'BATCH_RETRIED',
  'BATCH_PRIORITY_CHANGED',
  'STUCK_RECOVERED',
  'PRIORITY_AGED',
  /** Retention's entry under schema 5 (counts only); kept for the rows it wrote. */
  'AUDIT_RETENTION',
  /** Retention's entry since schema 6: the policy, the id ranges, the count and a digest of what it removed. */
  'AUDIT_PRUNED',
  /** One later chunk of a batch: the books that chunk applied (the header row names the first chunk's). */
  'BATCH_CHUNK',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number] | (string & {});

export interface AuditEntryInput {
  action: AuditAction;
  actor: string;
  pipeline_id?: string | null;
  batch_id?: number | null;
  reason?: string | null;
  before?: unknown;
  after?: unknown;
  filter?: unknown;
  ids?: readonly string[] | null;
  count?: number | null;
  confidence?: number | null;
  details?: unknown;
}

export interface AuditRow {
  id: number;
  at: number;
  action: string;
  actor: string;
  pipeline_id: string | null;
  batch_id: number | null;
  reason: string | null;
  before_value: string | null;
  after_value: string | null;
  filter_json: string | null;
  ids_json: string | null;
  count: number | null;
  confidence: number | null;
  details_json: string | null;
  prev_hash: string | null;
  hash: string;
  /** The previous audit row of the same pipeline (its trail; hashed since hash version 2). */
  pipeline_prev_id?: number | null;
  /** NULL: the schema-5 formula; 2: every column; 3: every column, HMAC with the audit key. */
  hash_version?: number | null;
}

export interface AuditQuery {
  pipelineId?: string;
  actor?: string;
  action?: string;
  /** Milliseconds since epoch: entries at or after. */
  since?: number;
  /** Keyset: entries with id < beforeId (for scrolling further back). */
  beforeId?: number;
  limit?: number;
}

export const encodeJson = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));
export const decodeJson = (v: string | null): unknown => {
  if (v === null) return null;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
};

/** The stable JSON document for one audit entry (what `--json` prints). */
export function auditToJson(r: AuditRow): Record<string, unknown> {
  return {
    id: r.id,
    at: r.at,
    action: r.action,
    actor: r.actor,
    pipeline_id: r.pipeline_id,
    batch_id: r.batch_id,
    reason: r.reason,
    before: decodeJson(r.before_value),
    after: decodeJson(r.after_value),
    filter: decodeJson(r.filter_json),
    ids: decodeJson(r.ids_json),
    count: r.count,
    confidence: r.confidence,
    details: decodeJson(r.details_json),
  };
}

/** Parses "7d", "12h", "30m", "45s", "2w" or an ISO date into a since-timestamp. */
export function parseSince(value: string, now: number): number {
  return parseWhen(value, now, '--since'); // the one strict date/age reader (src/domain/when.ts)
}

/** An entry as its row is stored and hashed: the canonical columns both engines write. */
export function auditEntryRow(entry: AuditEntryInput, at: number) {
  return {
    at,
    action: entry.action,
    actor: entry.actor,
    pipeline_id: entry.pipeline_id ?? null,
    batch_id: entry.batch_id ?? null,
    reason: entry.reason ?? null,
    before_value: encodeJson(entry.before),
    after_value: encodeJson(entry.after),
    filter_json: encodeJson(entry.filter),
    ids_json: entry.ids ? JSON.stringify(entry.ids) : null,
    count: entry.count ?? (entry.ids ? entry.ids.length : null),
    confidence: entry.confidence ?? null,
    details_json: encodeJson(entry.details),
  };
}
