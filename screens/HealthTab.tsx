/**
 * Health: the pipeline at a glance. Counts and alerts on top; below, queued books by priority
 * beside the last hour's throughput and the workers with their last heartbeat.
 */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { AlertList, type AlertItem } from '../components/AlertList.js';
import { PriorityBars } from '../components/PriorityBars.js';
import { Sparkline } from '../components/Sparkline.js';
import { formatCount, formatDuration, truncate } from '../components/text.js';
import { useTheme, type ColourToken } from '../components/theme.js';
import { useHealth } from '../store/context.js';
import type { HealthReport } from '../src/ops/types.js';
import { formatSeconds } from '../src/cli/format.js';

const STATUS_TONE: Record<HealthReport['status'], ColourToken> = { healthy: 'ok', degraded: 'warning', unhealthy: 'critical' };

export function HealthTab(props: { width: number; height: number }): ReactNode {
  const report = useHealth((s) => s.report);
  const error = useHealth((s) => s.error);
  const { colors, glyphs } = useTheme();
  if (!report) {
    return <Text color={error ? colors.critical : colors.muted}>{error ? `Could not read health: ${error}` : 'Reading health…'}</Text>;
  }
  const sep = ` ${glyphs.separator} `;
  const counts = [
    `Active ${formatCount(report.active)}`,
    `Queued ${formatCount(report.queued)}`,
    `Pending approval ${formatCount(report.pending_approval)}`,
    `Needs retry ${formatCount(report.needs_retry)}`,
    `Failed ${formatCount(report.failed)}`,
    `Stuck ${formatCount(report.stuck.length)}`,
  ].join(sep);
  const flow = [
    `Done 24h ${formatCount(report.completed_24h)}`,
    `avg ${formatSeconds(report.avg_processing_seconds)}/book`,
    `${report.throughput_per_hour.toFixed(1)}/h`,
    `queue ≈ ${report.estimated_queue_minutes === null ? '-' : formatSeconds(report.estimated_queue_minutes * 60)}`,
    `oldest queued ${formatSeconds(report.oldest_queued_seconds)}`,
  ]
    .join(sep)
    .replace('≈', glyphs.ascii ? '~' : '≈');
  const alerts: AlertItem[] = report.alerts.map((a, i) => ({ id: `${a.code}:${i}`, severity: a.severity, message: a.message }));
  const alertRows = Math.max(1, Math.min(3, props.height - 16));
  const leftW = Math.max(20, Math.floor(props.width * 0.45));
  const rightW = Math.max(10, props.width - leftW - 2);
  return (
    <Box flexDirection="column" width={props.width} height={props.height}>
      <Text wrap="truncate-end">
        <Text bold>Status </Text>
        <Text bold color={colors[STATUS_TONE[report.status]]}>
          {report.status.toUpperCase()}
        </Text>
      </Text>
      <Text wrap="truncate-end">{truncate(counts, props.width, glyphs.ellipsis)}</Text>
      <Text wrap="truncate-end" color={colors.muted}>
        {truncate(flow, props.width, glyphs.ellipsis)}
      </Text>
      <Box height={alertRows} flexDirection="column">
        <AlertList alerts={alerts} width={props.width} maxRows={alertRows} emptyText="No alerts" />
      </Box>
      <Box>
        <Box flexDirection="column" width={leftW}>
          <Text bold>Queued by priority (1 first)</Text>
          <PriorityBars counts={report.queue_by_priority} width={leftW} />
        </Box>
        <Box width={2} />
        <Box flexDirection="column" width={rightW}>
          <Throughput values={report.throughput_last_hour} width={rightW} />
          <Workers width={rightW} height={Math.max(1, props.height - 4 - alertRows - 4)} />
        </Box>
      </Box>
    </Box>
  );
}

function Throughput(props: { values: readonly number[]; width: number }): ReactNode {
  const { colors } = useTheme();
  const total = props.values.reduce((a, b) => a + b, 0);
  const peak = Math.max(0, ...props.values);
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        Finished last hour: {formatCount(total)}
        <Text color={colors.muted}> (peak {formatCount(peak)}/min)</Text>
      </Text>
      <Sparkline values={props.values} width={props.width} />
      <Text> </Text>
    </Box>
  );
}

function Workers(props: { width: number; height: number }): ReactNode {
  const workers = useHealth(useShallow((s) => s.report?.workers ?? []));
  const { colors, glyphs } = useTheme();
  const live = workers.filter((w) => !w.stopped);
  const shown = live.slice(0, Math.max(0, props.height - 1));
  return (
    <Box flexDirection="column">
      <Text bold>
        Workers {formatCount(live.length)}
        {workers.length > live.length ? <Text color={colors.muted}> (+{workers.length - live.length} stopped)</Text> : null}
      </Text>
      {live.length === 0 && <Text color={colors.warning}>No worker running</Text>}
      {shown.map((w) => {
        const stale = w.heartbeat_age_seconds > 60;
        return (
          <Text key={w.id} wrap="truncate-end">
            {truncate(w.id, 14, glyphs.ellipsis).padEnd(15)}
            <Text color={stale ? colors.warning : colors.muted}>
              heartbeat {formatDuration(w.heartbeat_age_seconds * 1000)} ago
            </Text>
            {` ${w.active_books} book${w.active_books === 1 ? '' : 's'}`}
          </Text>
        );
      })}
    </Box>
  );
}
