import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { fitHints, FooterHints, type HintItem } from '../../components/FooterHints.js';
import { lastFrameStripped, themed } from '../helpers/ink.js';

const hints: HintItem[] = [
  { keys: '⏎', label: 'details' },
  { keys: '+/=', label: 'raise', disabledReason: 'read-only' },
  { keys: 'p', label: 'priority' },
  { keys: '?', label: 'help' },
];

describe('FooterHints', () => {
  it('shows keys with labels, and a disabled hint with its reason', () => {
    const frame = lastFrameStripped(render(themed(<FooterHints hints={hints} width={100} />)));
    expect(frame).toBe('⏎ details  +/= raise (read-only)  p priority  ? help');
  });

  it('leaves off whole hints from the end when narrow', () => {
    const frame = lastFrameStripped(render(themed(<FooterHints hints={hints} width={36} />)));
    expect(frame).toBe('⏎ details  +/= raise (read-only)');
    expect(fitHints(hints, 9)).toHaveLength(1);
    expect(fitHints(hints, 8)).toHaveLength(0);
  });

  it('cuts the first hint rather than showing nothing', () => {
    const frame = lastFrameStripped(render(themed(<FooterHints hints={hints} width={5} />)));
    expect(frame).toBe('⏎ de…');
  });
});
