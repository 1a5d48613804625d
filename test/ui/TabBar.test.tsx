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

  it('cuts tabs that do not fit the width', () => {
    const frame = lastFrameStripped(render(themed(<TabBar tabs={tabs} activeId="health" width={30} />)));
    expect(frame.length).toBeLessThanOrEqual(30);
    expect(frame).not.toContain('Audit');
    expect(frame).toContain('…');
  });
});
