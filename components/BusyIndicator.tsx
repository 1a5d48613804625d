import { Text } from 'ink';
import type { ReactNode } from 'react';
import { displayWidth, truncate } from './text.js';
import { useTheme } from './theme.js';

/**
 * Shows that something is in progress ("⋯ refreshing") without animating. A spinner redraws
 * several times a second, which over SSH (and tmux without synchronized output) costs bytes and
 * flicker for no information. This component has no timer at all: it renders only when its
 * props change, so an idle console writes nothing. It keeps `width` columns either way, so the
 * line around it does not shift when it appears.
 */
export interface BusyIndicatorProps {
  readonly busy: boolean;
  /** What is happening, e.g. "refreshing" or "applying". */
  readonly label?: string;
  /** Columns reserved whether busy or not (default: the busy text's width). */
  readonly width?: number;
}

export function BusyIndicator(props: BusyIndicatorProps): ReactNode {
  const { colors, glyphs } = useTheme();
  const text = `${glyphs.busy} ${props.label ?? 'working'}`;
  const width = props.width ?? displayWidth(text);
  const shown = props.busy ? truncate(text, width, '') : '';
  return <Text color={colors.info}>{shown + ' '.repeat(Math.max(0, width - displayWidth(shown)))}</Text>;
}
