/**
 * One number for "stuck": the tab badge, the Health alert and counts, the Stuck tab's list and
 * the `stuck` command all come from one StuckDetector.survey. With more stuck books than any list
 * holds (the report keeps 20, the console's list 200), every view says the full count, and the
 * list says it is the longest N of them ("200+"). Past STUCK_COUNT_CAP the count says "10,000+".
 */
import { describe, expect, it } from 'vitest';
import { lastFrameStripped, sendKeys, waitForText } from '../helpers/ink.js';
import { mountEachTest } from './harness.js';
import { runCli, runCliJson } from '../helpers/cli.js';
import { setup, MIN } from '../ops/helpers.js';
import { STUCK_COUNT_CAP } from '../../src/ops/stuck-detector.js';

const mount = mountEachTest();

describe('the stuck count is the same everywhere', () => {
  it('250 stuck: tab badge, alert, Health counts and the Stuck list all say 250; the list is "the 200 longest" of them', async () => {
    const m = await mount({ fixture: { stuck: 250 } });
    const health = lastFrameStripped(m.instance);
    expect(health).toContain('2 Stuck (250)');
    expect(health).toContain('[WARN] 250 pipelines stuck');
    expect(health).toMatch(/│ Stuck 250\b/);
    await sendKeys(m.instance, '2');
    const stuck = await waitForText(m.instance, 'STUCK FOR');
    expect(stuck).toContain('2 Stuck (250)');
    expect(stuck).toContain('250 stuck, the 200 longest shown');
    expect(stuck).toMatch(/1–\d+ of 200\+/);
    const cli = runCliJson<{ count: number; count_capped: boolean; stuck: unknown[] }>(['stuck', '--db', m.dbPath, '--limit', '200']);
    expect([cli.doc.count, cli.doc.count_capped, cli.doc.stuck.length]).toEqual([250, false, 200]);
  });

  it(`past ${STUCK_COUNT_CAP} the count stops and says so: "10,000+" in the report, the alert and \`stuck\``, async () => {
    const { s, dbPath } = setup();
    const now = s.clock();
    s.db.transaction(() => {
      for (let i = 0; i <= STUCK_COUNT_CAP; i++) s.pipelines.insert({ source_path: `/library/slow/book-${i}.pdf`, priority: 5, actor: 'system:test' });
    })();
    s.db
      .prepare(`UPDATE pipelines SET state = 'processing', state_entered_at = @t, lease_owner = 'w1', lease_token = 'tok', lease_expires_at = @exp, attempts = 1`)
      .run({ t: now - 90 * MIN, exp: now + 5 * MIN });
    const r = await s.ops.health.report();
    expect([r.stuck_count, r.stuck_count_capped]).toEqual([STUCK_COUNT_CAP, true]);
    expect(r.alerts.find((a) => a.code === 'stuck_pipeline')?.message).toMatch(/^10,000\+ pipelines stuck/);
    expect(await s.ops.stuck.survey({ limit: 5 })).toMatchObject({ count: STUCK_COUNT_CAP, capped: true });
    s.close();
    const out = runCli(['stuck', '--db', dbPath, '--limit', '5', '--expected', 'processing=60']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('… 9,995+ more (raise --limit)');
    expect(out.stdout).toContain('10,000+ stuck.');
  });
});
