/**
 * The audit chain's pure parts, shared by the engines and the verifier (audit-walk.ts): the hash
 * formulas, retention's digest line and patterns, and the verify report's shape.
 */
import crypto from 'node:crypto';
import type { AuditRow } from './audit-entry.js';

/**
 * The schema-5 chain hash of one row: sha256(prev_hash || canonical row), without the id and the
 * trail pointer. Rows written before migration 6 (hash_version NULL) verify with it; exported for
 * bulk generators, whose rows verify with it too.
 */
export function auditRowHash(prev: string | null, r: Omit<AuditRow, 'id' | 'hash' | 'prev_hash'>): string {
  const canonical = JSON.stringify([
    r.at, r.action, r.actor, r.pipeline_id, r.batch_id, r.reason, r.before_value, r.after_value,
    r.filter_json, r.ids_json, r.count, r.confidence, r.details_json,
  ]);
  return crypto.createHash('sha256').update(`${prev ?? ''}\n${canonical}`).digest('hex');
}

/** Every column a reader relies on, hashed (SHA-256). */
export const HASH_FULL = 2;
/** The same, as HMAC-SHA256 with the audit key: rewriting the chain needs the key. */
export const HASH_KEYED = 3;

/**
 * The chain hash of a row under hash version 2 or 3: the id and the trail pointer are in it, so
 * renumbering a row or re-pointing a book's trail (pipeline_prev_id) shows as an edit, and the
 * version itself is, so a row cannot be relabelled to an older formula without a new hash.
 */
export function auditRowHashV(
  prev: string | null,
  r: Omit<AuditRow, 'id' | 'hash' | 'prev_hash' | 'pipeline_prev_id' | 'hash_version'>,
  id: number,
  pipelinePrevId: number | null,
  version: number,
  key: Buffer | null,
): string {
  // id, trail pointer and version as arguments: spreading them into a copy of the row cost more
  // than the hash itself (measured ~5 µs a row).
  const canonical = JSON.stringify([
    version, id, r.at, r.action, r.actor, r.pipeline_id, r.batch_id, r.reason, r.before_value, r.after_value,
    r.filter_json, r.ids_json, r.count, r.confidence, r.details_json, pipelinePrevId,
  ]);
  const h = version === HASH_KEYED ? crypto.createHmac('sha256', key!) : crypto.createHash('sha256');
  return h.update(`${prev ?? ''}\n${canonical}`).digest('hex');
}

/** The line of one removed entry in AUDIT_PRUNED's digest (sha256 over these, in id order). */
export function prunedDigestLine(d: { id: number; hash: string; action: string | null; at: number | null }): string {
  return `${d.id}\t${d.hash}\t${d.action ?? ''}\t${d.at ?? ''}\n`;
}

/** SQLite GLOB (as retention's patterns use it: * and ?) as a RegExp. */
export function globRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** An anchored chain head, as read back from an anchor file. */
export interface AuditAnchor {
  id: number;
  hash: string | null;
  count: number;
  /** When it was anchored, ms since epoch. */
  at: number;
  /** Where it came from (line number in the anchor file), for messages. */
  line?: number;
}

export interface AuditProblem {
  /** edited, removed, tail_removed, invalid_prune, unkeyed_after_keyed, key_missing, log_recreated, log_empty, anchor_missing, anchor_rewritten, anchor_shrunk */
  kind: string;
  message: string;
  anchor?: number;
}

export interface AuditVerifyReport {
  /** No problem found: every entry checked, every gap accounted for, every anchor still there. */
  intact: boolean;
  /** What is wrong, one sentence each (empty when intact). */
  problems: AuditProblem[];
  checked: number;
  /** Rows whose content no longer matches their hash. */
  modified: number[];
  /** Rows after a gap that retention's AUDIT_PRUNED entries do not account for. */
  gaps: number[];
  /** Gaps accounted for by retention, and how many removed rows bridge them. */
  retention_gaps: number;
  bridged_rows: number;
  /** Gaps from before schema 6 recorded what retention removed (cannot be checked). */
  unverifiable_gaps: number[];
  /**
   * The newest entries, missing: ids the log once gave out (AUTOINCREMENT's high-water mark in
   * sqlite_sequence) after the last entry left, not removed by retention. Null when none.
   */
  tail_removed: { from: number; to: number } | null;
  /** Keyed entries (hash version 3), and how many of them could not be checked (no key given). */
  keyed: number;
  unchecked_keyed: number;
  key_used: boolean;
  /** Unkeyed entries after the first keyed one: the writer refuses to append those. */
  unkeyed_after_keyed: number[];
  /** AUDIT_PRUNED entries, and those whose count or digest does not match what names them. */
  prunes: number;
  invalid_prunes: { id: number; why: string }[];
  anchors_checked: number;
}
