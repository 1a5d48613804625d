/**
 * A list tab's table over its store's window (Queue, Failed, Audit): "Reading …" until the first
 * window, the error in place of the table if that failed, else the rows that keep the selection
 * in view (a dialog may have taken lines), with the caption saying when a later refresh failed.
 */
import { Text } from 'ink';
import type { ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { WindowedTable, type TableColumn } from '../components/WindowedTable.js';
import { tableBodyRows } from '../components/windowing.js';
import { useTheme } from '../components/theme.js';
import type { ListWindowState } from '../store/window-store.js';
import { visibleSlice } from './list-window.js';

type WindowView<Row, Id> = Omit<ListWindowState<Row, Id>, 'applyWindow' | 'setError'>;

/** The window fields of a list store, selected so that only their changes re-render. */
export function useListWindow<Row, Id>(use: <T>(selector: (s: ListWindowState<Row, Id>) => T) => T): WindowView<Row, Id> {
  const rows = use(useShallow((s) => s.rows));
  const [selectedId, windowStart, total, totalCapped, loaded, error] = use(
    useShallow((s) => [s.selectedId, s.windowStart, s.total, s.totalCapped, s.loaded, s.error] as const),
  );
  return { rows, selectedId, windowStart, total, totalCapped, loaded, error };
}

export interface ListWindowTableProps<Row extends { readonly id: Id }, Id extends string | number> {
  readonly window: WindowView<Row, Id>;
  /** The columns, or how to make them from the rows on screen (the Audit `#` column fits its ids). */
  readonly columns: readonly TableColumn<Row>[] | ((shown: readonly Row[]) => readonly TableColumn<Row>[]);
  /** What is read, for "Reading the queue…" and "Could not read the queue: …". */
  readonly what: string;
  readonly emptyText: string;
  readonly caption: string;
  readonly width: number;
  readonly height: number;
}

export function ListWindowTable<Row extends { readonly id: Id }, Id extends string | number>(props: ListWindowTableProps<Row, Id>): ReactNode {
  const { rows, selectedId, windowStart, total, totalCapped, loaded, error } = props.window;
  const { colors } = useTheme();
  if (!loaded) return <Text color={error ? colors.critical : colors.muted}>{error ? `Could not read ${props.what}: ${error}` : `Reading ${props.what}…`}</Text>;
  const shown = visibleSlice(rows, rows.findIndex((r) => r.id === selectedId), tableBodyRows(props.height), windowStart);
  return (
    <WindowedTable
      columns={typeof props.columns === 'function' ? props.columns(shown.rows) : props.columns}
      rows={shown.rows}
      rowId={(r) => r.id}
      windowStart={shown.windowStart}
      totalRows={total}
      totalIsLowerBound={totalCapped}
      selectedId={selectedId}
      width={props.width}
      height={props.height}
      emptyText={props.emptyText}
      caption={error ? `refresh failed: ${error}` : props.caption}
    />
  );
}
