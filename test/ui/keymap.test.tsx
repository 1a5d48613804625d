import { Text, useInput } from 'ink';
import { render } from 'ink-testing-library';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { confirmStep } from '../../components/ConfirmDialog.js';
import { editLine } from '../../components/TextPrompt.js';
import { asciiGlyphs, unicodeGlyphs } from '../../components/theme.js';
import {
  bindingsFor,
  cycleTab,
  footerHints,
  formatKeys,
  getBinding,
  helpSections,
  keyNameOf,
  KEYMAP,
  matchBinding,
  NAMED_KEYS,
  OVERLAY_SCOPES,
  resolveBinding,
  TAB_IDS,
  tabOfBinding,
  type Binding,
  type Scope,
} from '../../screens/keymap.js';
import { lastFrameStripped, sendKeys, waitForInputReady, waitForText, type KeyName } from '../helpers/ink.js';
import { key, NO_KEY } from '../helpers/keys.js';

const ALL_SCOPES: Scope[] = ['global', 'list', ...TAB_IDS, ...OVERLAY_SCOPES];
const bindings: readonly Binding[] = KEYMAP;

describe('keymap registry', () => {
  it('no key means two things in any scope chain (tab + list + global, or an overlay)', () => {
    for (const scope of ALL_SCOPES) {
      const seen = new Map<string, string>();
      for (const b of bindingsFor(scope)) {
        for (const k of b.keys) {
          expect(seen.get(k), `${scope}: key "${k}" is bound to both ${seen.get(k)} and ${b.id}`).toBeUndefined();
          seen.set(k, b.id);
        }
      }
    }
  });

  it('ids are unique, and every binding has keys, a description and a short label', () => {
    expect(new Set(bindings.map((b) => b.id)).size).toBe(bindings.length);
    for (const b of bindings) {
      expect(b.keys.length, b.id).toBeGreaterThan(0);
      expect(b.description.trim().length, b.id).toBeGreaterThan(3);
      expect(b.label.trim().length, b.id).toBeGreaterThan(0);
      expect(b.label.length, `${b.id} label too long for the footer`).toBeLessThanOrEqual(12);
    }
  });

  it('descriptions and labels are plain ASCII (they read the same in any locale)', () => {
    for (const b of bindings) {
      expect([...b.description, ...b.label].every((ch) => (ch.codePointAt(0) ?? 0) < 128), b.id).toBe(true);
    }
  });

  it('every key is a known key name, a single character, or ctrl-<letter>', () => {
    for (const b of bindings) {
      for (const k of b.keys) {
        const ok = (NAMED_KEYS as readonly string[]).includes(k) || [...k].length === 1 || /^ctrl-[a-z]$/.test(k);
        expect(ok, `${b.id}: "${k}"`).toBe(true);
      }
    }
  });

  it('covers what the console needs, in the right scopes', () => {
    const has = (id: string, scope: Scope, keys: string[]): void => {
      const b = bindings.find((x) => x.id === id);
      expect(b, id).toBeDefined();
      expect(b?.scope).toBe(scope);
      for (const k of keys) expect(b?.keys).toContain(k);
    };
    has('global.help', 'global', ['?']);
    has('global.pause', 'global', ['space']);
    has('global.refresh', 'global', ['r']);
    has('global.quit', 'global', ['q']);
    has('global.forceQuit', 'global', ['ctrl-c']);
    has('global.back', 'global', ['escape']);
    has('global.nextTab', 'global', ['tab']);
    has('global.prevTab', 'global', ['shift-tab']);
    has('list.down', 'list', ['j', 'down']);
    has('list.up', 'list', ['k', 'up']);
    has('list.top', 'list', ['g']);
    has('list.bottom', 'list', ['G']);
    has('list.pageDown', 'list', ['pagedown']);
    has('list.pageUp', 'list', ['pageup']);
    has('list.details', 'list', ['return']);
    has('queue.raisePriority', 'queue', ['+']);
    has('queue.lowerPriority', 'queue', ['-']);
    has('queue.setPriority', 'queue', ['p']);
    has('queue.filter', 'queue', ['/']);
    has('audit.follow', 'audit', ['f']);
    has('audit.filter', 'audit', ['/']);
    has('batch.approve', 'batch', ['a']);
    has('batch.reject', 'batch', ['x']);
    for (const [n, tab] of TAB_IDS.entries()) {
      expect(matchBinding(String(n + 1), NO_KEY, 'health')).toBe(`global.tab.${tab}`);
    }
  });

  it('only actions that change books are marked mutating', () => {
    const mutating = bindings.filter((b) => b.mutates).map((b) => b.id).sort();
    expect(mutating).toEqual(
      [
        'batch.approve',
        'batch.reject',
        'failed.reject',
        'failed.retry',
        'queue.lowerPriority',
        'queue.raisePriority',
        'queue.setPriority',
        'stuck.reject',
        'stuck.reset',
        'stuck.retry',
      ].sort(),
    );
  });
});

