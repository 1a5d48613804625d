/**
 * One filter grammar across tabs, as the prompt shows it (bare words by substring over title,
 * path and state, `*` wildcards; `key:value` exact), and stored text with control characters
 * shown escaped, never sent to the terminal.
 */
import { describe, expect, it } from 'vitest';
import { lastFrameStripped, sendKeys, waitForFrame, waitForText } from '../helpers/ink.js';
import { mountEachTest, type Mounted } from './harness.js';
import { FILTER_GRAMMAR_HINT } from '../../store/filter-grammar.js';
import { describeAuditFilter, parseAuditFilter } from '../../store/sources.js';

const mount = mountEachTest();

/** A queued book whose classifier read a title (needs_retry keeps it in the queue). */
function titled(m: Mounted, path: string, title: string): string {
  const s = m.other();
  const row = s.db.transaction(() => s.pipelines.insert({ source_path: path, priority: 4, actor: 'system:test' }))();
  s.pipelines.transition({ id: row.id, from: 'detected', to: 'failed', actor: 'system:test', patch: { profile_json: JSON.stringify({ title }) } });
  s.pipelines.transition({ id: row.id, from: 'failed', to: 'needs_retry', actor: 'system:test' });
  return row.id;
}

async function filterQueue(m: Mounted, text: string): Promise<void> {
  await sendKeys(m.instance, '/');
  await waitForText(m.instance, 'Filter:');
  m.instance.stdin.write(`\u0015${text}\r`);
  await waitForFrame(m.instance, () => m.stores.ui.getState().overlay.kind === 'none' && m.stores.queue.getState().filter === text);
}

describe('the filter grammar', () => {
  it('the Queue: the prompt shows the grammar; bare words match the title, path or state; key:value is exact', async () => {
    const m = await mount({ tab: 'queue', fixture: { queued: 10 } });
    const id = titled(m, '/library/whales/md-001.epub', 'Moby Dick; or, The Whale');
    await m.controller.poller.poll({ force: true });
    await waitForText(m.instance, 'of 11');
    expect(lastFrameStripped(m.instance)).toContain('Moby Dick; or, The Whale');
    await sendKeys(m.instance, '/');
    expect(await waitForText(m.instance, 'Filter:')).toContain(FILTER_GRAMMAR_HINT.slice(0, 30));
    await sendKeys(m.instance, 'esc');

    await filterQueue(m, 'moby');
    expect(m.stores.queue.getState().total).toBe(1);
    expect(m.stores.queue.getState().selectedId).toBe(id);
    await filterQueue(m, 'whales');
    expect(m.stores.queue.getState().total).toBe(1);
    await filterQueue(m, 'retry');
    expect(m.stores.queue.getState().total).toBe(1);
    await filterQueue(m, 'state:needs_retry');
    expect(m.stores.queue.getState().total).toBe(1);
    await filterQueue(m, 'p:3');
    expect(m.stores.queue.getState().total).toBe(1);
    await filterQueue(m, '*/queue/book-000?.txt');
    expect(m.stores.queue.getState().total).toBe(10);
    await filterQueue(m, 'book state:needs_retry');
    expect(m.stores.queue.getState().total).toBe(0);
  });

  it('the Audit tab: a bare word matches the action by substring, key:value exact', () => {
    expect(parseAuditFilter('retr')).toEqual({ action: 'BATCH_RETRIED' });
    expect(parseAuditFilter('approved')).toEqual({ action: 'APPROVED' });
    expect(describeAuditFilter(parseAuditFilter('actor:human:ana stuck'))).toBe('actor human:ana, action STUCK_RECOVERED');
  });
});

describe('control characters in stored text', () => {
  it('are shown escaped in the list and in dialogs, never written raw', async () => {
    const m = await mount({ tab: 'queue', fixture: { queued: 0 } });
    const s = m.other();
    s.db.transaction(() => s.pipelines.insert({ source_path: '/library/evil\u001b]0;pwned\u0007\u001b[2J.txt', priority: 1, actor: 'system:test' }))();
    await m.controller.poller.poll({ force: true });
    const f = await waitForText(m.instance, 'evil');
    expect(f).toContain('evil\\x1b]0;pwned\\x07\\x1b[2J.txt');
    expect(m.instance.lastFrame()).not.toContain('\u001b]0;');
    expect(m.instance.lastFrame()).not.toContain('\u001b[2J');
    await sendKeys(m.instance, 'p');
    const p = await waitForText(m.instance, 'Priority for');
    expect(p).toContain('"evil\\x1b]0;pwned\\x07\\x1b[2J.txt"');
    expect(m.instance.lastFrame()).not.toContain('\u0007');
  });

  it('are shown escaped in the Batch preview', async () => {
    const m = await mount({ tab: 'batch', fixture: { pending: 0 } });
    const s = m.other();
    const row = s.db.transaction(() => s.pipelines.insert({ source_path: '/library/evil\u001b[2Jbook.epub', priority: 1, actor: 'system:test' }))();
    for (const to of ['hashing', 'classifying', 'selecting_strategy', 'processing', 'validating', 'pending_approval'] as const) {
      s.pipelines.transition({ id: row.id, from: s.pipelines.require(row.id).state, to, actor: 'system:test' });
    }
    await m.controller.poller.poll({ force: true });
    const f = await waitForText(m.instance, 'Preview: 1 book match');
    expect(f).toContain('evil\\x1b[2Jbook.epub');
    expect(m.instance.lastFrame()).not.toContain('\u001b[2J');
  });
});
