/**
 * The audit trail: append-only, hash-chained. Appends that record an action happen inside that
 * action's own operation (same transaction); `append` here is for entries that stand alone.
 */
import type { AuditAnchor, AuditChainHead, AuditEntryInput, AuditQuery, AuditRow, AuditVerifyReport } from '../audit.js';

export interface AuditOps {
  /** Whether new entries are keyed (HMAC, hash version 3). */
  readonly keyed: boolean;
  /** One entry in its own transaction; returns its id. */
  append(entry: AuditEntryInput): Promise<number>;
  appendMany(entries: readonly AuditEntryInput[]): Promise<number[]>;
  head(): Promise<AuditChainHead>;
  get(id: number): Promise<AuditRow | undefined>;
  /** Newest first, windowed (`beforeId`, `limit`). */
  query(q?: AuditQuery): Promise<AuditRow[]>;
  batchMembers(batchId: number, limit?: number): Promise<AuditRow[]>;
  batchApplied(batchId: number): Promise<number>;
  verify(options?: { pageSize?: number; anchors?: readonly AuditAnchor[] }): Promise<AuditVerifyReport>;
}
