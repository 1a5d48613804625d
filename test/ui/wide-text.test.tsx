/**
 * Titles and paths with CJK text, emoji (ZWJ sequences, flags, emoji presentation selectors)
 * and combining marks must line up in the CLI's tables and in the console exactly as Ink lays
 * them out. Ink measures with string-width, so string-width is the ruler here: a row one column
 * too wide is cut by Ink (its last column lost behind an ellipsis) or wraps in a terminal, and
 * one column too narrow leaves the columns after it out of line.
 */
import { render } from 'ink-testing-library';
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { WindowedTable, type TableColumn } from '../../components/WindowedTable.js';
import { table } from '../../src/cli/format.js';
import { lastFrameStripped, themed } from '../helpers/ink.js';
import { runCli } from '../helpers/cli.js';
import { dbIn, library } from '../cli/setup.js';

/**
 * Each one measured differently by a hand-rolled East Asian Width table than by string-width,
 * with the telling characters near the end, where a path cut to keep its end still shows them.
 */
const TITLES = [
  'Database Design and Operations: 日本語の技術書：実践ガイド', // CJK, fullwidth colon
  'Rocket Science for Everyone and their Cats 🚀 🛸 🚁 🛰', // emoji outside U+1F300–1F64F
  'Family Recipes from Three Generations 👨‍👩‍👧 👩‍🍳 👨‍👩‍👧‍👦', // ZWJ sequences: one glyph, two columns each
  'Love Letters and Watches of the World ❤️ ⌚ ⌛ 🇯🇵 🇫🇷', // VS16, wide symbols, flags
  'Mémoires: Cafe\u0301 Ame\u0301lie\u0301 re\u0301sume\u0301s de la Ne\u0301e Cre\u0301e', // combining acute accents (NFD)
  'A Korean Title: 한국어 책 제목이 아주 길어서 잘려야 하는 경우', // Hangul syllables
];

/** The same kinds of character at the start, where a value cut to keep its start still shows them. */
const LEADING = [
  '日本語の技術書：実践ガイド Database Design and Operations',
  '🚀 🛸 🚁 🛰 Rocket Science for Everyone and their Cats',
  '👨‍👩‍👧 👩‍🍳 👨‍👩‍👧‍👦 Family Recipes from Three Generations',
  '❤️ ⌚ ⌛ 🇯🇵 🇫🇷 Love Letters and Watches of the World',
  'Cafe\u0301 Ame\u0301lie\u0301 re\u0301sume\u0301s de la Ne\u0301e Cre\u0301e et Cie',
  '한국어 책 제목이 아주 길어서 잘려야 하는 경우 A Korean Title',
];

describe('CLI tables with wide and zero-width characters', () => {
  it('list: a row whose SOURCE is cut fills the 80 columns and never passes them', () => {
    const files: Record<string, string> = {};
    TITLES.forEach((t, i) => (files[`${t} ${i}.txt`] = `Book ${i}\n\n${'Some text. '.repeat(50)}`));
    const lib = library(files);
    const db = dbIn();
    const queued = runCli(['batch-queue', lib, '--db', db]);
    expect(queued.code, queued.stderr).toBe(0);
    const r = runCli(['list', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => l.includes('detected'));
    expect(rows).toHaveLength(TITLES.length);
    // Every path here is longer than its column, so each row is cut to fill the 80 columns: 80,
    // or 79 when the next character in was a wide one (the last column is left-aligned and the
    // line is not padded past its text). Never 81, which an 80-column terminal would wrap.
    for (const row of rows) expect({ row, fits: [79, 80].includes(stringWidth(row)) }).toEqual({ row, fits: true });
    // The cut keeps the end of the path: the file's own distinguishing number survives.
    TITLES.forEach((_, i) => expect(rows.some((row) => row.endsWith(` ${i}.txt`))).toBe(true));
  });

  it('a cut column keeps the columns after it aligned, row for row', () => {
    const rows = LEADING.map((title, i) => ({ title, pages: 100 + i }));
    const text = table(rows, [
      { header: 'TITLE', value: (r) => r.title, max: 30 },
      { header: 'PAGES', value: (r) => String(r.pages), align: 'right' },
    ]);
    const lines = text.split('\n');
    const widths = lines.map((l) => stringWidth(l));
    // PAGES is right-aligned and last: if every row has one width, the numbers stand in one column.
    expect(new Set(widths), text).toEqual(new Set([30 + 2 + 5]));
  });
});

interface Book {
  id: number;
  title: string;
  priority: number;
}

const columns: TableColumn<Book>[] = [
  { id: 'id', header: 'ID', width: 4, align: 'right', cell: (b) => String(b.id) },
  { id: 'title', header: 'Title', flex: 1, cell: (b) => b.title },
  { id: 'priority', header: 'Pri', width: 3, align: 'right', cell: (b) => String(b.priority) },
];

describe('console WindowedTable with wide and zero-width characters', () => {
  for (const width of [41, 60, 80, 100]) {
    it(`every row fits ${width} columns exactly, its last column intact`, () => {
      const books = TITLES.map((title, i) => ({ id: i + 1, title, priority: i + 1 }));
      const frame = lastFrameStripped(
        render(
          themed(<WindowedTable<Book> columns={columns} rows={books} rowId={(b) => b.id} windowStart={0} totalRows={books.length} width={width} height={TITLES.length + 2} />),
        ),
      );
      const body = frame.split('\n').slice(1, 1 + TITLES.length);
      expect(body).toHaveLength(TITLES.length);
      body.forEach((line, i) => {
        // Ink trims trailing blanks, so a row ending in its right-aligned priority is exactly as
        // wide as the table only if every cell before it measured as Ink measures.
        expect({ line, width: stringWidth(line) }).toEqual({ line, width });
        expect(line.endsWith(` ${i + 1}`), line).toBe(true);
      });
    });
  }
});
