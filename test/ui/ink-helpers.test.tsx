import { Text, useInput } from 'ink';
import { render } from 'ink-testing-library';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { KEY_SEQUENCES, lastFrameStripped, sendKeys, stripAnsi, hasAnsiColour, waitForFrame, waitForInputReady } from '../helpers/ink.js';

function Counter() {
  const [n, setN] = useState(0);
  const [last, setLast] = useState('');
  useInput((input, key) => {
    if (key.downArrow) setN((x) => x + 1);
    if (key.escape) setLast('esc');
    if (key.pageDown) setLast('pgdn');
    if (key.tab && key.shift) setLast('shift-tab');
  });
  return <Text>{`n=${n} last=${last}`}</Text>;
}

describe('test helpers', () => {
  it('sendKeys returns once each key has been rendered: no sleeps needed after it', async () => {
    const i = render(<Counter />);
    await waitForInputReady(i);
    await sendKeys(i, 'down', 'down', 'down');
    expect(lastFrameStripped(i)).toBe('n=3 last=');
    await sendKeys(i, 'esc'); // a lone Esc arrives only after Ink's escape timeout
    expect(lastFrameStripped(i)).toBe('n=3 last=esc');
    await sendKeys(i, 'pgdn');
    expect(lastFrameStripped(i)).toBe('n=3 last=pgdn');
    await sendKeys(i, 'shift-tab');
    expect(lastFrameStripped(i)).toBe('n=3 last=shift-tab');
  });

  it('a key that changes nothing returns after the bounded wait', async () => {
    const i = render(<Counter />);
    await waitForInputReady(i);
    await sendKeys(i, 'x');
    expect(lastFrameStripped(i)).toBe('n=0 last=');
  });

  it('waitForFrame fails with the last frame when the condition never holds', async () => {
    const i = render(<Counter />);
    await expect(waitForFrame(i, (f) => f.includes('never'), { timeoutMs: 50 })).rejects.toThrow(/n=0 last=/);
  });

  it('stripAnsi and hasAnsiColour', () => {
    expect(stripAnsi('\u001b[31mred\u001b[39m \u001b[7minv\u001b[27m')).toBe('red inv');
    expect(hasAnsiColour('\u001b[31mred\u001b[39m')).toBe(true);
    expect(hasAnsiColour('\u001b[38;5;12mx\u001b[39m')).toBe(true);
    expect(hasAnsiColour('\u001b[1m\u001b[7mbold inverse\u001b[27m\u001b[22m')).toBe(false);
    expect(KEY_SEQUENCES.pgdn).toBe('\u001b[6~');
  });
});
