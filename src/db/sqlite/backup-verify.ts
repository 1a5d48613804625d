/**
 * What makes a database copy trustworthy, checked on the copy itself: SQLite's integrity_check
 * (every page and index readable and consistent), the audit hash chain (AuditLog.verify, the
 * same walk as `audit --verify`), and the counts by state recounted from the rows
 * (`GROUP BY`) against the trigger-kept `pipeline_counts` aggregate. `backup` also compares
 * them with the source's aggregate read in the snapshot the copy was taken from.
 *
 * These read the whole file (the recount scans every pipeline): a backup's job, never polled.
 */
import type { Db } from '../db.js';
import { schemaVersion } from '../db.js';
import { AuditLog } from '../audit.js';
import type { AuditVerifyReport } from '../audit.js';

export interface AuditHead {
  id: number;
  hash: string;
}

export interface CopyVerification {
  ok: boolean;
  /** One sentence per failed check (empty when ok). */
  problems: string[];
  schema_version: number;
  integrity: { ok: boolean; messages: string[] };
  audit: { head: AuditHead | null } & AuditVerifyReport;
  /** By state: recounted from the rows, and as the aggregate has them. */
  counts: { ok: boolean; by_state: Record<string, number>; aggregate: Record<string, number> };
}

/** How many integrity problems to list: the first few say enough, and the rest can be huge. */
const INTEGRITY_LIMIT = 20;

export function verifyCopy(db: Db): CopyVerification {
  const problems: string[] = [];
  const messages = db.pragma(`integrity_check(${INTEGRITY_LIMIT})`, { simple: false }) as { integrity_check: string }[];
  const integrityOk = messages.length === 1 && messages[0]!.integrity_check === 'ok';
  if (!integrityOk) problems.push(`integrity_check found ${messages.length} problem(s), first: ${messages[0]?.integrity_check ?? '?'}`);

  // The same verdict as `audit --verify` (AuditLog.verify judges; its problems say why).
  const report = new AuditLog(db, Date.now).verify();
  if (!report.intact) problems.push(`the audit chain is broken: ${report.problems.map((p) => p.message).join('; ')}`);

  const byState = countsByState(db);
  const aggregate = aggregateByState(db);
  const countsOk = sameCounts(byState, aggregate);
  if (!countsOk) problems.push(`the counts by state (${formatCounts(byState)}) differ from the copy's own aggregate (${formatCounts(aggregate)})`);

  return {
    ok: problems.length === 0,
    problems,
    schema_version: schemaVersion(db),
    integrity: { ok: integrityOk, messages: integrityOk ? [] : messages.map((m) => m.integrity_check) },
    audit: { head: auditHead(db), ...report },
    counts: { ok: countsOk, by_state: byState, aggregate },
  };
}

/** Pipelines by state, counted from the rows. */
export function countsByState(db: Db): Record<string, number> {
  const rows = db.prepare('SELECT state, COUNT(*) AS n FROM pipelines GROUP BY state ORDER BY state').all() as { state: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

/** Pipelines by state from the trigger-kept aggregate: a few rows, cheap at any size. */
export function aggregateByState(db: Db): Record<string, number> {
  const rows = db
    .prepare('SELECT state, SUM(n) AS n FROM pipeline_counts GROUP BY state HAVING SUM(n) != 0 ORDER BY state')
    .all() as { state: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

/** The newest audit entry (the chain's head), by the primary key. */
export function auditHead(db: Db): AuditHead | null {
  return (db.prepare('SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1').get() as AuditHead | undefined) ?? null;
}

export function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if ((a[k] ?? 0) !== (b[k] ?? 0)) return false;
  return true;
}

export function formatCounts(c: Record<string, number>): string {
  const parts = Object.entries(c).map(([state, n]) => `${state} ${n}`);
  return parts.length > 0 ? parts.join(', ') : 'no pipelines';
}

/** The checks a copy passed or failed, one line each (backup and restore print the same). */
export function describeVerification(v: CopyVerification): string[] {
  return [
    `integrity_check: ${v.integrity.ok ? 'ok' : `FAILED (${v.integrity.messages[0] ?? '?'})`}`,
    `audit chain: ${v.audit.intact ? 'intact' : 'BROKEN'} (${v.audit.checked.toLocaleString('en-US')} entries checked${v.audit.head ? `, newest #${v.audit.head.id}` : ''})`,
    `counts by state: ${v.counts.ok ? 'recount equals the aggregate' : 'recount DIFFERS from the aggregate'} (${formatCounts(v.counts.by_state)})`,
  ];
}
