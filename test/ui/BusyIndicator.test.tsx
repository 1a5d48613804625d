import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { BusyIndicator } from '../../components/BusyIndicator.js';
import { Box, Text } from 'ink';
import { lastFrameStripped, themed, waitForFrame } from '../helpers/ink.js';

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('BusyIndicator', () => {
  it('shows what is happening while busy, and keeps its width when idle', async () => {
    // Ink trims trailing blanks, so put a marker after the indicator to see its width.
    const line = (busy: boolean) => (
      <Box>
        <BusyIndicator busy={busy} label="refreshing" width={14} />
        <Text>|</Text>
      </Box>
    );
    const i = render(themed(line(true)));
    expect(lastFrameStripped(i)).toBe('⋯ refreshing  |');
    i.rerender(themed(line(false)));
    await waitForFrame(i, (f) => !f.includes('refreshing'));
    expect(lastFrameStripped(i)).toBe(' '.repeat(14) + '|');
  });

  it('writes nothing more while idle or while busy (no animation timer)', async () => {
    for (const busy of [false, true]) {
      const i = render(themed(<BusyIndicator busy={busy} label="refreshing" />));
      const frames = i.frames.length;
      await pause(250); // a spinner would have drawn several frames by now
      expect(i.frames.length).toBe(frames);
      i.unmount();
    }
  });

  it('uses ASCII dots in the ASCII theme', () => {
    expect(lastFrameStripped(render(themed(<BusyIndicator busy label="applying" />, { ascii: true })))).toBe('... applying');
  });
});
