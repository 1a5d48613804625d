import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { helpLineCount, HelpOverlay, type HelpSection } from '../../components/HelpOverlay.js';
import { displayWidth } from '../../components/text.js';
import { lastFrameStripped, themed } from '../helpers/ink.js';

const sections: HelpSection[] = [
  { title: 'Queue', entries: [{ keys: '+/=', description: 'Raise priority', disabledReason: 'read-only' }, { keys: 'p', description: 'Set priority' }] },
  { title: 'Everywhere', entries: [{ keys: '?', description: 'Show all keys' }, { keys: 'q', description: 'Quit' }] },
];

describe('HelpOverlay', () => {
  it('groups entries under their section titles inside a box of the given size', () => {
    const frame = lastFrameStripped(render(themed(<HelpOverlay sections={sections} width={50} height={12} />)));
    const lines = frame.split('\n');
    expect(lines).toHaveLength(12);
    for (const l of lines) expect(displayWidth(l)).toBe(50);
    expect(frame).toMatch(/Queue[\s\S]*\+\/= +\(read-only\) Raise priority[\s\S]*p +Set priority[\s\S]*Everywhere[\s\S]*q +Quit/);
    expect(frame).toContain('Esc close');
  });

  it('scrolls by offset and says where it is when the content is taller than the box', () => {
    expect(helpLineCount(sections)).toBe(7);
    const frame = lastFrameStripped(render(themed(<HelpOverlay sections={sections} width={50} height={7} offset={3} closeHint="Esc/? close" />)));
    expect(frame).not.toContain('Queue');
    expect(frame).toContain('Everywhere');
    expect(frame).toContain('4–7 of 7');
    expect(frame).toContain('Esc/? close');
  });

  it('keeps a disabled reason visible when the description is cut', () => {
    const long: HelpSection[] = [
      { title: 'Queue', entries: [{ keys: '-', description: 'Lower the selected book’s priority by one (towards 10)', disabledReason: 'already 10' }] },
    ];
    const frame = lastFrameStripped(render(themed(<HelpOverlay sections={long} width={40} height={6} />)));
    expect(frame).toContain('(already 10) Lower the');
    expect(frame).toContain('…');
  });

  it('draws an ASCII border in the ASCII theme', () => {
    const frame = lastFrameStripped(render(themed(<HelpOverlay sections={sections} width={40} height={12} />, { ascii: true })));
    expect(frame.split('\n')[0]).toMatch(/^\+-+\+$/);
  });
});
