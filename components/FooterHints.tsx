import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { displayWidth, forGlyphs, truncate } from './text.js';
import { useTheme } from './theme.js';

/**
 * The key-hint line at the bottom of a screen: "j/k move  ⏎ details  + raise  p priority …".
 * Hints come from the keymap (`footerHints()` in screens/keymap.ts) so they match the real keys.
 * A disabled hint is dimmed; why it is off is said in the status line when the key is pressed
 * (and in `?` help), not here, where the room is needed for the keys. Hints that do not fit the
 * width are left off, never cut in half: first the unpinned ones from the end, so pinned hints
 * (`? help`, `q quit`) are always there.
 */
export interface HintItem {
  /** Key caps as shown, e.g. "j/↓" or "Esc". */
  readonly keys: string;
  readonly label: string;
  /** Why the binding does nothing right now; null/undefined when it is enabled (drawn dimmed). */
  readonly disabledReason?: string | null;
  /** Kept whatever the width (help, quit): other hints are left off first. */
  readonly pinned?: boolean;
}

export interface FooterHintsProps {
  readonly hints: readonly HintItem[];
  readonly width: number;
}

const GAP = '  ';

function hintText(h: HintItem): string {
  return `${h.keys} ${h.label}`;
}

/** The hints that fit in `width`, in their order: pinned ones first claim their room. */
export function fitHints(hints: readonly HintItem[], width: number): HintItem[] {
  const cost = (h: HintItem): number => displayWidth(hintText(h)) + GAP.length;
  let room = width + GAP.length; // no gap before the first hint
  const keep = new Set<HintItem>();
  for (const h of hints.filter((x) => x.pinned)) {
    if (cost(h) > room) break;
    keep.add(h);
    room -= cost(h);
  }
  for (const h of hints) {
    if (h.pinned) continue;
    if (cost(h) > room) break;
    keep.add(h);
    room -= cost(h);
  }
  return hints.filter((h) => keep.has(h));
}

export function FooterHints(props: FooterHintsProps): ReactNode {
  const { colors, glyphs } = useTheme();
  const hints = props.hints.map((h) => ({
    keys: forGlyphs(h.keys, glyphs),
    label: forGlyphs(h.label, glyphs),
    disabledReason: h.disabledReason ? forGlyphs(h.disabledReason, glyphs) : null,
    ...(h.pinned ? { pinned: true } : {}),
  }));
  const shown = fitHints(hints, props.width);
  if (shown.length === 0 && hints[0]) {
    // Not even one hint fits: show the first one cut, so the line is never silently empty.
    return <Text color={colors.muted}>{truncate(hintText(hints[0]), props.width, glyphs.ellipsis)}</Text>;
  }
  return (
    <Box>
      {shown.map((h, i) => (
        <Text key={`${h.keys}:${h.label}`} dimColor={Boolean(h.disabledReason)}>
          {i > 0 ? GAP : ''}
          <Text bold={!h.disabledReason} dimColor={Boolean(h.disabledReason)} color={h.disabledReason ? colors.muted : colors.accent}>
            {h.keys}
          </Text>
          <Text dimColor={Boolean(h.disabledReason)} color={colors.muted}>
            {' '}
            {h.label}
          </Text>
        </Text>
      ))}
    </Box>
  );
}
