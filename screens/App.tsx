/**
 * The console's root: tab strip, the active tab (or help), the open dialog, status bar and key
 * hints, in a box exactly `rows - 1` high (at `rows` Ink clears the screen every frame). One
 * `useInput` here hands every key to the controller, dialogs' keys included (the dialogs draw the
 * state the controller keeps in the overlay), so keys arriving in one read are handled in order.
 */
import { Box, Text, useApp, useInput, useStdin, useStdout } from 'ink';
import { useEffect, useMemo, useSyncExternalStore, type ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { TabBar, type TabSpec } from '../components/TabBar.js';
import { StatusBar } from '../components/StatusBar.js';
import { FooterHints } from '../components/FooterHints.js';
import { HelpOverlay, helpVisibleLines } from '../components/HelpOverlay.js';
import { ConfirmDialog, requiresTypedCount } from '../components/ConfirmDialog.js';
import { TextPrompt, digitsOnly } from '../components/TextPrompt.js';
import { formatCount } from '../src/text/format.js';
import { formatCompact } from '../src/text/format.js';
import { useTheme } from '../components/theme.js';
import { tableBodyRows } from '../components/windowing.js';
import { StoresProvider, useHealth, useUi, useStores } from '../store/context.js';
import type { Overlay } from '../store/ui.js';
import type { ConsoleController } from './controller.js';
import { dialogHint, footerHints, formatKeys, getBinding, helpSections, LIST_TAB_IDS, TAB_IDS, type BindingContext, type TabId } from './keymap.js';
import { rootHeight, useTerminalSize } from './terminal.js';
import { HealthTab } from './HealthTab.js';
import { StuckTab } from './StuckTab.js';
import { QueueTab } from './QueueTab.js';
import { BatchTab } from './BatchTab.js';
import { AuditTab } from './AuditTab.js';
import { FailedTab } from './FailedTab.js';
import { DetailsPane } from './DetailsPane.js';

export interface ConsoleAppProps {
  readonly controller: ConsoleController;
  readonly dbPath: string;
  readonly readOnly: boolean;
}

/** Lines a dialog takes at the bottom of the body (so the table above can keep its cursor row in view). */
export function overlayLines(o: Overlay): number {
  if (o.kind === 'confirm') {
    const detail = o.detail !== undefined ? 1 : 0;
    return 2 + 2 + detail + (requiresTypedCount(o.count) ? 4 : 1);
  }
  if (o.kind === 'prompt') return 3;
  return 0;
}

/** Fixed lines around the body: tab strip, status bar, key hints. */
export const CHROME_LINES = 3;

export function ConsoleApp(props: ConsoleAppProps): ReactNode {
  return (
    <StoresProvider stores={props.controller.stores}>
      <Root {...props} />
    </StoresProvider>
  );
}

function Root(props: ConsoleAppProps): ReactNode {
  const { controller } = props;
  const { exit } = useApp();
  const { stdout } = useStdout();
  const { isRawModeSupported } = useStdin();
  const size = useTerminalSize(stdout);
  const height = rootHeight(size.rows);
  const width = size.columns;
  const bodyHeight = Math.max(1, height - CHROME_LINES);
  const tab = useUi((s) => s.tab);
  const overlay = useUi((s) => s.overlay);

  useEffect(() => controller.bindExit(exit), [controller, exit]);
  useEffect(() => {
    controller.setLayout({ listRows: tableBodyRows(bodyHeight), helpLines: helpVisibleLines(bodyHeight), width, bodyLines: bodyHeight });
  }, [controller, bodyHeight, width]);

  useInput((input, key) => void controller.handleKey(input, key), { isActive: isRawModeSupported === true });

  const reserved = overlayLines(overlay);
  const contentHeight = Math.max(1, bodyHeight - reserved);

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Tabs active={tab} width={width} />
      <Box flexDirection="column" height={bodyHeight} width={width}>
        {overlay.kind === 'help' ? (
          <Help controller={controller} width={width} height={bodyHeight} offset={overlay.offset} />
        ) : (
          <>
            <Box height={contentHeight} width={width} flexDirection="column">
              <Body tab={tab} width={width} height={contentHeight} />
            </Box>
            <Dialog overlay={overlay} width={width} />
          </>
        )}
      </Box>
      <Status dbPath={props.dbPath} readOnly={props.readOnly} width={width} />
      <Footer controller={controller} width={width} />
    </Box>
  );
}

