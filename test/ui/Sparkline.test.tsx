import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { Sparkline, sparklineText } from '../../components/Sparkline.js';
import { asciiGlyphs, unicodeGlyphs } from '../../components/theme.js';
import { lastFrameStripped, themed } from '../helpers/ink.js';

describe('Sparkline', () => {
  it('scales from 0 to the largest value: lowest and highest glyphs at the ends', () => {
    expect(sparklineText([0, 1, 2, 3, 4, 5, 6, 7], unicodeGlyphs)).toBe('▁▂▃▄▅▆▇█');
    expect(sparklineText([0, 2, 4], asciiGlyphs)).toBe('_-^');
  });

  it('draws only the newest `width` values', () => {
    expect(sparklineText([9, 9, 9, 0, 8], unicodeGlyphs, { width: 2 })).toBe('▁█');
  });

  it('honours a fixed max, and shows gaps as spaces', () => {
    expect(sparklineText([5, Number.NaN, 10], unicodeGlyphs, { max: 10 })).toBe('▅ █');
    expect(sparklineText([], unicodeGlyphs)).toBe('');
  });

  it('renders with the ASCII glyphs of the theme', () => {
    const i = render(themed(<Sparkline values={[0, 1, 2, 3, 4]} />, { ascii: true }));
    expect(lastFrameStripped(i)).toBe('_.-=^');
  });
});
