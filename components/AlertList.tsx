import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { forGlyphs, singleLine, truncate } from './text.js';
import { useTheme } from './theme.js';

/**
 * Health alerts, most severe first: "[CRIT] worker heartbeat 4m old". The severity word is
 * always written out, so alerts read the same without colour. When there are more than
 * `maxRows`, the last line says how many were left off.
 */
export type AlertSeverity = 'critical' | 'warning' | 'info';

export interface AlertItem {
  readonly id: string;
  readonly severity: AlertSeverity;
  readonly message: string;
}

export interface AlertListProps {
  readonly alerts: readonly AlertItem[];
  readonly width: number;
  /** Lines available; default: all alerts. */
  readonly maxRows?: number;
  readonly emptyText?: string;
}

const LABEL: Record<AlertSeverity, string> = { critical: '[CRIT]', warning: '[WARN]', info: '[INFO]' };
const RANK: Record<AlertSeverity, number> = { critical: 0, warning: 1, info: 2 };

export function AlertList(props: AlertListProps): ReactNode {
  const { colors, glyphs } = useTheme();
  if (props.alerts.length === 0) {
    return <Text color={colors.ok}>{truncate(forGlyphs(props.emptyText ?? 'No alerts', glyphs), props.width, glyphs.ellipsis)}</Text>;
  }
  // Array.prototype.sort is stable: alerts of one severity keep the caller's order.
  const sorted = [...props.alerts].sort((a, b) => RANK[a.severity] - RANK[b.severity]);
  const maxRows = Math.max(1, props.maxRows ?? sorted.length);
  const overflow = sorted.length > maxRows;
  const shown = overflow ? sorted.slice(0, maxRows - 1) : sorted;
  return (
    <Box flexDirection="column">
      {shown.map((a) => (
        <Text key={a.id} wrap="truncate-end">
          <Text bold color={colors[a.severity]}>
            {LABEL[a.severity]}
          </Text>
          {' ' + truncate(forGlyphs(singleLine(a.message), glyphs), props.width - LABEL[a.severity].length - 1, glyphs.ellipsis)}
        </Text>
      ))}
      {overflow && <Text color={colors.muted}>+{sorted.length - shown.length} more</Text>}
    </Box>
  );
}
