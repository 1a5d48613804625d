/**
 * A book's story for the details pane: what it is (file, title, type, confidence), where it is
 * now (with its error in words), then every state it went through with how long it stayed, and
 * its audit entries. Reads the book's trails (history and audit walks: a few rowid probes each),
 * so opening details costs the same on a 10M-row log.
 */
import path from 'node:path';
import type { EngineServices } from '../src/services.js';
import type { PipelineRow } from '../src/db/pipeline-row.js';
import { errorSentence } from '../src/domain/error-text.js';
import { escapeControl } from '../src/text/escape.js';
import { formatCount, formatDateTime, formatMs, plural } from '../src/text/format.js';
import { formatConfidence } from '../src/cli/format.js';
import type { KeyValueItem } from '../components/KeyValueList.js';
import type { Details } from '../store/ui.js';
import type { TabId } from './keymap.js';
import { bookLabel, bookTitle } from './describe.js';

/** How many audit entries the pane lists (newest kept; the Audit tab has the rest with `book:ID`). */
export const STORY_AUDIT_LIMIT = 100;

export async function bookStory(services: Pick<EngineServices, 'engine' | 'clock'>, row: PipelineRow, tab: TabId): Promise<Details> {
  const now = services.clock();
  const items: KeyValueItem[] = [
    { label: 'Id', value: row.id },
    { label: 'File', value: escapeControl(row.source_path) },
    { label: 'Title', value: bookTitle(row) },
    { label: 'Type', value: row.book_type ?? 'not classified yet' },
    { label: 'Confidence', value: formatConfidence(row.confidence) },
    { label: 'State', value: `${row.state} for ${formatMs(now - row.state_entered_at)} (since ${formatDateTime(row.state_entered_at)})` },
  ];
  const error = errorSentence(row.error_json);
  if (error !== null) items.push({ label: 'Error', value: error, tone: 'critical' });
  items.push(
    { label: 'Priority', value: `${row.priority}${row.base_priority !== row.priority ? ` (set ${row.base_priority})` : ''}` },
    { label: 'Attempts', value: `${row.attempts} of ${row.max_attempts}` },
    { label: 'Format', value: `${row.format ?? '-'}${row.size === null ? '' : `, ${formatCount(row.size)} bytes`}` },
  );
  if (row.lease_owner) items.push({ label: 'Lease', value: `${escapeControl(row.lease_owner)} until ${formatDateTime(row.lease_expires_at)}` });
  if (row.approved_by) items.push({ label: 'Approved by', value: escapeControl(row.approved_by) });

  const history = await services.engine.history.forPipeline(row.id);
  items.push({ label: '', value: `History: ${plural(history.length, 'state change')}`, heading: true });
  // Row i entered to_state at `at`; it lasted until row i+1 (whose duration_ms is that stay).
  history.forEach((h, i) => {
    const next = history[i + 1];
    const stayed = next ? formatMs(next.duration_ms ?? next.at - h.at) : `${formatMs(now - h.at)} so far`;
    items.push({ label: h.to_state, value: `${stayed}, from ${formatDateTime(h.at)} (${escapeControl(h.actor)})` });
  });

  const audit = await services.engine.audit.query({ pipelineId: row.id, limit: STORY_AUDIT_LIMIT });
  items.push({ label: '', value: `Audit: ${plural(audit.length, 'entry', 'entries')}${audit.length === STORY_AUDIT_LIMIT ? ' (newest)' : ''}`, heading: true });
  for (const a of [...audit].reverse()) {
    const what = [a.action, escapeControl(a.actor), a.reason ? escapeControl(a.reason) : ''].filter(Boolean).join('  ');
    items.push({ label: `#${a.id}`, value: `${formatDateTime(a.at)}  ${what}` });
  }
  return { tab, id: row.id, title: `Book ${bookLabel({ id: row.id, source_path: path.basename(row.source_path) })}`, items, offset: 0 };
}
