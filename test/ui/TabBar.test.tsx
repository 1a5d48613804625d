import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { TabBar, type TabSpec } from '../../components/TabBar.js';
import { lastFrameStripped, themed } from '../helpers/ink.js';

const tabs: TabSpec[] = [
  { id: 'health', title: 'Health' },
  { id: 'stuck', title: 'Stuck', badge: { text: '3', tone: 'critical' } },
  { id: 'queue', title: 'Queue' },
  { id: 'batch', title: 'Batch' },
  { id: 'audit', title: 'Audit' },
];

describe('TabBar', () => {
  it('numbers the tabs and brackets the active one', () => {
    const i = render(themed(<TabBar tabs={tabs} activeId="queue" />));
    const frame = lastFrameStripped(i);
    expect(frame).toContain('[3 Queue]');
    expect(frame).toMatch(/ 1 Health +2 Stuck \(3\) +\[3 Queue\] +4 Batch +5 Audit/);
  });

  it('keeps the same width whichever tab is active', () => {
    const a = lastFrameStripped(render(themed(<TabBar tabs={tabs} activeId="health" />)));
    const b = lastFrameStripped(render(themed(<TabBar tabs={tabs} activeId="audit" />)));
    // Ink trims trailing blanks, so compare where a later tab starts.
    expect(a.indexOf('3 Queue')).toBe(b.indexOf('3 Queue'));
    expect(a.indexOf('5 Audit')).toBe(b.indexOf('5 Audit'));
    expect(a).toContain('[1 Health]');
    expect(b).toContain('[5 Audit]');
  });

  it('never drops a tab: labels shorten until the bar fits', () => {
    for (const width of [60, 40, 30, 20]) {
      const frame = lastFrameStripped(render(themed(<TabBar tabs={tabs} activeId="health" width={width} />)));
      expect(frame.length).toBeLessThanOrEqual(width);
      for (const n of ['1', '2', '3', '4', '5']) expect(frame).toContain(n);
      expect(frame).not.toContain('…');
    }
    // At 50 columns short titles with their badges fit.
    expect(lastFrameStripped(render(themed(<TabBar tabs={tabs} activeId="health" width={50} />)))).toMatch(/\[1 Heal\] +2 Stuc \(3\).*5 Audi/);
  });
});
