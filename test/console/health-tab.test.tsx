/**
 * The Health tab on a small terminal and with dead workers. At 60x18 (a 14-row tab body) the
 * status line and every alert come first; the counts and panes take what is left. Lost workers
 * are shown apart from cleanly stopped ones. Real SQLite file, real report, real stores.
 */
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthTab } from '../../screens/HealthTab.js';
import { CHROME_LINES } from '../../screens/App.js';
import { rootHeight } from '../../screens/terminal.js';
import { StoresProvider } from '../../store/context.js';
import { createConsoleStores } from '../../store/stores.js';
import { lastFrameStripped, themed, waitForFrame, type InkInstance } from '../helpers/ink.js';
import { addBook, addWorking, MIN, setup } from '../ops/helpers.js';

let instance: InkInstance | undefined;
afterEach(() => {
  instance?.unmount();
  instance = undefined;
});

/** Two workers lost while holding books, one stopped cleanly, books queued: three alerts. */
async function deadFleet() {
  const { s, clock } = setup();
  s.queue.register('stopped-cleanly', { leaseMs: 10_000 });
  s.queue.unregister('stopped-cleanly');
  for (const w of ['killed-a', 'killed-b']) {
    s.queue.register(w, { leaseMs: 10_000 });
    addWorking(s, 'processing', MIN, 10_000, { lease_owner: w });
  }
  for (let i = 0; i < 4; i++) addBook(s);
  clock.advance(60_000);
  const report = await s.ops.health.report();
  s.close();
  return report;
}

async function mountHealth(width: number, rows: number) {
  const stores = createConsoleStores('health');
  stores.health.getState().applySnapshot(await deadFleet());
  const height = rootHeight(rows) - CHROME_LINES;
  instance = render(themed(<StoresProvider stores={stores}><HealthTab width={width} height={height} /></StoresProvider>, { colour: false }));
  return { frame: await waitForFrame(instance, (f) => f.includes('Status')), height };
}

describe('Health tab', () => {
  it('at 60x18 the status and every alert come first, and the tab stays within its rows', async () => {
    const { frame, height } = await mountHealth(60, 18);
    const lines = frame.split('\n');
    expect(lines.length).toBeLessThanOrEqual(height);
    expect(lines[0]).toMatch(/^Status (DEGRADED|UNHEALTHY)/);
    const alerts = lines.slice(1, 4);
    expect(alerts.every((l) => /^\[(WARN|CRIT)\]/.test(l))).toBe(true);
    expect(alerts.join('\n')).toMatch(/2 pipelines stuck/);
    expect(alerts.join('\n')).toMatch(/2 workers lost/);
    expect(alerts.join('\n')).toMatch(/4 queued and no worker running/);
    expect(lines.every((l) => l.length <= 60)).toBe(true);
    // The counts follow, the lost workers' books stuck rather than active.
    expect(lines[4]).toMatch(/^Active 0 │ Queued 4 │/);
  });

  it('lists lost workers apart from stopped ones, and the queue estimate says "no worker"', async () => {
    const { frame } = await mountHealth(100, 30);
    expect(frame).toContain('Workers 0 running, 2 lost, 1 stopped');
    expect(frame).toMatch(/killed-[ab] +LOST 60s, 1 book stuck/);
    expect(frame).not.toMatch(/stopped-cle.* heartbeat/);
    expect(frame).toContain('No worker running');
    expect(frame).toContain('queue ≈ no worker');
  });
});
