import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { displayWidth, forGlyphs, singleLine, truncate, wrapText } from './text.js';
import { useTheme, type ColourToken } from './theme.js';

/**
 * Aligned "label: value" lines, e.g. a book's details or the health summary:
 *
 *   State:     failed
 *   Attempts:  3
 */
export interface KeyValueItem {
  readonly label: string;
  readonly value: string;
  readonly tone?: ColourToken;
  /** A section heading (`value` is its text; `label` is ignored). */
  readonly heading?: boolean;
}

export interface KeyValueListProps {
  readonly items: readonly KeyValueItem[];
  /** Values are cut with an ellipsis to keep each line within this width. */
  readonly width?: number;
}

export function KeyValueList(props: KeyValueListProps): ReactNode {
  const { colors, glyphs } = useTheme();
  // Values can be stored text (worker ids, reasons): one line, control characters shown escaped.
  const items = props.items.map((i) => ({ ...i, label: forGlyphs(i.label, glyphs), value: forGlyphs(singleLine(i.value), glyphs) }));
  const labelW = Math.max(0, ...items.map((i) => displayWidth(i.label))) + 1; // + ':'
  return (
    <Box flexDirection="column">
      {items.map((item, i) => {
        const label = item.label + ':';
        const pad = ' '.repeat(Math.max(0, labelW - displayWidth(label)) + 1);
        const valueW = props.width === undefined ? Number.POSITIVE_INFINITY : props.width - labelW - 1;
        const value = Number.isFinite(valueW) ? truncate(item.value, valueW, glyphs.ellipsis) : item.value;
        return (
          <Text key={`${i}:${item.label}`} wrap="truncate-end">
            <Text color={colors.muted}>
              {label}
              {pad}
            </Text>
            <Text color={item.tone ? colors[item.tone] : colors.text}>{value}</Text>
          </Text>
        );
      })}
    </Box>
  );
}

/** One drawn line of a wrapped key/value list. */
export interface KeyValueLine {
  readonly label: string;
  readonly text: string;
  readonly tone?: ColourToken;
  readonly heading?: boolean;
}

/**
 * `items` as lines of at most `width` columns: long values wrap onto continuation lines under
 * their value column instead of being cut, so nothing stored is hidden (a details pane scrolls).
 */
export function keyValueLines(items: readonly KeyValueItem[], width: number): KeyValueLine[] {
  const labelW = Math.max(0, ...items.filter((i) => !i.heading).map((i) => displayWidth(i.label))) + 2; // ': '
  const valueW = Math.max(8, width - labelW);
  const out: KeyValueLine[] = [];
  for (const item of items) {
    if (item.heading) {
      for (const t of wrapText(item.value, width)) out.push({ label: '', text: t, heading: true });
      continue;
    }
    wrapText(item.value, valueW).forEach((t, i) => {
      const label = i === 0 ? `${item.label}:` : '';
      out.push({ label: label + ' '.repeat(Math.max(0, labelW - displayWidth(label))), text: t, ...(item.tone ? { tone: item.tone } : {}) });
    });
  }
  return out;
}
