import { describe, expect, it } from 'vitest';
import { displayWidth, fitCell, forGlyphs, formatDuration, singleLine, toAscii, truncate, wrapText } from '../../components/text.js';
import { formatCount } from '../../src/text/format.js';
import { formatSeconds } from '../../src/cli/format.js';
import { plural } from '../../src/text/format.js';

describe('text width helpers', () => {
  it('counts wide characters as two columns and combining marks as none', () => {
    expect(displayWidth('abc')).toBe(3);
    expect(displayWidth('源氏物語')).toBe(8);
    expect(displayWidth('e\u0301')).toBe(1);
    expect(displayWidth('📚')).toBe(2);
  });

  it('truncates to the width with the given ellipsis, from either end', () => {
    expect(truncate('Moby Dick; or, The Whale', 10, '…')).toBe('Moby Dick…');
    expect(truncate('Moby Dick; or, The Whale', 10, '...')).toBe('Moby Di...');
    expect(truncate('/srv/library/books.db', 12, '…', 'start')).toBe('…ry/books.db');
    expect(truncate('short', 10, '…')).toBe('short');
    expect(truncate('源氏物語', 5, '…')).toBe('源氏…');
    expect(truncate('anything', 2, '...')).toBe('..');
  });

  it('fitCell pads to the exact width and keeps text on one line', () => {
    expect(fitCell('42', 5, '…', 'right')).toBe('   42');
    expect(fitCell('a\nb', 5, '…')).toBe('a b  ');
    expect(fitCell('ab', 6, '…', 'center')).toBe('  ab  ');
  });

  it('toAscii keeps text legible in a non-UTF-8 terminal', () => {
    expect(toAscii('Jane Eyre — Charlotte Brontë’s “novel”…')).toBe('Jane Eyre - Charlotte Bronte\'s "novel"...');
    expect(toAscii('源氏物語')).toBe('????');
    expect(forGlyphs('Brontë', { ascii: false })).toBe('Brontë');
    expect(forGlyphs('Brontë', { ascii: true })).toBe('Bronte');
  });

  it('formats counts and durations in the one style the CLI uses too', () => {
    expect(formatCount(1_000_000)).toBe('1,000,000');
    expect(formatDuration(42_000)).toBe('42s');
    expect(formatDuration(125_000)).toBe('2 min');
    expect(formatDuration(2 * 3600_000 + 4 * 60_000)).toBe('2.1 h');
    expect(formatDuration(-5)).toBe('0s');
    for (const s of [42, 125, 7440, 200_000]) expect(formatDuration(s * 1000)).toBe(formatSeconds(s));
  });

  it('shows control characters escaped in a cell, and wraps long text instead of cutting it', () => {
    expect(singleLine('a\u001b[2Jb\u0007\tc')).toBe('a\\x1b[2Jb\\x07 c');
    expect(fitCell('x\u001b]0;t', 12, '…')).toBe('x\\x1b]0;t   ');
    expect(wrapText('one two three four', 9)).toEqual(['one two', 'three', 'four']);
    expect(wrapText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
  });

  it('1 book, 2 books', () => {
    expect(plural(1, 'book')).toBe('1 book');
    expect(plural(2, 'book')).toBe('2 books');
    expect(plural(1000, 'entry', 'entries')).toBe('1,000 entries');
  });
});
