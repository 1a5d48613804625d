/**
 * The demo keeps moving: over five minutes of waves (38 at the default 8 s) new books keep
 * arriving, broken files among them, and crashed workers keep stalling books, so every tab has
 * something to show. Real files and a real database; the waves are driven directly instead of
 * waiting five minutes of wall-clock time.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createServices } from '../../src/services.js';
import { DemoFeed } from '../../src/demo/demo-feed.js';
import { STALLED_WORKER } from '../../src/demo/sample-library.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('ap-demo-feed-');
const services = createServices(path.join(dir, 'pipeline.db'));
afterAll(() => services.close());

describe('DemoFeed', () => {
  it('brings new books, broken ones and stalls for at least five minutes of waves', { timeout: 120_000 }, async () => {
    const feed = new DemoFeed(services, { dir: path.join(dir, 'arrivals') });
    const fiveMinutes = Math.ceil((5 * 60_000) / 8000);
    let broken = 0;
    let stalled = 0;
    const total = () => Object.values(services.pipelines.countsByState()).reduce((a, b) => a + b, 0);
    for (let i = 0; i < fiveMinutes; i++) {
      const before = total();
      const r = await feed.tick();
      expect(r, `wave ${i + 1}`).not.toBeNull();
      // Every wave adds books (two good ones at least), none is refused as a duplicate.
      expect(total() - before).toBeGreaterThanOrEqual(2);
      if (r!.broken) broken++;
      if (r!.stalled) stalled++;
    }
    expect(broken).toBe(12);
    expect(stalled).toBe(7);
    const held = services.db.prepare('SELECT COUNT(*) AS n FROM pipelines WHERE lease_owner = ?').get(STALLED_WORKER) as { n: number };
    expect(held.n).toBe(7);
    // And it still has waves to give after that.
    expect(await feed.tick()).not.toBeNull();
  });
});
