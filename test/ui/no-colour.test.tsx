// Must come first: makes chalk emit colour under vitest, so these assertions can fail.
import '../helpers/force-colour.js';
import { render } from 'ink-testing-library';
import type { ReactElement } from 'react';
import { describe, expect, it } from 'vitest';
import { AlertList } from '../../components/AlertList.js';
import { BusyIndicator } from '../../components/BusyIndicator.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { FooterHints } from '../../components/FooterHints.js';
import { HelpOverlay } from '../../components/HelpOverlay.js';
import { KeyValueList } from '../../components/KeyValueList.js';
import { PriorityBars } from '../../components/PriorityBars.js';
import { Sparkline } from '../../components/Sparkline.js';
import { StatusBar } from '../../components/StatusBar.js';
import { TabBar } from '../../components/TabBar.js';
import { TextPrompt } from '../../components/TextPrompt.js';
import { WindowedTable } from '../../components/WindowedTable.js';
import { hasAnsiColour, stripAnsi, themed } from '../helpers/ink.js';

type Row = { id: number; state: string };
const noop = (): void => {};

const samples: Record<string, ReactElement> = {
  WindowedTable: (
    <WindowedTable<Row>
      columns={[
        { id: 'id', header: 'ID', width: 4, cell: (r) => String(r.id) },
        { id: 'state', header: 'State', flex: 1, cell: (r) => r.state, tone: () => 'critical' },
      ]}
      rows={[{ id: 1, state: 'failed' }, { id: 2, state: 'failed' }]}
      rowId={(r) => r.id}
      windowStart={0}
      totalRows={2}
      selectedId={2}
      width={40}
      height={5}
    />
  ),
  Sparkline: <Sparkline values={[1, 2, 3]} />,
  PriorityBars: <PriorityBars counts={{ 1: 3 }} width={30} />,
  TabBar: <TabBar tabs={[{ id: 'a', title: 'A', badge: { text: '2', tone: 'critical' } }, { id: 'b', title: 'B' }]} activeId="a" />,
  StatusBar: <StatusBar dbPath="/x.db" dataAgeMs={99_000} lastPollAgeMs={0} paused readOnly message={{ text: 'hi', tone: 'ok' }} width={80} />,
  FooterHints: <FooterHints hints={[{ keys: 'x', label: 'reject', disabledReason: 'read-only' }, { keys: '?', label: 'help' }]} width={80} />,
  HelpOverlay: <HelpOverlay sections={[{ title: 'Queue', entries: [{ keys: 'p', description: 'Set priority' }] }]} width={40} height={6} />,
  ConfirmDialog: <ConfirmDialog action="Reject" subject="books" count={500} onConfirm={noop} onCancel={noop} destructive width={50} />,
  TextPrompt: <TextPrompt label="Reason" onSubmit={noop} onCancel={noop} width={40} isActive={false} />,
  KeyValueList: <KeyValueList items={[{ label: 'State', value: 'failed', tone: 'critical' }]} />,
  AlertList: <AlertList alerts={[{ id: '1', severity: 'critical', message: 'down' }]} width={40} />,
  BusyIndicator: <BusyIndicator busy />,
};

describe('no-colour theme', () => {
  for (const [name, el] of Object.entries(samples)) {
    it(`${name}: colour theme uses colour; no-colour theme emits no colour codes and reads the same`, () => {
      const coloured = render(themed(el, { colour: true })).lastFrame() ?? '';
      const plain = render(themed(el, { colour: false })).lastFrame() ?? '';
      expect(hasAnsiColour(coloured)).toBe(true);
      expect(hasAnsiColour(plain)).toBe(false);
      // Same text (Ink trims trailing blanks only where no style follows them).
      const text = (s: string): string => stripAnsi(s).split('\n').map((l) => l.trimEnd()).join('\n');
      expect(text(plain)).toBe(text(coloured));
    });
  }

  it('the selected table row is marked without colour: a pointer and inverse video', () => {
    const plain = render(themed(samples['WindowedTable'] as ReactElement, { colour: false })).lastFrame() ?? '';
    const lines = plain.split('\n');
    const selected = lines.filter((l) => l.includes('\u001b[7m'));
    expect(selected).toHaveLength(1);
    expect(stripAnsi(selected[0] ?? '')).toMatch(/^› +2 /);
  });
});
