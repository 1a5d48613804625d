/**
 * Every key of every binding in the registry, pressed in a real console over a real database,
 * with the effect a person would see. A binding without a scenario here fails the first test,
 * so a new key cannot land untested.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KEYMAP, type BindingId, type TabId } from '../../screens/keymap.js';
import { lastFrameStripped, sendKeys, typeText } from '../helpers/ink.js';
import { mountConsole, sendableKey, unmount, type Mounted } from './harness.js';
import type { FixtureOptions } from './fixtures.js';

interface Scenario {
  readonly tab?: TabId;
  readonly fixture?: FixtureOptions;
  /** Keys pressed first (sendKeys names). */
  readonly before?: readonly string[];
  /** Text typed first, after `before`. */
  readonly type?: string;
  readonly check: (m: Mounted, frame: string) => void | Promise<void>;
}

const ui = (m: Mounted) => m.stores.ui.getState();
const queueSel = (m: Mounted) => {
  const q = m.stores.queue.getState();
  return { q, index: q.rows.findIndex((r) => r.id === q.selectedId) };
};
const first = (m: Mounted) => m.stores.queue.getState().rows[0]!.id;

const tabCheck = (tab: TabId, title: string): Scenario => ({
  tab: tab === 'health' ? 'audit' : 'health',
  check: (m, frame) => {
    expect(ui(m).tab).toBe(tab);
    expect(frame).toContain(`[${['health', 'stuck', 'queue', 'batch', 'audit', 'failed'].indexOf(tab) + 1} ${title}`);
  },
});

