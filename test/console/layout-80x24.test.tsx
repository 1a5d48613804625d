/**
 * 80×24 is a first-class size: ids are never cut (the Audit `#` column on a log past three
 * million entries), the tab bar keeps every tab, the footer keeps `? help` and `q quit` on every
 * tab, and the Queue shows the title before the folder.
 */
import { describe, expect, it } from 'vitest';
import { lastFrameStripped, sendKeys, waitForFrame, waitForText } from '../helpers/ink.js';
import { displayWidth } from '../../components/text.js';
import { TAB_IDS } from '../../screens/keymap.js';
import { mountEachTest, mountConsole, type Mounted } from './harness.js';

const mount = mountEachTest();

/** The console in an 80×24 terminal: resize the testing library's stdout as a terminal would. */
async function mount80x24(...args: Parameters<typeof mountConsole>): Promise<Mounted> {
  const m = await mount(...args);
  Object.defineProperty(m.instance.stdout, 'columns', { value: 80, configurable: true });
  Object.defineProperty(m.instance.stdout, 'rows', { value: 24, configurable: true });
  m.instance.stdout.emit('resize');
  await waitForFrame(m.instance, (f) => f.split('\n').every((l) => displayWidth(l) <= 80) && f.split('\n').length <= 23);
  return m;
}

const fits = (f: string) => {
  const lines = f.split('\n');
  expect(lines.length).toBeLessThanOrEqual(23);
  for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(80);
};

describe('80×24', () => {
  it('Audit ids are whole on a log past 3,000,000 entries', async () => {
    const m = await mount80x24({ tab: 'audit', fixture: { pending: 12 } });
    // The log's next id, as on a 3M-entry log (the id high-water mark lives in sqlite_sequence).
    m.services.db.prepare(`DELETE FROM sqlite_sequence WHERE name = 'audit'`).run();
    m.services.db.prepare(`INSERT INTO sqlite_sequence (name, seq) VALUES ('audit', 2999995)`).run();
    for (const id of m.fx.pendingIds) m.other().actions.approve(id, 'human:ana', { reason: 'ok' });
    await m.controller.poller.poll({ force: true });
    const f = await waitForText(m.instance, '3000007');
    fits(f);
    for (let id = 2999996; id <= 3000007; id++) expect(f).toMatch(new RegExp(`^[› ] +${id} `, 'm'));
    expect(f).not.toMatch(/^[› ] +\d+… /m);
  });

  it('the tab bar keeps all six tabs with busy badges, and every tab keeps ? help and q quit', async () => {
    const m = await mount80x24({ fixture: { queued: 40, pending: 6, stuck: 2, failed: 3 } });
    for (const [i, tab] of TAB_IDS.entries()) {
      await sendKeys(m.instance, String(i + 1));
      const f = await waitForFrame(m.instance, () => m.stores.ui.getState().tab === tab);
      fits(f);
      const lines = f.split('\n');
      for (let n = 1; n <= TAB_IDS.length; n++) expect(lines[0]).toMatch(new RegExp(`[\\[ ]${n}( |\\])`));
      expect(lines[0]).not.toContain('…');
      const footer = lines[lines.length - 1]!;
      expect(footer, `footer of ${tab}`).toContain('? help');
      expect(footer, `footer of ${tab}`).toContain('q quit');
    }
  });

  it('the Queue keeps ids whole and shows the title before the folder', async () => {
    const m = await mount80x24({ tab: 'queue', fixture: { queued: 5 } });
    const f = await waitForText(m.instance, 'book-0000.txt');
    fits(f);
    expect(f).toMatch(/^› [0-9a-f]{8} +1 detected +0\/5 .*book-0000\.txt +\/library\/queue/m);
  });
});
