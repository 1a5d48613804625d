import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { displayWidth, fitCell, forGlyphs, truncate } from './text.js';
import { formatCount } from '../src/text/format.js';
import { useTheme } from './theme.js';

/**
 * The "?" overlay: every key binding, grouped by where it applies. Sections come from the keymap
 * registry (`helpSections()` in screens/keymap.ts), never from a hand-written list, so help
 * cannot drift from the real keys. The overlay is a bordered box of exactly `width` × `height`;
 * when the list is longer, the parent scrolls it through `offset` (clamp with `helpLineCount`).
 */
export interface HelpEntry {
  readonly keys: string;
  readonly description: string;
  /** Shown after the description when the binding is disabled right now (e.g. read-only). */
  readonly disabledReason?: string | null;
}

export interface HelpSection {
  readonly title: string;
  readonly entries: readonly HelpEntry[];
}

export interface HelpOverlayProps {
  readonly sections: readonly HelpSection[];
  readonly width: number;
  readonly height: number;
  /** First content line shown (scroll position); clamped to the content. */
  readonly offset?: number;
  readonly title?: string;
  /** How to close, from the keymap (e.g. "Esc/? close"); default "Esc close". */
  readonly closeHint?: string;
}

type Line = { kind: 'title'; text: string } | { kind: 'entry'; entry: HelpEntry } | { kind: 'blank' };

function helpLines(sections: readonly HelpSection[]): Line[] {
  const lines: Line[] = [];
  sections.forEach((s, i) => {
    if (i > 0) lines.push({ kind: 'blank' });
    lines.push({ kind: 'title', text: s.title });
    for (const e of s.entries) lines.push({ kind: 'entry', entry: e });
  });
  return lines;
}

/** Content lines of the overlay: the parent scrolls `offset` within `[0, count - visible]`. */
export function helpLineCount(sections: readonly HelpSection[]): number {
  return helpLines(sections).length;
}

/** Content lines visible in an overlay of `height` (border 2, footer 1). */
export function helpVisibleLines(height: number): number {
  return Math.max(0, height - 3);
}

export function HelpOverlay(props: HelpOverlayProps): ReactNode {
  const { colors, glyphs } = useTheme();
  const lines = helpLines(props.sections);
  const visible = helpVisibleLines(props.height);
  const offset = Math.max(0, Math.min(props.offset ?? 0, lines.length - visible));
  const inner = Math.max(0, props.width - 4); // border + one space of padding each side
  const keysW = Math.min(
    Math.max(0, ...props.sections.flatMap((s) => s.entries.map((e) => displayWidth(e.keys)))),
    Math.floor(inner / 2),
  );
  const descW = Math.max(0, inner - keysW - 4);
  const last = Math.min(lines.length, offset + visible);
  const more = lines.length > visible;
  const closeHint = props.closeHint ?? 'Esc close';
  const footer = more
    ? `${glyphs.arrowUp}${glyphs.arrowDown} scroll  ${closeHint}  ${formatCount(offset + 1)}${glyphs.rangeDash}${formatCount(last)} of ${formatCount(lines.length)}`
    : closeHint;
  return (
    <Box
      flexDirection="column"
      width={props.width}
      height={props.height}
      borderStyle={glyphs.borderStyle}
      borderColor={colors.border}
      paddingX={1}
    >
      <Box flexDirection="column" height={visible}>
        {lines.slice(offset, last).map((line, i) => {
          if (line.kind === 'blank') return <Text key={i}> </Text>;
          if (line.kind === 'title') {
            return (
              <Text key={i} bold color={colors.accent} wrap="truncate-end">
                {truncate(forGlyphs(line.text, glyphs), inner, glyphs.ellipsis)}
              </Text>
            );
          }
          const e = line.entry;
          // The reason goes first: a long description must not cut it off.
          const reason = e.disabledReason ? `(${e.disabledReason}) ` : '';
          return (
            <Text key={i} wrap="truncate-end" dimColor={Boolean(e.disabledReason)}>
              {'  '}
              <Text bold color={colors.info}>
                {fitCell(e.keys, keysW, glyphs.ellipsis)}
              </Text>
              {'  '}
              {truncate(forGlyphs(reason + e.description, glyphs), descW, glyphs.ellipsis)}
            </Text>
          );
        })}
      </Box>
      <Text color={colors.muted} wrap="truncate-end">
        {truncate((props.title ? props.title + '  ' : '') + footer, inner, glyphs.ellipsis)}
      </Text>
    </Box>
  );
}
