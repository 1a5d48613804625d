import '../helpers/force-colour.js';
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
  it('shows keys with labels; a disabled hint is dimmed, its reason left to the status line', () => {
    const inst = render(themed(<FooterHints hints={hints} width={100} />));
    expect(lastFrameStripped(inst)).toBe('⏎ details  +/= raise  p priority  ? help');
    // SGR 2 (dim) around the disabled hint only.
    // eslint-disable-next-line no-control-regex
    expect(inst.lastFrame()).toMatch(/\u001b\[2m[^\n]*raise/);
  });

  it('leaves off whole hints from the end when narrow', () => {
    const frame = lastFrameStripped(render(themed(<FooterHints hints={hints} width={22} />)));
    expect(frame).toBe('⏎ details  +/= raise');
    expect(fitHints(hints, 9)).toHaveLength(1);
    expect(fitHints(hints, 8)).toHaveLength(0);
  });

  it('keeps pinned hints (help, quit) and leaves off others first', () => {
    const pinned: HintItem[] = [...hints.slice(0, 3), { keys: '?', label: 'help', pinned: true }, { keys: 'q', label: 'quit', pinned: true }];
    const frame = lastFrameStripped(render(themed(<FooterHints hints={pinned} width={30} />)));
    expect(frame).toBe('⏎ details  ? help  q quit');
  });

  it('cuts the first hint rather than showing nothing', () => {
    const frame = lastFrameStripped(render(themed(<FooterHints hints={hints} width={5} />)));
    expect(frame).toBe('⏎ de…');
  });
});
