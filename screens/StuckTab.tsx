/** Stuck: books past their expected time in a working state, or whose worker lease ran out. */
import { Text } from 'ink';
import { useRef, type ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { WindowedTable, type TableColumn } from '../components/WindowedTable.js';
import { scrollToShow, tableBodyRows } from '../components/windowing.js';
import { useTheme } from '../components/theme.js';
import { useStuck } from './store-context.js';
import type { StuckBook } from '../src/ops/types.js';
import { formatCount, formatSeconds, shortId } from '../src/cli/format.js';

const COLUMNS: readonly TableColumn<StuckBook>[] = [
  { id: 'id', header: 'ID', cell: (b) => shortId(b.id), width: 8 },
  { id: 'state', header: 'STATE', cell: (b) => b.state, width: 18 },
  { id: 'for', header: 'STUCK FOR', cell: (b) => formatSeconds(b.stuck_seconds), width: 9, align: 'right', tone: () => 'warning' },
  { id: 'expected', header: 'EXPECTED', cell: (b) => (b.expected_seconds === null ? '-' : formatSeconds(b.expected_seconds)), width: 8, align: 'right' },
  { id: 'reason', header: 'REASON', cell: (b) => (b.reason === 'lease_expired' ? 'lease expired' : 'over time'), width: 13, tone: (b) => (b.reason === 'lease_expired' ? 'critical' : 'warning') },
  { id: 'path', header: 'FILE', cell: (b) => b.source_path, flex: 1, minWidth: 10, cut: 'start' },
];

export function StuckTab(props: { width: number; height: number }): ReactNode {
  const books = useStuck(useShallow((s) => s.books));
  const [selectedId, filter, loaded, error] = useStuck(useShallow((s) => [s.selectedId, s.filter, s.loaded, s.error]));
  const [count, countCapped, listed] = useStuck(useShallow((s) => [s.count, s.countCapped, s.all.length]));
  const { colors } = useTheme();
  const start = useRef(0);
  if (!loaded) return <Text color={error ? colors.critical : colors.muted}>{error ? `Could not read stuck books: ${error}` : 'Looking for stuck books…'}</Text>;
  const capacity = tableBodyRows(props.height);
  const index = Math.max(0, books.findIndex((b) => b.id === selectedId));
  start.current = scrollToShow(start.current, index, capacity, books.length);
  // The list holds the longest `listed` of `count`: say so rather than pretend it is all of them.
  const beyond = !filter && count > listed;
  const total = `${formatCount(count)}${countCapped ? '+' : ''} stuck`;
  const caption = error
    ? `refresh failed: ${error}`
    : filter
      ? `filter: ${filter}${count > listed ? ` (in the ${formatCount(listed)} longest of ${total})` : ''}`
      : beyond
        ? `${total}, the ${formatCount(listed)} longest shown`
        : `${total}, longest first`;
  return (
    <WindowedTable
      columns={COLUMNS}
      rows={books.slice(start.current, start.current + capacity)}
      rowId={(b) => b.id}
      windowStart={start.current}
      totalRows={books.length}
      totalIsLowerBound={beyond}
      selectedId={selectedId}
      width={props.width}
      height={props.height}
      emptyText={filter ? `No stuck book matches "${filter}"` : 'No stuck books'}
      caption={caption}
    />
  );
}
