import { Box, Text, useInput, type Key } from 'ink';
import { useRef, useState, type ReactNode } from 'react';
import { forGlyphs, truncate } from './text.js';
import { formatCount } from '../src/text/format.js';
import { useTheme } from './theme.js';
import { splitKeys } from './key-chunks.js';

/**
 * Asks before an action that changes books, naming the action and exactly how many books it
 * touches ("Reject 1,234 books in state failed? — affects exactly 1,234 books").
 *
 * Small actions confirm with y or Enter and cancel with n or Esc. When the count is over
 * `typeThreshold` (default 100), a y cannot do it: the person must type the count itself
 * (digits; "1,234" with separators is accepted too) and press Enter. A wrong count is refused
 * with a message and the dialog stays open.
 *
 * The rules are the pure `confirmStep`; `ConfirmDialog` holds the typed text and listens to keys
 * while `isActive`. Mount it as the single open overlay; the screen's own input stays inactive.
 */
export const DEFAULT_TYPE_THRESHOLD = 100;

/** Whether confirming `count` books needs the count typed. */
export function requiresTypedCount(count: number, typeThreshold: number = DEFAULT_TYPE_THRESHOLD): boolean {
  return count > typeThreshold;
}

export interface ConfirmState {
  readonly typed: string;
  readonly error: string | null;
}

export type ConfirmStep =
  | { readonly kind: 'confirm' }
  | { readonly kind: 'cancel' }
  | { readonly kind: 'edit'; readonly state: ConfirmState }
  | { readonly kind: 'ignore' };

/** What one keypress does in the dialog. */
export function confirmStep(
  state: ConfirmState,
  input: string,
  key: Key,
  opts: { readonly count: number; readonly typeThreshold?: number },
): ConfirmStep {
  if (key.escape) return { kind: 'cancel' };
  if (key.ctrl || key.meta) return { kind: 'ignore' };
  if (!requiresTypedCount(opts.count, opts.typeThreshold)) {
    if (key.return || input === 'y' || input === 'Y') return { kind: 'confirm' };
    if (input === 'n' || input === 'N') return { kind: 'cancel' };
    return { kind: 'ignore' };
  }
  if (key.return) {
    const typed = state.typed.replace(/[,_]/g, '');
    if (typed === String(opts.count)) return { kind: 'confirm' };
    const error =
      state.typed === ''
        ? `Type ${opts.count} to confirm`
        : `${state.typed} is not the count: type ${opts.count} to confirm`;
    return { kind: 'edit', state: { typed: state.typed, error } };
  }
  if (key.backspace || key.delete) {
    return state.typed === '' ? { kind: 'ignore' } : { kind: 'edit', state: { typed: state.typed.slice(0, -1), error: null } };
  }
  if (input === 'n' || input === 'N') return { kind: 'cancel' };
  const typed = [...input].filter((ch) => (ch >= '0' && ch <= '9') || ch === ',' || ch === '_').join('');
  if (typed === '') return { kind: 'ignore' };
  return { kind: 'edit', state: { typed: (state.typed + typed).slice(0, 24), error: null } };
}

export interface ConfirmDialogProps {
  /** The verb, e.g. "Reject", "Reset", "Set priority 2 for". */
  readonly action: string;
  /** What it applies to, e.g. `book "Moby Dick" (#42)` or "books in state failed". */
  readonly subject: string;
  /** Exactly how many books the action touches. */
  readonly count: number;
  readonly typeThreshold?: number;
  /** Extra line, e.g. the reason that will be recorded. */
  readonly detail?: string;
  /** Draw in the critical colour (reject, reset) rather than the warning colour. */
  readonly destructive?: boolean;
  readonly onConfirm: () => void;
  readonly onCancel: () => void;
  readonly isActive?: boolean;
  /** Controlled: the typed count and its message, kept by whoever reads the keys (with `isActive={false}`). */
  readonly typed?: string;
  readonly error?: string | null;
  /** The key line (the screen renders it from its keymap); default "y/Enter confirm  n/Esc cancel", or "Enter confirm  Esc cancel" while a count is typed. */
  readonly hint?: string;
  readonly width: number;
}

export function ConfirmDialog(props: ConfirmDialogProps): ReactNode {
  const { colors, glyphs } = useTheme();
  const [ownState, setState] = useState<ConfirmState>({ typed: '', error: null });
  const current = useRef(ownState);
  const mustType = requiresTypedCount(props.count, props.typeThreshold);

  useInput(
    (chunk, chunkKey) => {
      for (const { input, key } of splitKeys(chunk, chunkKey)) {
        const step = confirmStep(current.current, input, key, props);
        if (step.kind === 'confirm') return props.onConfirm();
        if (step.kind === 'cancel') return props.onCancel();
        if (step.kind === 'edit') {
          current.current = step.state;
          setState(step.state);
        }
      }
    },
    { isActive: props.isActive ?? true },
  );
  const state: ConfirmState = props.typed !== undefined ? { typed: props.typed, error: props.error ?? null } : ownState;

  const inner = Math.max(1, props.width - 4);
  const fit = (s: string): string => truncate(forGlyphs(s, glyphs), inner, glyphs.ellipsis);
  const books = `${formatCount(props.count)} book${props.count === 1 ? '' : 's'}`;
  return (
    <Box
      flexDirection="column"
      width={props.width}
      borderStyle={glyphs.borderStyle}
      borderColor={props.destructive ? colors.critical : colors.warning}
      paddingX={1}
    >
      <Text bold color={props.destructive ? colors.critical : colors.warning} wrap="truncate-end">
        {fit(`${props.action} ${props.subject}?`)}
      </Text>
      <Text wrap="truncate-end">{fit(`This affects exactly ${books}.`)}</Text>
      {props.detail !== undefined && <Text wrap="truncate-end">{fit(props.detail)}</Text>}
      {mustType ? (
        <>
          <Text wrap="truncate-end">{fit(`Type ${props.count} and press Enter to confirm.`)}</Text>
          <Text wrap="truncate-end">
            {'> '}
            {state.typed}
            <Text inverse> </Text>
          </Text>
          {state.error !== null && (
            <Text color={colors.critical} wrap="truncate-end">
              {fit(state.error)}
            </Text>
          )}
          <Text color={colors.muted}>{fit(props.hint ?? 'Enter confirm  Esc cancel')}</Text>
        </>
      ) : (
        <Text color={colors.muted}>{fit(props.hint ?? 'y/Enter confirm  n/Esc cancel')}</Text>
      )}
    </Box>
  );
}