function Body(props: { tab: TabId; width: number; height: number }): ReactNode {
  const details = useUi((s) => s.details);
  if (details && details.tab === props.tab) return <DetailsPane details={details} width={props.width} height={props.height} />;
  switch (props.tab) {
    case 'health':
      return <HealthTab width={props.width} height={props.height} />;
    case 'stuck':
      return <StuckTab width={props.width} height={props.height} />;
    case 'queue':
      return <QueueTab width={props.width} height={props.height} />;
    case 'batch':
      return <BatchTab width={props.width} height={props.height} />;
    case 'audit':
      return <AuditTab width={props.width} height={props.height} />;
    case 'failed':
      return <FailedTab width={props.width} height={props.height} />;
  }
}

const TAB_TITLES: Record<TabId, string> = { health: 'Health', stuck: 'Stuck', queue: 'Queue', batch: 'Batch', audit: 'Audit', failed: 'Failed' };

const TAB_SHORT: Record<TabId, string> = { health: 'Hlth', stuck: 'Stk', queue: 'Que', batch: 'Bat', audit: 'Aud', failed: 'Fail' };

function Tabs(props: { active: TabId; width: number }): ReactNode {
  const [stuck, queued, pending, status, stuckCapped, failed] = useHealth(
    useShallow((s) => [s.report?.stuck_count ?? null, s.report?.queued ?? null, s.report?.pending_approval ?? null, s.report?.status ?? null, s.report?.stuck_count_capped ?? false, s.report?.failed ?? null]),
  );
  const tabs: TabSpec[] = TAB_IDS.map((id) => {
    const badge =
      id === 'health' && status !== null && status !== 'healthy'
        ? { text: status, short: status.slice(0, 4), tone: status === 'unhealthy' ? ('critical' as const) : ('warning' as const) }
        : id === 'stuck' && stuck
          ? { text: `${formatCount(stuck)}${stuckCapped ? '+' : ''}`, tone: 'warning' as const }
          : id === 'queue' && queued
            ? { text: formatCount(queued), short: formatCompact(queued) }
            : id === 'batch' && pending
              ? { text: `${formatCount(pending)} pending`, short: formatCompact(pending) }
              : id === 'failed' && failed
                ? { text: formatCount(failed), short: formatCompact(failed), tone: 'critical' as const }
                : undefined;
    return { id, title: TAB_TITLES[id], short: TAB_SHORT[id], ...(badge ? { badge } : {}) };
  });
  return <TabBar tabs={tabs} activeId={props.active} width={props.width} />;
}

function Status(props: { dbPath: string; readOnly: boolean; width: number }): ReactNode {
  const [paused, dataAgeMs, lastPollAgeMs] = useUi(useShallow((s) => [s.paused, s.dataAgeMs, s.lastPollAgeMs]));
  const message = useUi((s) => s.message);
  return (
    <Box width={props.width}>
      <StatusBar
        dbPath={props.dbPath}
        dataAgeMs={dataAgeMs}
        lastPollAgeMs={lastPollAgeMs}
        paused={paused}
        readOnly={props.readOnly}
        message={message}
        width={props.width}
      />
    </Box>
  );
}

/**
 * The footer's binding context, from the one place that knows what each tab's selection means
 * (its keys' `selection()`, through `controller.bindingContext`). The lists' stores only say when
 * to ask again; the context is compared as text, so a refresh that keeps the selection renders
 * nothing.
 */