describe('matchBinding (pure)', () => {
  it('maps Ink key flags to bindings', () => {
    expect(matchBinding('', key({ downArrow: true }), 'queue')).toBe('list.down');
    expect(matchBinding('k', NO_KEY, 'audit')).toBe('list.up');
    expect(matchBinding('', key({ pageDown: true }), 'stuck')).toBe('list.pageDown');
    expect(matchBinding('', key({ pageUp: true }), 'stuck')).toBe('list.pageUp');
    expect(matchBinding('', key({ tab: true }), 'queue')).toBe('global.nextTab');
    expect(matchBinding('', key({ tab: true, shift: true }), 'queue')).toBe('global.prevTab');
    expect(matchBinding('', key({ escape: true, meta: true }), 'queue')).toBe('global.back');
    expect(matchBinding('', key({ return: true }), 'queue')).toBe('list.details');
    expect(matchBinding(' ', NO_KEY, 'health')).toBe('global.pause');
    expect(matchBinding('c', key({ ctrl: true }), 'health')).toBe('global.forceQuit');
    expect(matchBinding('g', NO_KEY, 'queue')).toBe('list.top');
    expect(matchBinding('G', key({ shift: true }), 'queue')).toBe('list.bottom');
    expect(matchBinding('3', NO_KEY, 'queue')).toBe('global.tab.queue');
  });

  it('a tab scope wins nothing over another tab: the same key means each tab\'s own action', () => {
    expect(matchBinding('x', NO_KEY, 'stuck')).toBe('stuck.reject');
    expect(matchBinding('x', NO_KEY, 'batch')).toBe('batch.reject');
    expect(matchBinding('x', NO_KEY, 'queue')).toBeNull();
    expect(matchBinding('j', NO_KEY, 'batch')).toBe('batch.nextField');
    expect(matchBinding('j', NO_KEY, 'health')).toBeNull(); // health has no list
  });

  it('overlays are modal: only their keys, plus Ctrl-C', () => {
    expect(matchBinding('q', NO_KEY, 'help')).toBe('help.close');
    expect(matchBinding('r', NO_KEY, 'help')).toBeNull();
    expect(matchBinding('q', NO_KEY, 'prompt')).toBeNull(); // typing a q must not quit
    expect(matchBinding('1', NO_KEY, 'confirm')).toBeNull();
    expect(matchBinding('c', key({ ctrl: true }), 'prompt')).toBe('global.forceQuit');
  });

  it('ignores pastes and Alt-combinations', () => {
    expect(keyNameOf('qq', NO_KEY)).toBeNull();
    expect(keyNameOf('q', key({ meta: true }))).toBeNull();
    expect(keyNameOf('', key({ delete: true }))).toBe('backspace');
  });

  it('resolveBinding refuses mutating actions in read-only mode and row actions without a row', () => {
    expect(resolveBinding('+', NO_KEY, 'queue', { readOnly: true })?.disabledReason).toBe('read-only');
    expect(resolveBinding('+', NO_KEY, 'queue', { readOnly: false, hasSelection: false })?.disabledReason).toBe('no book selected');
    expect(resolveBinding('+', NO_KEY, 'queue', { readOnly: false, hasSelection: true, selectedPriority: 1 })?.disabledReason).toBe('already 1');
    expect(resolveBinding('-', NO_KEY, 'queue', { readOnly: false, hasSelection: true, selectedPriority: 10 })?.disabledReason).toBe('already 10');
    expect(resolveBinding('+', NO_KEY, 'queue', { readOnly: false, hasSelection: true, selectedPriority: 5 })?.disabledReason).toBeNull();
    expect(resolveBinding('f', NO_KEY, 'audit', { readOnly: true })?.disabledReason).toBeNull();
  });

  it('tab helpers', () => {
    expect(tabOfBinding('global.tab.audit')).toBe('audit');
    expect(tabOfBinding('global.help')).toBeNull();
    expect(cycleTab('audit', 1)).toBe('failed');
    expect(cycleTab('failed', 1)).toBe('health');
    expect(cycleTab('health', -1)).toBe('failed');
  });
});

/** A component that shows which binding each keypress matched, through real Ink input parsing. */
function MatchProbe(props: { scope: Scope }) {
  const [seen, setSeen] = useState<string[]>([]);
  useInput((input, k) => setSeen((s) => [...s, matchBinding(input, k, props.scope) ?? 'none']));
  return <Text>{seen.length === 0 ? 'ready' : seen.join(' ')}</Text>;
}

