import { Box, Text, useInput, type Key } from 'ink';
import { useRef, useState, type ReactNode } from 'react';
import { displayWidth, forGlyphs, singleLine, truncate } from './text.js';
import { splitKeys } from './key-chunks.js';
import { useTheme } from './theme.js';

/**
 * A one-line text input for reasons, filters and priority numbers. Typing appends, Backspace
 * deletes the last character, Ctrl-U clears, Enter submits, Esc cancels. Pasted text arrives as
 * one input and is appended (on one line). The editing rules are the pure `editLine`, so a
 * screen can reuse them and tests can check them without a terminal.
 *
 * The prompt listens to keys only while `isActive` (default true): mount it as the single open
 * overlay and keep the screen's own `useInput` inactive meanwhile.
 */
export type LineEdit =
  | { readonly kind: 'edit'; readonly value: string }
  | { readonly kind: 'submit'; readonly value: string }
  | { readonly kind: 'cancel' }
  | { readonly kind: 'ignore' };

export interface LineRules {
  /** Which typed characters are kept (default: any printable). */
  readonly accept?: (ch: string) => boolean;
  /** Longest value, in characters (default 200). */
  readonly maxLength?: number;
}

/** Accepts 0-9 only: for priority numbers and counts. */
export const digitsOnly = (ch: string): boolean => ch >= '0' && ch <= '9';

/** What one keypress does to `value`. */
export function editLine(value: string, input: string, key: Key, rules: LineRules = {}): LineEdit {
  if (key.escape) return { kind: 'cancel' };
  if (key.return) return { kind: 'submit', value };
  // Ink reports the usual Backspace byte (0x7f) as `delete` and ^H as `backspace`.
  if (key.backspace || key.delete) {
    const chars = [...value];
    return chars.length === 0 ? { kind: 'ignore' } : { kind: 'edit', value: chars.slice(0, -1).join('') };
  }
  if (key.ctrl && input === 'u') return value === '' ? { kind: 'ignore' } : { kind: 'edit', value: '' };
  if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow) {
    return { kind: 'ignore' };
  }
  if (key.pageUp || key.pageDown || key.home || key.end) return { kind: 'ignore' };
  const accept = rules.accept ?? (() => true);
  const typed = [...singleLine(input)].filter(accept);
  if (typed.length === 0) return { kind: 'ignore' };
  const max = rules.maxLength ?? 200;
  const next = [...value, ...typed].slice(0, max).join('');
  return next === value ? { kind: 'ignore' } : { kind: 'edit', value: next };
}

export interface TextPromptProps extends LineRules {
  /** What is asked, e.g. "Reason for rejecting 12 books". */
  readonly label: string;
  readonly initialValue?: string;
  /** Shown dimmed while the value is empty. */
  readonly placeholder?: string;
  /** Checked on Enter; a message keeps the prompt open and is shown under it. */
  readonly validate?: (value: string) => string | null;
  readonly onSubmit: (value: string) => void;
  readonly onCancel: () => void;
  /** Every edit, e.g. to filter a list live. */
  readonly onChange?: (value: string) => void;
  readonly isActive?: boolean;
  /**
   * Controlled: the value (and validation message) kept by whoever reads the keys; the prompt
   * only draws them. Pass with `isActive={false}`.
   */
  readonly value?: string;
  readonly error?: string | null;
  readonly width: number;
  /** Key hint line; default "Enter submit  Esc cancel". */
  readonly hint?: string;
}

export function TextPrompt(props: TextPromptProps): ReactNode {
  const { colors, glyphs } = useTheme();
  const [ownValue, setValue] = useState(props.initialValue ?? '');
  const [ownError, setError] = useState<string | null>(null);
  // Keys can arrive faster than renders; edit the latest value, not the last rendered one.
  const current = useRef(ownValue);

  useInput(
    (chunk, chunkKey) => {
      // One read may hold several keys (a paste and its Enter): each in order.
      for (const { input, key } of splitKeys(chunk, chunkKey)) {
        const step = editLine(current.current, input, key, props);
        if (step.kind === 'cancel') return props.onCancel();
        if (step.kind === 'submit') {
          const problem = props.validate?.(step.value) ?? null;
          if (problem !== null) setError(problem);
          else return props.onSubmit(step.value);
        } else if (step.kind === 'edit') {
          current.current = step.value;
          setValue(step.value);
          setError(null);
          props.onChange?.(step.value);
        }
      }
    },
    { isActive: props.isActive ?? true },
  );
  const value = props.value ?? ownValue;
  const error = props.error !== undefined ? props.error : ownError;

  const label = `${forGlyphs(props.label, glyphs)}: `;
  const room = Math.max(1, props.width - displayWidth(label) - 1); // 1 for the cursor
  // Keep the end of a long value visible: that is where the typing happens.
  const shown = truncate(forGlyphs(value, glyphs), room, glyphs.ellipsis, 'start');
  return (
    <Box flexDirection="column" width={props.width}>
      <Text wrap="truncate-end">
        <Text bold>{label}</Text>
        {value === '' && props.placeholder ? (
          <Text color={colors.muted}>
            <Text inverse> </Text>
            {truncate(forGlyphs(props.placeholder, glyphs), room, glyphs.ellipsis)}
          </Text>
        ) : (
          <Text>
            {shown}
            <Text inverse> </Text>
          </Text>
        )}
      </Text>
      {error !== null && (
        <Text color={colors.critical} wrap="truncate-end">
          {error}
        </Text>
      )}
      <Text color={colors.muted} wrap="truncate-end">
        {props.hint ?? 'Enter submit  Esc cancel'}
      </Text>
    </Box>
  );
}
