import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { KeyValueList } from '../../components/KeyValueList.js';
import { lastFrameStripped, themed } from '../helpers/ink.js';

describe('KeyValueList', () => {
  it('aligns values after the longest label', () => {
    const frame = lastFrameStripped(
      render(themed(<KeyValueList items={[{ label: 'State', value: 'failed', tone: 'critical' }, { label: 'Attempts', value: '3' }]} />)),
    );
    expect(frame.split('\n')).toEqual(['State:    failed', 'Attempts: 3']);
  });

  it('cuts long values to the width', () => {
    const frame = lastFrameStripped(
      render(themed(<KeyValueList width={24} items={[{ label: 'Path', value: '/srv/library/incoming/very/long/name.epub' }]} />, { ascii: true })),
    );
    expect(frame).toBe('Path: /srv/library/in...');
  });
});
