import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { displayWidth, fitCell, forGlyphs, truncate, type Align } from './text.js';
import { formatCount } from '../src/text/format.js';
import { useTheme, type ColourToken, type Glyphs } from './theme.js';
import { tableBodyRows } from './windowing.js';

/**
 * A table that draws only the window of rows its caller fetched.
 *
 * The caller owns the data: it knows `totalRows` (e.g. from a count table) and fetches the rows
 * `[windowStart, windowStart + tableBodyRows(height))` itself. The table draws a header, those
 * rows (never more than fit in `height`), and a scroll indicator "120–140 of 1,000,000".
 * Selection is by row id, so a row keeps its highlight when rows around it change.
 */

export interface TableColumn<Row> {
  /** Stable key for React. */
  readonly id: string;
  readonly header: string;
  /** Cell text; it is put on one line, truncated with the theme's ellipsis and padded. */
  readonly cell: (row: Row) => string;
  /** Fixed width in columns. A column with neither `width` nor `flex` gets `flex: 1`. */
  readonly width?: number;
  /** Share of the width left after fixed columns. */
  readonly flex?: number;
  /** Smallest width a flex column shrinks to before columns are dropped (default 1). */
  readonly minWidth?: number;
  readonly align?: Align;
  /**
   * Where a value too long for the cell is cut: 'end' (default) or 'start', which keeps the end:
   * for paths, whose file name tells books apart while the folders they share do not.
   */
  readonly cut?: 'end' | 'start';
  /** Colour of the cell, by meaning (e.g. `critical` for a failed state). */
  readonly tone?: (row: Row) => ColourToken | undefined;
}

export interface WindowedTableProps<Row> {
  readonly columns: readonly TableColumn<Row>[];
  /** The rows of the window, in display order; rows beyond the height are not drawn. */
  readonly rows: readonly Row[];
  /** Row id used for selection and React keys. */
  readonly rowId: (row: Row) => string | number;
  /** 0-based position of `rows[0]` in the whole result. */
  readonly windowStart: number;
  /** Rows in the whole result (not just the window). */
  readonly totalRows: number;
  /** `totalRows` is a lower bound (a capped count): shown as "10,000+". */
  readonly totalIsLowerBound?: boolean;
  readonly selectedId?: string | number | null;
  /** Width in columns; every line fits in it. */
  readonly width: number;
  /** Total lines: header + body + indicator. Body rows = `tableBodyRows(height)`. */
  readonly height: number;
  /** Shown in the body when `totalRows` is 0. */
  readonly emptyText?: string;
  /** Shown at the left of the indicator line (e.g. the active filter). */
  readonly caption?: string;
}

/** Width of the selection pointer column ("› "). */
const POINTER_WIDTH = 2;

/**
 * Widths of `columns` for a table `width` columns wide; trailing columns that cannot get even
 * their minimum width get 0 and are not drawn. Exported for screens that align other text
 * with a table.
 */
export function layoutColumns(
  columns: readonly Pick<TableColumn<unknown>, 'width' | 'flex' | 'minWidth'>[],
  width: number,
): number[] {
  let count = columns.length;
  for (;;) {
    const cols = columns.slice(0, count);
    const available = width - POINTER_WIDTH - Math.max(0, cols.length - 1);
    const flexOf = (c: (typeof cols)[number]): number => (c.width === undefined ? (c.flex ?? 1) : 0);
    const fixed = cols.reduce((sum, c) => sum + (c.width ?? 0), 0);
    const flexTotal = cols.reduce((sum, c) => sum + flexOf(c), 0);
    const remaining = Math.max(0, available - fixed);
    const widths = cols.map((c) => (c.width !== undefined ? c.width : Math.floor((remaining * flexOf(c)) / flexTotal)));
    // Hand the rounding leftovers to the last flex column.
    const lastFlex = cols.map(flexOf).reduce((last, f, i) => (f > 0 ? i : last), -1);
    if (lastFlex >= 0) {
      const used = widths.reduce((a, b) => a + b, 0);
      widths[lastFlex] = (widths[lastFlex] ?? 0) + Math.max(0, available - used);
    }
    // Too narrow: shrink the widest column one step at a time, down to each column's minimum.
    let total = widths.reduce((a, b) => a + b, 0);
    while (total > available) {
      let widest = -1;
      for (let i = 0; i < widths.length; i++) {
        const min = cols[i]?.minWidth ?? 1;
        if ((widths[i] ?? 0) > min && (widest < 0 || (widths[i] ?? 0) > (widths[widest] ?? 0))) widest = i;
      }
      if (widest < 0) break;
      widths[widest] = (widths[widest] ?? 0) - 1;
      total--;
    }
    const fits = total <= available && widths.every((w, i) => w >= (cols[i]?.minWidth ?? 1));
    if (fits || count <= 1) {
      return columns.map((_, i) => (i < count ? Math.max(0, widths[i] ?? 0) : 0));
    }
    count--; // drop the last column and lay out again
  }
}

