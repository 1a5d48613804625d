/** Queue: queued books in claim order (priority, then oldest), one window at a time. */
import { Text } from 'ink';
import type { ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { WindowedTable, type TableColumn } from '../components/WindowedTable.js';
import { tableBodyRows } from '../components/windowing.js';
import { useTheme } from '../components/theme.js';
import { useQueue } from '../store/context.js';
import type { PipelineRow } from '../src/store/pipeline-row.js';
import { formatTime, shortId } from '../src/cli/format.js';
import { visibleSlice } from './list-window.js';

const COLUMNS: readonly TableColumn<PipelineRow>[] = [
  { id: 'id', header: 'ID', cell: (r) => shortId(r.id), width: 8 },
  { id: 'p', header: 'P', cell: (r) => String(r.priority), width: 2, align: 'right', tone: (r) => (r.priority <= 2 ? 'accent' : undefined) },
  { id: 'state', header: 'STATE', cell: (r) => r.state, width: 11, tone: (r) => (r.state === 'needs_retry' ? 'warning' : undefined) },
  { id: 'tries', header: 'TRIES', cell: (r) => `${r.attempts}/${r.max_attempts}`, width: 5, align: 'right' },
  { id: 'queued', header: 'QUEUED AT', cell: (r) => formatTime(r.created_at).slice(5, 16), width: 11 },
  { id: 'path', header: 'FILE', cell: (r) => r.source_path, flex: 1, minWidth: 10, cut: 'start' },
];

export function QueueTab(props: { width: number; height: number }): ReactNode {
  const rows = useQueue(useShallow((s) => s.rows));
  const [selectedId, windowStart, total, capped, filter, loaded, error] = useQueue(
    useShallow((s) => [s.selectedId, s.windowStart, s.total, s.totalCapped, s.filter, s.loaded, s.error]),
  );
  const { colors } = useTheme();
  if (!loaded) return <Text color={error ? colors.critical : colors.muted}>{error ? `Could not read the queue: ${error}` : 'Reading the queue…'}</Text>;
  const shown = visibleSlice(rows, rows.findIndex((r) => r.id === selectedId), tableBodyRows(props.height), windowStart);
  const caption = filter ? `filter: ${filter}` : 'claim order';
  return (
    <WindowedTable
      columns={COLUMNS}
      rows={shown.rows}
      rowId={(r) => r.id}
      windowStart={shown.windowStart}
      totalRows={total}
      totalIsLowerBound={capped}
      selectedId={selectedId}
      width={props.width}
      height={props.height}
      emptyText={filter ? `No queued book matches "${filter}"` : 'The queue is empty'}
      caption={error ? `refresh failed: ${error}` : caption}
    />
  );
}
