import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { displayWidth, forGlyphs, truncate } from './text.js';
import { useTheme } from './theme.js';

/**
 * The key-hint line at the bottom of a screen: "j/k move  ⏎ details  + raise  p priority …".
 * Hints come from the keymap (`footerHints()` in screens/keymap.ts) so they match the real keys.
 * A disabled hint is dimmed and says why: "+ raise (read-only)". Hints that do not fit the
 * width are left off from the end, never cut in half.
 */
export interface HintItem {
  /** Key caps as shown, e.g. "j/↓" or "Esc". */
  readonly keys: string;
  readonly label: string;
  /** Why the binding does nothing right now; null/undefined when it is enabled. */
  readonly disabledReason?: string | null;
}

export interface FooterHintsProps {
  readonly hints: readonly HintItem[];
  readonly width: number;
}

const GAP = '  ';

function hintText(h: HintItem): string {
  return `${h.keys} ${h.label}${h.disabledReason ? ` (${h.disabledReason})` : ''}`;
}

/** The hints that fit in `width`, in order. */
export function fitHints(hints: readonly HintItem[], width: number): HintItem[] {
  const out: HintItem[] = [];
  let used = 0;
  for (const h of hints) {
    const w = displayWidth(hintText(h)) + (out.length > 0 ? GAP.length : 0);
    if (used + w > width) break;
    out.push(h);
    used += w;
  }
  return out;
}

export function FooterHints(props: FooterHintsProps): ReactNode {
  const { colors, glyphs } = useTheme();
  const hints = props.hints.map((h) => ({
    keys: forGlyphs(h.keys, glyphs),
    label: forGlyphs(h.label, glyphs),
    disabledReason: h.disabledReason ? forGlyphs(h.disabledReason, glyphs) : null,
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
          <Text bold color={h.disabledReason ? colors.muted : colors.accent}>
            {h.keys}
          </Text>
          <Text color={colors.muted}> {h.label}</Text>
          {h.disabledReason ? <Text color={colors.muted}> ({h.disabledReason})</Text> : null}
        </Text>
      ))}
    </Box>
  );
}
