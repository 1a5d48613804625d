/** Queue: queued books in claim order (priority, then oldest), one window at a time. */
import path from 'node:path';
import type { ReactNode } from 'react';
import type { TableColumn } from '../components/WindowedTable.js';
import { useQueue } from './store-context.js';
import type { PipelineRow } from '../src/db/pipeline-row.js';
import { formatShortTime, shortId } from '../src/cli/format.js';
import { escapeControl } from '../src/text/escape.js';
import { bookTitle } from './describe.js';
import { ListWindowTable, useListWindow } from './ListWindowTable.js';

/**
 * At 80 columns the fixed columns keep their width (the id is never cut), the title takes what
 * is left before the path does (flex 3 to 2), and the folder, cut from the start so its nearest
 * folders stay, is the first to go when even that does not fit.
 */
const COLUMNS: readonly TableColumn<PipelineRow>[] = [
  { id: 'id', header: 'ID', cell: (r) => shortId(r.id), width: 8 },
  { id: 'p', header: 'P', cell: (r) => String(r.priority), width: 2, align: 'right', tone: (r) => (r.priority <= 2 ? 'accent' : undefined) },
  { id: 'state', header: 'STATE', cell: (r) => r.state, width: 11, tone: (r) => (r.state === 'needs_retry' ? 'warning' : undefined) },
  { id: 'tries', header: 'TRIES', cell: (r) => `${r.attempts}/${r.max_attempts}`, width: 5, align: 'right' },
  { id: 'queued', header: 'QUEUED', cell: (r) => formatShortTime(r.created_at).slice(0, 11), width: 11 },
  { id: 'title', header: 'TITLE', cell: (r) => bookTitle(r), flex: 3, minWidth: 12 },
  // The title column already names the file: the last column says where it is.
  { id: 'path', header: 'FOLDER', cell: (r) => escapeControl(path.dirname(r.source_path)), flex: 2, minWidth: 12, cut: 'start' },
];

export function QueueTab(props: { width: number; height: number }): ReactNode {
  const list = useListWindow(useQueue);
  const filter = useQueue((s) => s.filter);
  return (
    <ListWindowTable
      window={list}
      columns={COLUMNS}
      what="the queue"
      width={props.width}
      height={props.height}
      emptyText={filter ? `No queued book matches "${filter}"` : 'The queue is empty'}
      caption={filter ? `filter: ${filter}` : 'claim order'}
    />
  );
}
