/** Failed: books that failed or wait for a retry, most recent first, each with its error in words. */
import type { ReactNode } from 'react';
import type { TableColumn } from '../components/WindowedTable.js';
import { useFailed } from './store-context.js';
import type { PipelineRow } from '../src/db/pipeline-row.js';
import { shortId } from '../src/cli/format.js';
import { formatShortDateTime } from '../src/text/format.js';
import { errorSentence } from '../src/domain/error-text.js';
import { bookTitle } from './describe.js';
import { ListWindowTable, useListWindow } from './ListWindowTable.js';

/** At 80 columns: id, state and time keep their width; the error gets the most room, then the title. */
const COLUMNS: readonly TableColumn<PipelineRow>[] = [
  { id: 'id', header: 'ID', cell: (r) => shortId(r.id), width: 8 },
  { id: 'state', header: 'STATE', cell: (r) => r.state, width: 11, tone: (r) => (r.state === 'failed' ? 'critical' : 'warning') },
  { id: 'tries', header: 'TRIES', cell: (r) => `${r.attempts}/${r.max_attempts}`, width: 5, align: 'right' },
  { id: 'at', header: 'SINCE', cell: (r) => formatShortDateTime(r.state_entered_at), width: 11 },
  { id: 'title', header: 'TITLE', cell: (r) => bookTitle(r), flex: 2, minWidth: 10 },
  { id: 'error', header: 'ERROR', cell: (r) => errorSentence(r.error_json) ?? '-', flex: 3, minWidth: 12 },
];

export function FailedTab(props: { width: number; height: number }): ReactNode {
  const list = useListWindow(useFailed);
  const filter = useFailed((s) => s.filter);
  return (
    <ListWindowTable
      window={list}
      columns={COLUMNS}
      what="failed books"
      width={props.width}
      height={props.height}
      emptyText={filter ? `No failed book matches "${filter}"` : 'No failed books, none waiting for a retry'}
      caption={filter ? `filter: ${filter}` : 'failed and needs_retry, newest first'}
    />
  );
}
