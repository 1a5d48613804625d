/**
 * How the console names things in sentences and detail panes: a book by its file name and short
 * id, an audit entry by its action and actor. Plain functions (no Ink), shared by the screens and
 * the controller so a confirmation names a book exactly as the list shows it.
 */
import path from 'node:path';
import type { AuditRow } from '../src/db/audit.js';
import { auditToJson } from '../src/db/audit-entry.js';
import type { StuckBook } from '../src/ops/types.js';
import { formatConfidence, formatSeconds, formatTime, shortId } from '../src/cli/format.js';
import type { KeyValueItem } from '../components/KeyValueList.js';
import { escapeControl } from '../src/text/escape.js';
import { plural } from '../src/text/format.js';

/**
 * A book's title as a person knows it: the one the classifier read from the file (stored in
 * profile_json), else the file name (books not yet read have only that). Control characters are
 * shown escaped.
 */
export function bookTitle(b: { source_path: string; profile_json?: string | null }): string {
  if (b.profile_json) {
    try {
      const t = (JSON.parse(b.profile_json) as { title?: unknown }).title;
      if (typeof t === 'string' && t.trim() !== '') return escapeControl(t);
    } catch {
      // A profile that is not JSON is shown as if it had no title.
    }
  }
  return escapeControl(path.basename(b.source_path));
}

/** `"moby-dick.epub" (3f2a9c1e)` */
export function bookLabel(b: { id: string; source_path: string }): string {
  return `"${escapeControl(path.basename(b.source_path))}" (${shortId(b.id)})`;
}

export function stuckDetails(b: StuckBook): KeyValueItem[] {
  return [
    { label: 'Id', value: b.id },
    { label: 'File', value: b.source_path },
    { label: 'State', value: b.state },
    { label: 'Stuck for', value: formatSeconds(b.stuck_seconds), tone: 'warning' },
    { label: 'Expected', value: b.expected_seconds === null ? 'unknown' : formatSeconds(b.expected_seconds) },
    { label: 'Reason', value: b.reason === 'lease_expired' ? 'lease expired (worker gone)' : 'over the expected time' },
    { label: 'Lease owner', value: b.lease_owner ?? '-' },
    { label: 'Priority', value: String(b.priority) },
    { label: 'Attempts', value: `${b.attempts} of ${b.max_attempts}` },
    { label: 'Auto recoveries', value: String(b.auto_recoveries) },
  ];
}

function json(v: unknown): string {
  if (v === null || v === undefined) return '-';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function auditDetails(r: AuditRow): KeyValueItem[] {
  const doc = auditToJson(r);
  const ids = Array.isArray(doc.ids) ? (doc.ids as string[]) : null;
  const items: KeyValueItem[] = [
    { label: 'Entry', value: `#${r.id} at ${formatTime(r.at)}` },
    { label: 'Action', value: r.action },
    { label: 'Actor', value: r.actor },
    { label: 'Book', value: r.pipeline_id ?? '-' },
    { label: 'Batch', value: r.batch_id === null ? '-' : `#${r.batch_id}` },
    { label: 'Reason', value: r.reason ?? '-' },
    { label: 'Before', value: json(doc.before) },
    { label: 'After', value: json(doc.after) },
  ];
  if (r.filter_json) items.push({ label: 'Filter', value: json(doc.filter) });
  if (r.count !== null) items.push({ label: 'Count', value: String(r.count) });
  if (ids) items.push({ label: 'Ids', value: ids.map(shortId).join(' ') });
  if (r.confidence !== null) items.push({ label: 'Confidence', value: formatConfidence(r.confidence) });
  if (r.details_json) items.push({ label: 'Details', value: json(doc.details) });
  return items;
}

/** One line for the audit list's last column. */
export function auditSummary(r: AuditRow, arrow = '→'): string {
  const parts: string[] = [];
  if (r.before_value !== null || r.after_value !== null) {
    parts.push(`${stripQuotes(r.before_value)} ${arrow} ${stripQuotes(r.after_value)}`);
  }
  if (r.count !== null && r.pipeline_id === null) parts.push(plural(r.count, 'book'));
  if (r.reason) parts.push(r.reason);
  return parts.join('  ');
}

function stripQuotes(v: string | null): string {
  if (v === null) return '-';
  return v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}