/**
 * "120–140 of 1,000,000" with ↑/↓ when there is more above/below. With a capped count
 * (`lowerBound`) the total reads "10,000+", and a window at or past the cap "beyond 10,000".
 */
export function scrollIndicator(windowStart: number, shown: number, totalRows: number, glyphs: Glyphs, lowerBound = false): string {
  const total = `${formatCount(totalRows)}${lowerBound ? '+' : ''}`;
  if (totalRows <= 0) return '0 rows';
  if (shown <= 0) return `${total} rows`;
  const up = windowStart > 0 ? glyphs.arrowUp : ' ';
  if (lowerBound && windowStart >= totalRows) return `${up}${glyphs.arrowDown} beyond ${formatCount(totalRows)}`;
  const first = windowStart + 1;
  const last = windowStart + shown;
  const down = lowerBound || last < totalRows ? glyphs.arrowDown : ' ';
  return `${up}${down} ${formatCount(first)}${glyphs.rangeDash}${formatCount(last)} of ${total}`;
}

export function WindowedTable<Row>(props: WindowedTableProps<Row>): ReactNode {
  const { colors, glyphs } = useTheme();
  const width = Math.max(0, Math.floor(props.width));
  const height = Math.max(0, Math.floor(props.height));
  if (height === 0 || width === 0) return null;

  const widths = layoutColumns(props.columns, width);
  const visible = props.columns.map((c, i) => ({ col: c, w: widths[i] ?? 0 })).filter((c) => c.w > 0);
  const capacity = tableBodyRows(height);
  const rows = props.rows.slice(0, capacity);

  const cellsOf = (texts: readonly string[]): string =>
    texts.map((t, i) => fitCell(forGlyphs(t, glyphs), visible[i]?.w ?? 0, glyphs.ellipsis, visible[i]?.col.align)).join(' ');

  const header = ' '.repeat(POINTER_WIDTH) + cellsOf(visible.map((v) => v.col.header));
  const indicator = scrollIndicator(props.windowStart, rows.length, props.totalRows, glyphs, props.totalIsLowerBound);
  const captionWidth = Math.max(0, width - displayWidth(indicator) - 1);
  const caption = truncate(forGlyphs(props.caption ?? '', glyphs), captionWidth, glyphs.ellipsis);
  const footer = truncate(caption + ' '.repeat(Math.max(1, width - displayWidth(caption) - displayWidth(indicator))) + indicator, width, glyphs.ellipsis);

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold color={colors.muted} wrap="truncate-end">
        {truncate(header, width, glyphs.ellipsis)}
      </Text>
      {capacity > 0 && (
        <Box flexDirection="column" height={capacity}>
          {props.totalRows <= 0 && rows.length === 0 ? (
            <Text color={colors.muted} wrap="truncate-end">
              {'  ' + truncate(forGlyphs(props.emptyText ?? 'No rows', glyphs), width - POINTER_WIDTH, glyphs.ellipsis)}
            </Text>
          ) : (
            rows.map((row) => {
              const id = props.rowId(row);
              const selected = props.selectedId !== undefined && props.selectedId !== null && id === props.selectedId;
              return (
                <Text key={String(id)} inverse={selected} wrap="truncate-end">
                  {selected ? fitCell(glyphs.pointer, POINTER_WIDTH, '') : ' '.repeat(POINTER_WIDTH)}
                  {visible.map((v, i) => {
                    const tone = v.col.tone?.(row);
                    return (
                      <Text key={v.col.id} color={tone ? colors[tone] : undefined}>
                        {(i > 0 ? ' ' : '') + fitCell(forGlyphs(v.col.cell(row), glyphs), v.w, glyphs.ellipsis, v.col.align, v.col.cut)}
                      </Text>
                    );
                  })}
                </Text>
              );
            })
          )}
        </Box>
      )}
      {height > 1 && (
        <Text color={colors.muted} wrap="truncate-end">
          {footer}
        </Text>
      )}
    </Box>
  );
}
