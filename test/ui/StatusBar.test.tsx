import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { StatusBar } from '../../components/StatusBar.js';
import { displayWidth } from '../../components/text.js';
import { lastFrameStripped, themed } from '../helpers/ink.js';

const base = {
  dbPath: '/srv/library/pipeline/books.db',
  dataAgeMs: 3_000,
  lastPollAgeMs: 1_000,
  paused: false,
  readOnly: false,
  width: 100,
};

describe('StatusBar', () => {
  it('shows the db path, data age and poll age', () => {
    const frame = lastFrameStripped(render(themed(<StatusBar {...base} />)));
    expect(frame).toBe('/srv/library/pipeline/books.db │ data 3s old │ polled 1s ago');
  });

  it('shows PAUSED and READ-ONLY badges and the message', () => {
    const frame = lastFrameStripped(
      render(themed(<StatusBar {...base} paused readOnly message={{ text: 'Priority of #42 set to 2', tone: 'ok' }} />)),
    );
    expect(frame).toMatch(/^\[PAUSED\] \[READ-ONLY\] /);
    expect(frame).toContain('Priority of #42 set to 2');
  });

  it('cuts the path from the left and the message from the right when narrow', () => {
    const frame = lastFrameStripped(
      render(themed(<StatusBar {...base} width={70} paused message={{ text: 'Rejected 1,234 books in state failed with reason "bad scans"' }} />)),
    );
    expect(displayWidth(frame)).toBeLessThanOrEqual(70);
    expect(frame).toContain('[PAUSED]');
    expect(frame).toContain('data 3s old');
    expect(frame).toMatch(/…[^ ]*books\.db/);
    expect(frame).toMatch(/Rejected 1,234.*…$/);
  });

  it('says when nothing has loaded yet, and formats long ages', () => {
    expect(lastFrameStripped(render(themed(<StatusBar {...base} dataAgeMs={null} lastPollAgeMs={null} />)))).toContain(
      'no data yet │ not polled',
    );
    expect(lastFrameStripped(render(themed(<StatusBar {...base} dataAgeMs={125_000} />)))).toContain('data 2 min old');
  });

  it('uses "|" between parts in ASCII', () => {
    const frame = lastFrameStripped(render(themed(<StatusBar {...base} />, { ascii: true })));
    expect(frame).toBe('/srv/library/pipeline/books.db | data 3s old | polled 1s ago');
  });
});