describe('matchBinding through Ink', () => {
  const cases: [KeyName | string, Scope, string][] = [
    ['up', 'queue', 'list.up'],
    ['down', 'queue', 'list.down'],
    ['pgup', 'stuck', 'list.pageUp'],
    ['pgdn', 'stuck', 'list.pageDown'],
    ['home', 'audit', 'list.top'],
    ['end', 'audit', 'list.bottom'],
    ['tab', 'health', 'global.nextTab'],
    ['shift-tab', 'health', 'global.prevTab'],
    ['esc', 'queue', 'global.back'],
    ['enter', 'queue', 'list.details'],
    ['space', 'queue', 'global.pause'],
    ['ctrl-c', 'queue', 'global.forceQuit'],
    ['g', 'queue', 'list.top'],
    ['G', 'queue', 'list.bottom'],
    ['5', 'queue', 'global.tab.audit'],
    ['+', 'queue', 'queue.raisePriority'],
    ['R', 'stuck', 'stuck.reset'],
    ['?', 'batch', 'global.help'],
  ];
  for (const [k, scope, id] of cases) {
    it(`${k} in ${scope} → ${id}`, async () => {
      const i = render(<MatchProbe scope={scope} />);
      await waitForInputReady(i);
      await sendKeys(i, k);
      await waitForText(i, id);
      expect(lastFrameStripped(i)).toBe(id);
    });
  }
});

describe('footer and help come from the registry', () => {
  it('footer shows the scope\'s own hints, then global ones, with read-only reasons', () => {
    const hints = footerHints('queue', { readOnly: true, hasSelection: true }, unicodeGlyphs);
    const labels = hints.map((h) => h.label);
    expect(labels.indexOf('raise')).toBeLessThan(labels.indexOf('help'));
    expect(hints.find((h) => h.label === 'raise')).toEqual({ keys: '+/=', label: 'raise', disabledReason: 'read-only' });
    expect(hints.find((h) => h.label === 'details')).toEqual({ keys: '⏎', label: 'details', disabledReason: null });
    expect(labels).not.toContain('reject'); // stuck's and batch's keys are not shown on the queue tab
  });

  it('help lists every binding exactly once, with the active scope first', () => {
    const sections = helpSections({ readOnly: false }, asciiGlyphs, 'audit');
    expect(sections.slice(0, 3).map((s) => s.title)).toEqual(['Audit', 'Lists (Stuck, Queue, Audit, Failed)', 'Everywhere']);
    const entries = sections.flatMap((s) => s.entries);
    expect(entries).toHaveLength(bindings.length);
    const raise = entries.find((e) => e.description === getBinding('queue.raisePriority').description);
    expect(raise?.keys).toBe('+/=');
    expect(formatKeys(['k', 'up'], asciiGlyphs)).toBe('k/Up');
    expect(formatKeys(['k', 'up'], unicodeGlyphs)).toBe('k/↑');
    expect(formatKeys(['ctrl-c', 'pagedown', 'shift-tab'], unicodeGlyphs)).toBe('^C/PgDn/S-Tab');
  });
});

describe('components read the keys the registry documents', () => {
  const keyFor = (name: string): { input: string; k: ReturnType<typeof key> } => {
    switch (name) {
      case 'return':
        return { input: '\r', k: key({ return: true }) };
      case 'escape':
        return { input: '', k: key({ escape: true, meta: true }) };
      case 'backspace':
        return { input: '', k: key({ delete: true }) };
      default:
        return name.startsWith('ctrl-') ? { input: name.slice(5), k: key({ ctrl: true }) } : { input: name, k: NO_KEY };
    }
  };

  it('ConfirmDialog: confirm.accept confirms, confirm.cancel cancels, deleteDigit deletes', () => {
    for (const name of getBinding('confirm.accept').keys) {
      const { input, k } = keyFor(name);
      expect(confirmStep({ typed: '', error: null }, input, k, { count: 3 }), name).toEqual({ kind: 'confirm' });
    }
    for (const name of getBinding('confirm.cancel').keys) {
      const { input, k } = keyFor(name);
      expect(confirmStep({ typed: '', error: null }, input, k, { count: 3 }), name).toEqual({ kind: 'cancel' });
      expect(confirmStep({ typed: '12', error: null }, input, k, { count: 300 }), name).toEqual({ kind: 'cancel' });
    }
    for (const name of getBinding('confirm.deleteDigit').keys) {
      const { input, k } = keyFor(name);
      expect(confirmStep({ typed: '12', error: null }, input, k, { count: 300 })).toEqual({ kind: 'edit', state: { typed: '1', error: null } });
    }
  });

  it('TextPrompt: submit, cancel, deleteChar and clear', () => {
    const kinds: Record<string, string> = { 'prompt.submit': 'submit', 'prompt.cancel': 'cancel', 'prompt.deleteChar': 'edit', 'prompt.clear': 'edit' };
    for (const [id, kind] of Object.entries(kinds)) {
      for (const name of getBinding(id as 'prompt.submit').keys) {
        const { input, k } = keyFor(name);
        expect(editLine('abc', input, k).kind, `${id} ${name}`).toBe(kind);
      }
    }
    const { input, k } = keyFor('ctrl-u');
    expect(editLine('abc', input, k)).toEqual({ kind: 'edit', value: '' });
  });
});