const SCENARIOS: Record<BindingId, Scenario> = {
  'global.tab.health': tabCheck('health', 'Health'),
  'global.tab.stuck': tabCheck('stuck', 'Stuck'),
  'global.tab.queue': tabCheck('queue', 'Queue'),
  'global.tab.batch': tabCheck('batch', 'Batch'),
  'global.tab.audit': tabCheck('audit', 'Audit'),
  'global.tab.failed': tabCheck('failed', 'Failed'),
  'global.nextTab': { check: (m) => expect(ui(m).tab).toBe('stuck') },
  'global.prevTab': { check: (m) => expect(ui(m).tab).toBe('failed') },
  'global.help': { check: (m, f) => (expect(ui(m).overlay.kind).toBe('help'), expect(f).toContain('Go to the Stuck tab')) },
  'global.pause': { check: (m, f) => (expect(ui(m).paused).toBe(true), expect(f).toContain('[PAUSED]')) },
  'global.refresh': { check: (m, f) => expect(f).toContain('Refreshed') },
  'global.back': {
    tab: 'stuck',
    before: ['enter'],
    check: (m, f) => (expect(ui(m).details).toBeNull(), expect(f).toContain('STUCK FOR')),
  },
  'global.quit': { check: (m) => (expect(m.controller.hasQuit).toBe(true), expect(m.controller.poller.running).toBe(false)) },
  'global.forceQuit': { tab: 'batch', before: ['a'], check: (m) => expect(m.controller.hasQuit).toBe(true) },
  'list.down': { tab: 'queue', check: (m) => expect(queueSel(m).index).toBe(1) },
  'list.up': { tab: 'queue', before: ['down', 'down'], check: (m) => expect(queueSel(m).index).toBe(1) },
  'list.top': {
    tab: 'queue',
    before: ['G'],
    check: (m) => {
      const { q, index } = queueSel(m);
      expect(index).toBe(0);
      expect(q.windowStart).toBe(0);
    },
  },
  'list.bottom': {
    tab: 'queue',
    check: (m, f) => {
      const { q, index } = queueSel(m);
      expect(index).toBe(q.rows.length - 1);
      expect(q.windowStart + q.rows.length).toBe(q.total);
      expect(f).toContain(`of ${q.total}`);
    },
  },
  'list.pageDown': {
    tab: 'queue',
    check: (m) => {
      const { q } = queueSel(m);
      expect(q.selectedId).not.toBe(null);
      expect(q.windowStart + q.rows.findIndex((r) => r.id === q.selectedId)).toBe(m.controller.listRows);
    },
  },
  'list.pageUp': { tab: 'queue', before: ['pgdn'], check: (m) => expect(queueSel(m).q.selectedId).toBe(first(m)) },
  'list.details': { tab: 'queue', check: (m, f) => (expect(ui(m).details?.tab).toBe('queue'), expect(f).toContain('Attempts:')) },
  'stuck.reset': { tab: 'stuck', check: (m, f) => (expect(ui(m).overlay.kind).toBe('confirm'), expect(f).toMatch(/Reset book "stalled-\d\.pdf"/)) },
  'stuck.retry': { tab: 'stuck', check: (m, f) => (expect(ui(m).overlay.kind).toBe('confirm'), expect(f).toMatch(/Retry book "stalled-\d\.pdf"/)) },
  'stuck.reject': { tab: 'stuck', check: (m, f) => (expect(ui(m).overlay.kind).toBe('prompt'), expect(f).toContain('Reason for rejecting')) },
  'stuck.filter': { tab: 'stuck', check: (m, f) => (expect(ui(m).overlay.kind).toBe('prompt'), expect(f).toContain('Filter:')) },
  'queue.raisePriority': {
    tab: 'queue',
    before: ['G'],
    check: (m) => {
      const id = m.stores.queue.getState().selectedId!;
      expect(m.services.pipelines.get(id)?.priority).toBe(9);
      expect(m.stores.queue.getState().selectedId).toBe(id);
    },
  },
  'queue.lowerPriority': {
    tab: 'queue',
    check: (m) => {
      const id = m.stores.queue.getState().selectedId!;
      expect(m.services.pipelines.get(id)?.priority).toBe(2);
    },
  },
  'queue.setPriority': { tab: 'queue', check: (m, f) => (expect(ui(m).overlay.kind).toBe('prompt'), expect(f).toContain('Priority for')) },
  'queue.filter': { tab: 'queue', check: (m) => expect(ui(m).overlay.kind).toBe('prompt') },
  'batch.nextField': { tab: 'batch', check: (m) => expect(m.stores.batch.getState().field).toBe(1) },
  'batch.prevField': { tab: 'batch', before: ['down', 'down'], check: (m) => expect(m.stores.batch.getState().field).toBe(1) },
  'batch.edit': { tab: 'batch', check: (m, f) => (expect(ui(m).overlay.kind).toBe('prompt'), expect(f).toContain('Book type:')) },
  'batch.clearField': {
    tab: 'batch',
    before: ['down', 'down', 'down'],
    check: (m) => expect(m.stores.batch.getState().form.state).toBe(''),
  },
  'batch.approve': { tab: 'batch', check: (m, f) => (expect(ui(m).overlay.kind).toBe('confirm'), expect(f).toContain('Approve the 6 previewed books?')) },
  'batch.reject': { tab: 'batch', check: (m, f) => (expect(ui(m).overlay.kind).toBe('prompt'), expect(f).toContain('Reason for rejecting 6 books')) },
  'audit.follow': { tab: 'audit', check: (m, f) => (expect(m.stores.audit.getState().follow).toBe(false), expect(f).not.toContain('FOLLOWING')) },
  'audit.filter': { tab: 'audit', check: (m) => expect(ui(m).overlay.kind).toBe('prompt') },
  'failed.retry': {
    tab: 'failed',
    fixture: { failed: 2 },
    check: (m, f) => (expect(ui(m).overlay.kind).toBe('confirm'), expect(f).toMatch(/Retry book "failed-\d\.epub"/)),
  },
  'failed.reject': {
    tab: 'failed',
    fixture: { failed: 2 },
    before: ['j'],
    check: (m, f) => (expect(ui(m).overlay.kind).toBe('prompt'), expect(f).toContain('Reason for rejecting')),
  },
  'failed.filter': { tab: 'failed', check: (m, f) => (expect(ui(m).overlay.kind).toBe('prompt'), expect(f).toContain('Filter:')) },
  'help.close': { before: ['?'], check: (m) => expect(ui(m).overlay.kind).toBe('none') },
  'help.down': { before: ['?'], check: (m) => expect(ui(m).overlay).toMatchObject({ kind: 'help', offset: 1 }) },
  'help.up': { before: ['?', 'down', 'down'], check: (m) => expect(ui(m).overlay).toMatchObject({ kind: 'help', offset: 1 }) },
  'help.pageDown': {
    before: ['?'],
    check: (m) => {
      const o = ui(m).overlay;
      expect(o.kind === 'help' && o.offset > 1).toBe(true);
    },
  },
  'help.pageUp': { before: ['?', 'pgdn'], check: (m) => expect(ui(m).overlay).toMatchObject({ kind: 'help', offset: 0 }) },
  'confirm.accept': {
    tab: 'stuck',
    before: ['R'],
    check: (m, f) => {
      expect(m.services.pipelines.get(m.fx.stuckIds[0]!)?.state).toBe('detected');
      expect(f).toMatch(/Reset [0-9a-f]{8}: now detected \(audit #\d+\)/);
    },
  },
  'confirm.cancel': {
    tab: 'stuck',
    before: ['R'],
    check: (m, f) => {
      expect(ui(m).overlay.kind).toBe('none');
      expect(m.services.pipelines.get(m.fx.stuckIds[0]!)?.state).toBe('hashing');
      expect(f).toContain('nothing changed');
    },
  },
  'confirm.deleteDigit': {
    tab: 'batch',
    fixture: { pending: 120 },
    before: ['a', '1', '2'],
    check: (_m, f) => (expect(f).toContain('> 1'), expect(f).not.toContain('> 12')),
  },
  'prompt.submit': {
    tab: 'queue',
    before: ['/'],
    type: 'p3',
    check: (m) => (expect(ui(m).overlay.kind).toBe('none'), expect(m.stores.queue.getState().filter).toBe('p3')),
  },
  'prompt.cancel': {
    tab: 'queue',
    before: ['/'],
    type: 'p3',
    check: (m) => (expect(ui(m).overlay.kind).toBe('none'), expect(m.stores.queue.getState().filter).toBe('')),
  },
  'prompt.deleteChar': {
    tab: 'queue',
    before: ['/'],
    type: 'p34',
    check: (m) => (expect(ui(m).overlay.kind).toBe('prompt'), expect(m.stores.queue.getState().filter).toBe('p3')),
  },
  'prompt.clear': {
    tab: 'queue',
    before: ['/'],
    type: 'p3',
    check: (m) => (expect(ui(m).overlay.kind).toBe('prompt'), expect(m.stores.queue.getState().filter).toBe('')),
  },
};

describe('keymap registry coverage', () => {
  it('has a scenario for every binding', () => {
    const missing = KEYMAP.map((b) => b.id).filter((id) => !(id in SCENARIOS));
    expect(missing).toEqual([]);
  });

  let mounted: Mounted | undefined;
  afterEach(() => {
    if (mounted) unmount(mounted);
    mounted = undefined;
  });

  const cases = KEYMAP.flatMap((b) => b.keys.map((k) => [b.id, k] as const));
  it.each(cases)('%s via %s', async (id, key) => {
    const s = SCENARIOS[id as BindingId];
    mounted = await mountConsole({ ...(s.tab ? { tab: s.tab } : {}), ...(s.fixture ? { fixture: s.fixture } : {}) });
    const m = mounted;
    for (const k of s.before ?? []) await sendKeys(m.instance, k);
    if (s.type) await typeText(m.instance, s.type);
    await sendKeys(m.instance, sendableKey(key));
    await s.check(m, lastFrameStripped(m.instance));
  });
});

