import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { layoutColumns, scrollIndicator, WindowedTable, type TableColumn } from '../../components/WindowedTable.js';
import { displayWidth } from '../../components/text.js';
import { asciiGlyphs, unicodeGlyphs } from '../../components/theme.js';
import { scrollToShow, tableBodyRows } from '../../components/windowing.js';
import { lastFrameStripped, themed } from '../helpers/ink.js';

interface Book {
  id: number;
  title: string;
  state: string;
  priority: number;
}

const columns: TableColumn<Book>[] = [
  { id: 'id', header: 'ID', width: 8, align: 'right', cell: (b) => String(b.id) },
  { id: 'title', header: 'Title', flex: 2, cell: (b) => b.title },
  { id: 'state', header: 'State', flex: 1, cell: (b) => b.state },
  { id: 'priority', header: 'Pri', width: 3, align: 'right', cell: (b) => String(b.priority) },
];

/** The rows a caller would fetch with LIMIT/OFFSET from a result of `total` books. */
function windowOf(start: number, count: number): Book[] {
  return Array.from({ length: count }, (_, i) => ({
    id: 1000 + start + i,
    title: `Book number ${start + i + 1} with a long subtitle about things`,
    state: i % 2 === 0 ? 'failed' : 'needs_retry',
    priority: ((start + i) % 10) + 1,
  }));
}

function table(props: Partial<Parameters<typeof WindowedTable<Book>>[0]> & { rows: Book[] }, ascii = false) {
  return render(
    themed(
      <WindowedTable<Book>
        columns={columns}
        rowId={(b) => b.id}
        windowStart={0}
        totalRows={props.rows.length}
        width={100}
        height={10}
        {...props}
      />,
      { ascii },
    ),
  );
}

const lines = (frame: string): string[] => frame.split('\n');

describe('WindowedTable', () => {
  it('shows the header, the window the caller fetched, and "120–127 of 1,000,000"', () => {
    const height = 10;
    const rows = windowOf(119, tableBodyRows(height));
    const frame = lastFrameStripped(table({ rows, windowStart: 119, totalRows: 1_000_000, height }));
    const ls = lines(frame);
    expect(ls[0]).toMatch(/ID\s+Title\s+State\s+Pri/);
    expect(ls[1]).toContain('Book number 120 ');
    expect(ls[8]).toContain('Book number 127 ');
    expect(ls[9]).toContain('120–127 of 1,000,000');
    expect(ls[9]).toContain('↑↓'); // more above and below
  });

  it('never draws more rows than its height, even when given more', () => {
    const frame = lastFrameStripped(table({ rows: windowOf(0, 50), totalRows: 50, height: 6 }));
    const ls = lines(frame);
    expect(ls).toHaveLength(6);
    expect(frame).toContain('Book number 4 ');
    expect(frame).not.toContain('Book number 5 ');
    expect(ls[5]).toContain('1–4 of 50');
  });

  it('highlights the selected row by id, and the highlight follows the id when rows shift', () => {
    const rows = windowOf(0, 5);
    const i = table({ rows, totalRows: 5, selectedId: 1002 });
    const selectedLine = (): string | undefined => lines(lastFrameStripped(i)).find((l) => l.startsWith('›'));
    expect(selectedLine()).toContain('Book number 3 ');
    // A new book arrives at the top: the same book stays selected, one line lower.
    const shifted = [{ id: 1, title: 'Brand new book', state: 'detected', priority: 1 }, ...rows.slice(0, 4)];
    i.rerender(
      themed(<WindowedTable<Book> columns={columns} rows={shifted} rowId={(b) => b.id} windowStart={0} totalRows={6} width={100} height={10} selectedId={1002} />),
    );
    expect(selectedLine()).toContain('Book number 3 ');
    expect(lines(lastFrameStripped(i)).findIndex((l) => l.startsWith('›'))).toBe(4);
  });

  it('truncates with an ellipsis and every line fits a narrow width', () => {
    const frame = lastFrameStripped(table({ rows: windowOf(0, 3), totalRows: 3, width: 40 }));
    for (const l of lines(frame)) expect(displayWidth(l)).toBeLessThanOrEqual(40);
    expect(frame).toContain('…');
    expect(frame).not.toContain('long subtitle');
  });

  it('uses "..." and "-" in the ASCII theme', () => {
    const frame = lastFrameStripped(table({ rows: windowOf(9, 3), windowStart: 9, totalRows: 20, width: 40 }, true));
    expect(frame).toContain('...');
    expect(frame).toContain('10-12 of 20');
    expect(frame).not.toMatch(/[…–↑↓›]/);
  });

  it('writes book data in ASCII in the ASCII theme, so columns stay aligned', () => {
    const rows: Book[] = [
      { id: 1, title: 'Wuthering Heights — Brontë', state: 'failed', priority: 1 },
      { id: 2, title: '源氏物語', state: 'failed', priority: 2 },
    ];
    const frame = lastFrameStripped(table({ rows, totalRows: 2 }, true));
    expect(frame).toContain('Wuthering Heights - Bronte');
    expect(frame).toContain('????');
    expect([...frame].every((ch) => (ch.codePointAt(0) ?? 0) < 128)).toBe(true);
  });

  it('says so when there are no rows', () => {
    const frame = lastFrameStripped(table({ rows: [], totalRows: 0, emptyText: 'Nothing is stuck' }));
    expect(frame).toContain('Nothing is stuck');
    expect(frame).toContain('0 rows');
  });

  it('shows the caption at the left of the indicator line', () => {
    const frame = lastFrameStripped(table({ rows: windowOf(0, 2), totalRows: 2, caption: 'filter: state=failed' }));
    expect(lines(frame).at(-1)).toMatch(/^filter: state=failed\s+1–2 of 2$/);
  });
});

describe('layoutColumns', () => {
  it('gives fixed widths, shares the rest by flex, and fills the width exactly', () => {
    const w = layoutColumns(columns, 100);
    expect(w[0]).toBe(8);
    expect(w[3]).toBe(3);
    expect((w[1] ?? 0) / (w[2] ?? 1)).toBeGreaterThanOrEqual(1.9);
    expect(w.reduce((a, b) => a + b, 0) + 2 + 3).toBe(100); // pointer + gaps
  });

  it('drops trailing columns rather than overflowing', () => {
    const w = layoutColumns(columns, 16);
    expect(w.reduce((a, b) => a + b, 0) + 2 + (w.filter((x) => x > 0).length - 1)).toBeLessThanOrEqual(16);
    expect(w[3]).toBe(0);
  });
});

describe('windowing', () => {
  it('body rows are height minus header and indicator', () => {
    expect(tableBodyRows(10)).toBe(8);
    expect(tableBodyRows(1)).toBe(0);
  });

  it('scrollToShow moves the window only as far as needed', () => {
    expect(scrollToShow(0, 3, 8, 100)).toBe(0); // visible: no move
    expect(scrollToShow(0, 8, 8, 100)).toBe(1); // one below: scroll one
    expect(scrollToShow(50, 10, 8, 100)).toBe(10); // above: put it first
    expect(scrollToShow(0, 99, 8, 100)).toBe(92); // last row: window ends at the end
    expect(scrollToShow(5, 2, 8, 4)).toBe(0); // fewer rows than the window
  });

  it('scrollIndicator formats counts with separators', () => {
    expect(scrollIndicator(119, 21, 1_000_000, unicodeGlyphs)).toBe('↑↓ 120–140 of 1,000,000');
    expect(scrollIndicator(0, 5, 5, asciiGlyphs)).toBe('   1-5 of 5');
  });
});
