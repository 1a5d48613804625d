import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { AlertList, type AlertItem } from '../../components/AlertList.js';
import { lastFrameStripped, themed } from '../helpers/ink.js';

const alerts: AlertItem[] = [
  { id: 'a', severity: 'info', message: 'Backlog growing' },
  { id: 'b', severity: 'critical', message: 'Worker heartbeat 4m old' },
  { id: 'c', severity: 'warning', message: '12 books stuck in processing' },
  { id: 'd', severity: 'critical', message: 'Disk 97% full' },
];

describe('AlertList', () => {
  it('lists the most severe first, keeping order within a severity, with the severity written out', () => {
    const frame = lastFrameStripped(render(themed(<AlertList alerts={alerts} width={60} />)));
    expect(frame.split('\n')).toEqual([
      '[CRIT] Worker heartbeat 4m old',
      '[CRIT] Disk 97% full',
      '[WARN] 12 books stuck in processing',
      '[INFO] Backlog growing',
    ]);
  });

  it('says how many were left off when they do not fit', () => {
    const frame = lastFrameStripped(render(themed(<AlertList alerts={alerts} width={60} maxRows={3} />)));
    expect(frame.split('\n')).toEqual(['[CRIT] Worker heartbeat 4m old', '[CRIT] Disk 97% full', '+2 more']);
  });

  it('says when all is well', () => {
    expect(lastFrameStripped(render(themed(<AlertList alerts={[]} width={60} />)))).toBe('No alerts');
  });
});