function useFooterContext(controller: ConsoleController, tab: TabId): BindingContext {
  const stores = useStores();
  const subscribe = useMemo(
    () => (onChange: () => void) => {
      const offs = LIST_TAB_IDS.map((id) => stores[id].subscribe(onChange));
      return () => offs.forEach((off) => off());
    },
    [stores],
  );
  const read = () => JSON.stringify(controller.bindingContext(tab));
  const key = useSyncExternalStore(subscribe, read, read);
  return useMemo(() => JSON.parse(key) as BindingContext, [key]);
}

function Footer(props: { controller: ConsoleController; width: number }): ReactNode {
  const { glyphs } = useTheme();
  const tab = useUi((s) => s.tab);
  const overlayKind = useUi((s) => s.overlay.kind);
  const detailsOpen = useUi((s) => s.details !== null && s.details.tab === s.tab);
  const ctx = useFooterContext(props.controller, tab);
  const scope = overlayKind === 'none' ? tab : overlayKind;
  let hints = footerHints(scope, ctx, glyphs);
  if (detailsOpen && overlayKind === 'none') {
    const back = getBinding('global.back');
    hints = [{ keys: formatKeys(back.keys, glyphs), label: back.label }, ...hints];
  }
  return (
    <Box width={props.width}>
      <FooterHints hints={hints} width={props.width} />
    </Box>
  );
}

function Help(props: { controller: ConsoleController; width: number; height: number; offset: number }): ReactNode {
  const { glyphs } = useTheme();
  const tab = useUi((s) => s.tab);
  const sections = helpSections(props.controller.bindingContext(tab), glyphs, tab);
  const close = getBinding('help.close');
  return (
    <HelpOverlay
      sections={sections}
      width={props.width}
      height={props.height}
      offset={props.offset}
      title="Keys"
      closeHint={`${formatKeys(close.keys, glyphs)} close`}
    />
  );
}

function Dialog(props: { overlay: Overlay; width: number }): ReactNode {
  const ui = useStores().ui;
  const { glyphs } = useTheme();
  const o = props.overlay;
  if (o.kind === 'confirm') {
    return (
      <ConfirmDialog
        action={o.action}
        subject={o.subject}
        count={o.count}
        {...(o.detail !== undefined && o.detail !== '' ? { detail: o.detail } : {})}
        destructive={o.destructive ?? false}
        typed={o.typed ?? ''}
        error={o.error ?? null}
        isActive={false}
        // The keys the controller reads for the dialog, from the keymap (typing a count: named keys only).
        hint={dialogHint(['confirm.accept', 'confirm.cancel'], glyphs, { namedOnly: requiresTypedCount(o.count) })}
        onConfirm={o.onConfirm}
        onCancel={() => {
          ui.getState().closeOverlay();
          ui.getState().setMessage({ text: 'Cancelled: nothing changed' });
        }}
        width={props.width}
      />
    );
  }
  if (o.kind === 'prompt') {
    return (
      <TextPrompt
        key={o.label}
        label={o.label}
        {...(o.initialValue !== undefined ? { initialValue: o.initialValue } : {})}
        {...(o.placeholder !== undefined ? { placeholder: o.placeholder } : {})}
        {...(o.digitsOnly ? { accept: digitsOnly } : {})}
        {...(o.validate ? { validate: o.validate } : {})}
        {...(o.onChange ? { onChange: o.onChange } : {})}
        value={o.value ?? o.initialValue ?? ''}
        error={o.error ?? null}
        isActive={false}
        hint={dialogHint(['prompt.submit', 'prompt.cancel'], glyphs)}
        onSubmit={o.onSubmit}
        onCancel={() => (o.onCancel ? o.onCancel() : ui.getState().closeOverlay())}
        width={props.width}
      />
    );
  }
  return null;
}

