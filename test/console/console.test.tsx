/**
 * The console as a person uses it, over real SQLite files: what each tab shows, read-only
 * refusals, the batch confirmation with a typed count, the cursor following a book, pause, and
 * idle refreshes that draw nothing.
 */
import { describe, expect, it } from 'vitest';
import { lastFrameStripped, sendKeys, typeText, waitForFrame, waitForText } from '../helpers/ink.js';
import { mountEachTest } from './harness.js';
import { KEYMAP } from '../../screens/keymap.js';

const mount = mountEachTest();

describe('tabs show what a person reads', () => {
  it('Health: status, counts, alerts, queued-by-priority bars, throughput, workers', async () => {
    const m = await mount({ fixture: { queued: 30, pending: 4, stuck: 1 } });
    const f = lastFrameStripped(m.instance);
    expect(f).toContain('[1 Health');
    expect(f).toMatch(/Status (HEALTHY|DEGRADED|UNHEALTHY)/);
    expect(f).toContain('Queued 30');
    expect(f).toContain('Pending approval 4');
    expect(f).toContain('Stuck 1');
    expect(f).toMatch(/\[(WARN|CRIT)\] .*stuck/);
    expect(f).toContain('Queued by priority');
    expect(f).toMatch(/P1 +█+ +3/);
    expect(f).toContain('Finished last hour: 0');
    expect(f).toContain('No worker running');
    expect(f).toContain('data 0s old');
  });

  it('Stuck: state, stuck for, expected, reason and file of each stuck book', async () => {
    const m = await mount({ tab: 'stuck', fixture: { stuck: 2 } });
    const f = lastFrameStripped(m.instance);
    expect(f).toMatch(/STATE +STUCK FOR +EXPECTED +REASON +FILE/);
    expect(f).toMatch(/› [0-9a-f]{8} hashing +\d+ min +60s lease expired \/library\/stuck\/stalled-0\.pdf/);
    expect(f).toContain('1–2 of 2');
  });

  it('Queue: claim order with priority, state, tries; a window of a larger queue', async () => {
    const m = await mount({ tab: 'queue', fixture: { queued: 60 } });
    const f = lastFrameStripped(m.instance);
    expect(f).toMatch(/P STATE +TRIES QUEUED +TITLE +FOLDER/);
    expect(f).toMatch(/› [0-9a-f]{8} +1 detected +0\/5 .* book-0000\.txt +\/library\/queue/);
    // Only the visible window was fetched.
    expect(m.stores.queue.getState().rows.length).toBe(m.controller.listRows);
    expect(f).toContain(`1–${m.controller.listRows} of 60`);
  });

  it('Batch: the form beside a preview naming the count and the books', async () => {
    const m = await mount({ tab: 'batch', fixture: { pending: 5, queued: 3 } });
    await waitForText(m.instance, 'Preview: 5 books match');
    const f = lastFrameStripped(m.instance);
    expect(f).toMatch(/State +pending_approval/);
    expect(f).toContain('/library/pending/book-0000.epub');
    // The preview follows the form: a narrower glob.
    await sendKeys(m.instance, 'down', 'down', 'down', 'down', 'enter');
    await typeText(m.instance, '*book-0001*');
    await sendKeys(m.instance, 'enter');
    await waitForText(m.instance, 'Preview: 1 book match');
  });

  it('Audit: newest first, following; details show before/after and ids', async () => {
    const m = await mount({ tab: 'audit', fixture: { pending: 3 } });
    m.services.actions.approve(m.fx.pendingIds[0]!, 'human:ana', { reason: 'looks right' });
    await m.controller.poller.refreshNow();
    const f = await waitForText(m.instance, 'APPROVED');
    expect(f).toContain('FOLLOWING');
    expect(f).toMatch(/APPROVED +human:ana +[0-9a-f]{8} +pending_approval → approved/);
    await sendKeys(m.instance, 'enter');
    const d = await waitForText(m.instance, 'Audit entry #');
    expect(d).toMatch(/Before: +pending_approval/);
    expect(d).toMatch(/After: +approved/);
    expect(d).toContain(m.fx.pendingIds[0]!);
  });

  it('Queue shows the file name whole as the title and cuts the folders from the start', async () => {
    const m = await mount({ tab: 'queue', fixture: { queued: 1 } });
    const deep = '/library/' + 'a-very-long-folder-name/'.repeat(6) + 'the-book-to-find.epub';
    const other = m.other();
    other.db.transaction(() => other.pipelines.insert({ source_path: deep, priority: 1, actor: 'system:test' }))();
    await m.controller.poller.poll({ force: true });
    const f = await waitForText(m.instance, 'the-book-to-find.epub');
    expect(f).toMatch(/the-book-to-find\.epub +…[a-z-]*folder-name$/m);
  });

  it('fits 80×24 in ASCII without colour', async () => {
    const m = await mount({ ascii: true, colour: false, fixture: { queued: 10, stuck: 1 } });
    const lines = lastFrameStripped(m.instance).split('\n');
    expect(lines.length).toBeLessThanOrEqual(23);
    // eslint-disable-next-line no-control-regex
    expect(m.instance.lastFrame()).not.toMatch(/\u001b\[3[0-9]m/);
    expect(lines.join('\n')).toMatch(/P1 +#+/);
  });
});

describe('footer hints follow the selection', () => {
  it('on Queue, raise is dimmed for a book already at priority 1 (pressed, it says why), and on for the next book', async () => {
    const m = await mount({ tab: 'queue', fixture: { queued: 3 } });
    await waitForText(m.instance, 'book-0000');
    const raise = () => m.controller.bindingContext('queue');
    expect(lastFrameStripped(m.instance)).toContain('+/= raise');
    expect(lastFrameStripped(m.instance)).not.toContain('(already 1)');
    expect(raise().selectedPriority).toBe(1);
    await sendKeys(m.instance, 'j');
    await waitForFrame(m.instance, () => raise().selectedPriority === 2);
    await sendKeys(m.instance, 'k');
    await sendKeys(m.instance, '+');
    await waitForText(m.instance, 'raise: already 1');
  });
});

describe('read-only', () => {
  it('shows mutating keys disabled with the reason and refuses them with a message', async () => {
    const m = await mount({ readOnly: true, tab: 'stuck', fixture: { stuck: 1, queued: 3 } });
    let f = lastFrameStripped(m.instance);
    expect(f).toContain('[READ-ONLY]');
    expect(f).toContain('R reset');
    await sendKeys(m.instance, 'R');
    f = lastFrameStripped(m.instance);
    expect(m.stores.ui.getState().overlay.kind).toBe('none');
    expect(f).toContain('reset: refused (read-only)');
    expect(m.services.pipelines.get(m.fx.stuckIds[0]!)?.state).toBe('hashing');
    for (const b of KEYMAP.filter((x) => x.mutates)) {
      expect(m.controller.bindingContext(b.scope as never).readOnly).toBe(true);
    }
    await sendKeys(m.instance, '3', '+');
    expect(lastFrameStripped(m.instance)).toContain('raise: refused (read-only)');
    expect(m.services.pipelines.get(m.fx.queuedIds[0]!)?.priority).toBe(1);
  });
});

describe('batch approve confirmation', () => {
  it('over 100 books asks for the typed count, refuses a wrong one, and approves exactly the previewed books', async () => {
    const m = await mount({ tab: 'batch', fixture: { pending: 120 } });
    await waitForText(m.instance, 'Preview: 120 books match');
    const previewed = m.stores.batch.getState().preview!;
    // A book that arrives after the preview (another process takes it to pending_approval) is
    // not part of the batch.
    const late = m.other();
    const lateId = late.db.transaction(() => late.pipelines.insert({ source_path: '/library/pending/late.epub', priority: 5, actor: 'system:test' }))().id;
    for (const to of ['hashing', 'classifying', 'selecting_strategy', 'processing', 'validating', 'pending_approval'] as const) {
      late.pipelines.transition({ id: lateId, from: late.pipelines.require(lateId).state, to, actor: 'system:test' });
    }
    expect(late.pipelines.countsByState().pending_approval).toBe(121);
    await sendKeys(m.instance, 'a');
    await waitForText(m.instance, 'Type 120 and press Enter to confirm.');
    await sendKeys(m.instance, 'y');
    expect(m.stores.ui.getState().overlay.kind).toBe('confirm');
    await typeText(m.instance, '12');
    await sendKeys(m.instance, 'enter');
    await waitForText(m.instance, '12 is not the count: type 120 to confirm');
    expect(m.services.pipelines.countsByState().approved ?? 0).toBe(0);
    await typeText(m.instance, '0');
    await sendKeys(m.instance, 'enter');
    const f = await waitForFrame(m.instance, (x) => /Approved 120 books \(audit #\d+\)/.test(x));
    const auditId = Number(/audit #(\d+)/.exec(f)![1]);
    expect(f).toContain(`audit #${auditId}`);
    const batchRow = m.services.audit.get(auditId)!;
    expect(batchRow.action).toBe('BATCH_APPROVED');
    expect(JSON.parse(batchRow.ids_json!).sort()).toEqual(previewed.books.map((b) => b.id).sort());
    expect(m.services.pipelines.countsByState().approved).toBe(120);
    expect(m.stores.batch.getState().applied?.result.affected).toBe(120);
    expect(JSON.parse(batchRow.ids_json!)).not.toContain(lateId);
    expect(m.services.pipelines.get(lateId)?.state).toBe('pending_approval');
  });

  it('Esc cancels and nothing changes', async () => {
    const m = await mount({ tab: 'batch', fixture: { pending: 3 } });
    await waitForText(m.instance, 'Preview: 3 books match');
    await sendKeys(m.instance, 'a');
    await waitForText(m.instance, 'Approve the 3 previewed books?');
    await sendKeys(m.instance, 'esc');
    await waitForText(m.instance, 'Cancelled: nothing changed');
    expect(m.services.pipelines.countsByState().approved ?? 0).toBe(0);
  });
});

describe('cursor and refresh', () => {
  it('the cursor follows the selected book when rows ahead of it change', async () => {
    const m = await mount({ tab: 'queue', fixture: { queued: 30 } });
    await sendKeys(m.instance, 'down', 'down', 'down');
    const selected = m.stores.queue.getState().selectedId!;
    const line = (f: string) => f.split('\n').find((l) => l.startsWith('›'));
    // Another process claims the first two books: rows above the cursor vanish.
    const other = m.other();
    other.queue.claimNext('w1', 60_000);
    other.queue.claimNext('w1', 60_000);
    await m.controller.poller.poll();
    const f = await waitForFrame(m.instance, (x) => x.includes('of 28'));
    expect(m.stores.queue.getState().selectedId).toBe(selected);
    expect(line(f)).toContain(selected.slice(0, 8));
  });

  it('rows do not move while a prompt is open', async () => {
    const m = await mount({ tab: 'queue', fixture: { queued: 30 } });
    await sendKeys(m.instance, 'down', 'p');
    await waitForText(m.instance, 'Priority for');
    const rows = m.stores.queue.getState().rows;
    m.other().queue.claimNext('w1', 60_000);
    await m.controller.poller.poll();
    expect(m.stores.queue.getState().rows).toBe(rows);
    await sendKeys(m.instance, 'esc');
  });

  it('Space pauses refresh: other writes do not show until resumed', async () => {
    const m = await mount({ tab: 'queue', fixture: { queued: 10 } });
    await sendKeys(m.instance, 'space');
    await waitForText(m.instance, '[PAUSED]');
    m.other().queue.claimNext('w1', 60_000);
    const frames = m.instance.frames.length;
    expect(await m.controller.poller.tick()).toBeNull();
    expect(lastFrameStripped(m.instance)).toContain('of 10');
    await sendKeys(m.instance, 'space');
    await waitForText(m.instance, 'of 9');
    expect(m.instance.frames.length).toBeGreaterThan(frames);
  });

  it('an idle refresh queries nothing and draws nothing', async () => {
    const m = await mount({ tab: 'queue', fixture: { queued: 10 } });
    await sendKeys(m.instance, 'down');
    const frames = m.instance.frames.length;
    // The stores the Queue tab draws from. (The health report is read too, and may change by
    // itself: free disk space moves with whatever else the machine writes.)
    let sets = 0;
    for (const store of [m.stores.queue, m.stores.ui]) store.subscribe(() => sets++);
    for (let i = 0; i < 5; i++) {
      const r = await m.controller.poller.tick();
      expect(r?.queried).toBe(false);
    }
    // A forced re-query that finds the same data keeps every store object: nothing set.
    const forced = await m.controller.poller.poll({ force: true });
    expect(forced.feeds).toContain('queue');
    expect(sets).toBe(0);
    // Then one change of our own: exactly one more frame, so the polls before it drew none.
    m.stores.ui.getState().setMessage({ text: 'marker' });
    await waitForText(m.instance, 'marker');
    expect(m.instance.frames.length).toBe(frames + 1);
  });
});
