/**
 * Issue #11's console correctness points, each as a person meets it: keys that arrive in one
 * read (key repeat over SSH, a paste), a Batch preview that must match the form on screen, and
 * Audit follow mode.
 */
import { describe, expect, it } from 'vitest';
import { lastFrameStripped, sendKeys, typeText, waitForFrame, waitForText } from '../helpers/ink.js';
import { mountEachTest, pressHandled, type Mounted } from './harness.js';

const mount = mountEachTest();
const queueIndex = (m: Mounted) => {
  const q = m.stores.queue.getState();
  return q.windowStart + q.rows.findIndex((r) => r.id === q.selectedId);
};

describe('keys that arrive together are all handled', () => {
  it('a burst "jjjjj" in one read moves the cursor 5 rows', async () => {
    const m = await mount({ tab: 'queue', fixture: { queued: 30 } });
    expect(queueIndex(m)).toBe(0);
    m.instance.stdin.write('jjjjj');
    await waitForFrame(m.instance, () => queueIndex(m) === 5);
    expect(queueIndex(m)).toBe(5);
  });

  it('a pasted filter with its Enter in one read applies the filter and closes the prompt', async () => {
    const m = await mount({ tab: 'queue', fixture: { queued: 10 } });
    const other = m.other();
    for (let i = 0; i < 3; i++) {
      other.db.transaction(() => other.pipelines.insert({ source_path: `/library/batch2/paste-${i}.epub`, priority: 5, actor: 'system:test' }))();
    }
    await m.controller.poller.poll({ force: true });
    await waitForText(m.instance, 'of 13');
    await sendKeys(m.instance, '/');
    await waitForText(m.instance, 'Filter:');
    m.instance.stdin.write('*/batch2/*\r');
    const f = await waitForFrame(m.instance, () => m.stores.ui.getState().overlay.kind === 'none');
    expect(m.stores.queue.getState().filter).toBe('*/batch2/*');
    await waitForText(m.instance, 'of 3');
    expect(lastFrameStripped(m.instance)).toContain('paste-0.epub');
    void f;
  });

  it('a paste that opens the prompt and fills it in one read ("/" then text then Enter) applies', async () => {
    const m = await mount({ tab: 'queue', fixture: { queued: 10 } });
    m.instance.stdin.write('/p3\r');
    await waitForFrame(m.instance, () => m.stores.queue.getState().filter === 'p3' && m.stores.ui.getState().overlay.kind === 'none');
    expect(m.stores.queue.getState().total).toBe(1);
  });
});

describe('the Batch tab approves only what the screen shows', () => {
  it('after State is set to failed, a then y approves nothing', async () => {
    const m = await mount({ tab: 'batch', fixture: { pending: 9 } });
    await waitForText(m.instance, 'Preview: 9 books match');
    // State is the fourth field.
    await sendKeys(m.instance, 'down', 'down', 'down', 'enter');
    await waitForText(m.instance, 'State:');
    await sendKeys(m.instance, 'ctrl-u');
    await typeText(m.instance, 'failed');
    await sendKeys(m.instance, 'enter');
    await waitForFrame(m.instance, (f) => !f.includes('Preview: 9 books match'));
    await pressHandled(m, 'a', 'y');
    expect(m.services.pipelines.countsByState().approved ?? 0).toBe(0);
    expect(m.stores.ui.getState().overlay.kind).toBe('none');
  });

  it('a form change invalidates the preview at once and the pane says so', async () => {
    const m = await mount({ tab: 'batch', fixture: { pending: 4 } });
    await waitForText(m.instance, 'Preview: 4 books match');
    m.stores.batch.getState().setValue('pathGlob', '*book-0001*');
    const f = await waitForFrame(m.instance, (x) => !x.includes('Preview: 4 books match'));
    expect(f).toMatch(/form changed/i);
    await sendKeys(m.instance, 'a');
    expect(m.stores.ui.getState().overlay.kind).toBe('none');
    expect(lastFrameStripped(m.instance)).toMatch(/approve: .*preview/i);
  });

  it('an invalid confidence (1.5) leaves no actionable preview', async () => {
    const m = await mount({ tab: 'batch', fixture: { pending: 4 } });
    await waitForText(m.instance, 'Preview: 4 books match');
    await sendKeys(m.instance, 'down', 'enter');
    await typeText(m.instance, '1.5');
    await sendKeys(m.instance, 'enter');
    await waitForText(m.instance, 'Min confidence must be a number from 0 to 1');
    await pressHandled(m, 'a', 'y');
    expect(m.services.pipelines.countsByState().approved ?? 0).toBe(0);
  });

  it('an empty list value (",") is refused, never "any"', async () => {
    const m = await mount({ tab: 'batch', fixture: { pending: 4 } });
    await waitForText(m.instance, 'Preview: 4 books match');
    await sendKeys(m.instance, 'enter');
    await typeText(m.instance, ',');
    await sendKeys(m.instance, 'enter');
    await waitForText(m.instance, 'Book type: give at least one type');
    await pressHandled(m, 'a', 'y');
    expect(m.services.pipelines.countsByState().approved ?? 0).toBe(0);
  });

  it('the confirmation names the filter it applies', async () => {
    const m = await mount({ tab: 'batch', fixture: { pending: 3 } });
    await waitForText(m.instance, 'Preview: 3 books match');
    await sendKeys(m.instance, 'a');
    const f = await waitForText(m.instance, 'Approve the 3 previewed books?');
    expect(f).toMatch(/Filter: state pending_approval/);
  });
});

describe('Audit follow mode', () => {
  it('keeps the cursor on the newest entry while following; moving turns following off and says so', async () => {
    const m = await mount({ tab: 'audit', fixture: { pending: 4, queued: 5 } });
    for (const id of m.fx.pendingIds.slice(1)) m.other().actions.approve(id, 'human:ana', { reason: 'earlier' });
    await m.controller.poller.poll();
    await waitForText(m.instance, 'of 3');
    expect(lastFrameStripped(m.instance)).toContain('FOLLOWING');
    // Move down and back to the top, then follow again: the cursor sits on the newest entry.
    await sendKeys(m.instance, 'j');
    let f = await waitForText(m.instance, 'Follow off');
    expect(m.stores.audit.getState().follow).toBe(false);
    await sendKeys(m.instance, 'f');
    await waitForText(m.instance, 'FOLLOWING');
    const newestBefore = m.stores.audit.getState().rows[0]!.id;
    expect(m.stores.audit.getState().selectedId).toBe(newestBefore);
    m.other().actions.approve(m.fx.pendingIds[0]!, 'human:ana', { reason: 'new' });
    await m.controller.poller.poll();
    await waitForFrame(m.instance, () => m.stores.audit.getState().rows[0]!.id > newestBefore);
    const a = m.stores.audit.getState();
    expect(a.selectedId).toBe(a.rows[0]!.id);
    f = lastFrameStripped(m.instance);
    expect(f.split('\n').find((l) => l.startsWith('›'))).toContain('APPROVED');
  });
});
