import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { barText, PriorityBars } from '../../components/PriorityBars.js';
import { displayWidth } from '../../components/text.js';
import { asciiGlyphs, unicodeGlyphs } from '../../components/theme.js';
import { lastFrameStripped, themed } from '../helpers/ink.js';

describe('PriorityBars', () => {
  it('draws one line per priority 1..10 with the count, the largest bar full width', () => {
    const i = render(themed(<PriorityBars counts={{ 1: 1204, 2: 3, 5: 602 }} width={40} />));
    const lines = lastFrameStripped(i).split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatch(/^P1 +█+ +1,204$/);
    expect(lines[4]).toMatch(/^P5 +█+[▏▎▍▌▋▊▉]? +602$/);
    expect(lines[9]).toMatch(/^P10 +0$/);
    // P1's bar is twice P5's.
    const bar = (l: string | undefined): number => (l?.match(/[█▏▎▍▌▋▊▉]+/)?.[0] ?? '').length;
    expect(bar(lines[0])).toBeGreaterThanOrEqual(2 * bar(lines[4]) - 1);
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(40);
  });

  it('gives a tiny count a visible sliver', () => {
    const i = render(themed(<PriorityBars counts={{ 1: 1_000_000, 2: 1 }} width={40} />));
    expect(lastFrameStripped(i).split('\n')[1]).toMatch(/^P2 +▏ +1$/);
  });

  it('uses # bars in ASCII', () => {
    const i = render(themed(<PriorityBars counts={{ 3: 10 }} priorities={[3, 4]} width={20} />, { ascii: true }));
    const lines = lastFrameStripped(i).split('\n');
    expect(lines[0]).toMatch(/^P3 #+ 10$/);
    expect(lastFrameStripped(i)).not.toMatch(/[█▏]/);
  });

  it('barText uses eighth-cells in Unicode and whole cells in ASCII', () => {
    expect(barText(1, 2, 3, unicodeGlyphs)).toBe('█▌');
    expect(barText(1, 2, 3, asciiGlyphs)).toBe('##');
    expect(barText(0, 2, 3, unicodeGlyphs)).toBe('');
  });
});
