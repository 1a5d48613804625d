/**
 * Health: the pipeline at a glance. Status and alerts on top (kept on the smallest screen), then
 * the counts; below, queued books by priority beside the last hour's throughput and the workers
 * (lost ones first) with their last heartbeat.
 */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { AlertList, type AlertItem } from '../components/AlertList.js';
import { PriorityBars } from '../components/PriorityBars.js';
import { Sparkline } from '../components/Sparkline.js';
import { formatDuration, truncate } from '../components/text.js';
import { formatCount } from '../src/text/format.js';
import { useTheme, type ColourToken } from '../components/theme.js';
import { useHealth } from '../store/context.js';
import type { HealthReport } from '../src/ops/types.js';
import { formatSeconds } from '../src/cli/format.js';
import { escapeControl } from '../src/text/escape.js';

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
    `Stuck ${formatCount(report.stuck_count)}${report.stuck_count_capped ? '+' : ''}`,
  ].join(sep);
  const noWorker = report.queued > 0 && report.worker_counts.running === 0;
  const queueEta = noWorker ? 'no worker' : report.estimated_queue_minutes === null ? '-' : formatSeconds(report.estimated_queue_minutes * 60);
  const flow = [
    `Done 24h ${formatCount(report.completed_24h)}`,
    `avg ${formatSeconds(report.avg_processing_seconds)}/book`,
    `${report.throughput_per_hour.toFixed(1)}/h`,
    `queue ≈ ${queueEta}`,
    `oldest queued ${formatSeconds(report.oldest_queued_seconds)}`,
  ]
    .join(sep)
    .replace('≈', glyphs.ascii ? '~' : '≈');
  const alerts: AlertItem[] = report.alerts.map((a, i) => ({ id: `${a.code}:${i}`, severity: a.severity, message: escapeControl(a.message) }));
  // Status and alerts come first and keep their rows on a short screen: the counts, the flow
  // line and the panes below take what is left (the panes first give up their rows).
  const alertRows = Math.max(1, Math.min(Math.max(3, alerts.length), 5, props.height - 1));
  const rest = props.height - 1 - alertRows;
  const leftW = Math.max(20, Math.floor(props.width * 0.45));
  const rightW = Math.max(10, props.width - leftW - 2);
  const paneRows = rest - 2;
  return (
    <Box flexDirection="column" width={props.width} height={props.height}>
      <Text wrap="truncate-end">
        <Text bold>Status </Text>
        <Text bold color={colors[STATUS_TONE[report.status]]}>
          {report.status.toUpperCase()}
        </Text>
      </Text>
      <Box height={alertRows} flexDirection="column">
        <AlertList alerts={alerts} width={props.width} maxRows={alertRows} emptyText="No alerts" />
      </Box>
      {rest >= 1 && <Text wrap="truncate-end">{truncate(counts, props.width, glyphs.ellipsis)}</Text>}
      {rest >= 2 && (
        <Text wrap="truncate-end" color={noWorker ? colors.warning : colors.muted}>
          {truncate(flow, props.width, glyphs.ellipsis)}
        </Text>
      )}
      {paneRows >= 2 && (
        <Box height={paneRows}>
          <Box flexDirection="column" width={leftW}>
            <Text bold>Queued by priority (1 first)</Text>
            <PriorityBars counts={report.queue_by_priority} width={leftW} />
          </Box>
          <Box width={2} />
          <Box flexDirection="column" width={rightW}>
            {paneRows >= 8 && <Throughput values={report.throughput_last_hour} width={rightW} />}
            <Workers width={rightW} height={paneRows >= 8 ? paneRows - 3 : paneRows} />
          </Box>
        </Box>
      )}
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

/** Lost workers first (their books are stuck), then running ones; stopped ones only counted. */
function Workers(props: { width: number; height: number }): ReactNode {
  const workers = useHealth(useShallow((s) => s.report?.workers ?? []));
  const counts = useHealth(useShallow((s) => s.report?.worker_counts ?? { running: 0, lost: 0, stopped: 0 }));
  const { colors, glyphs } = useTheme();
  const listed = [...workers.filter((w) => w.status === 'lost'), ...workers.filter((w) => w.status === 'running')];
  const shown = listed.slice(0, Math.max(0, props.height - 2));
  const books = (n: number) => `${n} book${n === 1 ? '' : 's'}`;
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        Workers {formatCount(counts.running)} running
        {counts.lost > 0 ? <Text color={colors.critical}>{`, ${formatCount(counts.lost)} lost`}</Text> : null}
        {counts.stopped > 0 ? <Text color={colors.muted}>{`, ${formatCount(counts.stopped)} stopped`}</Text> : null}
      </Text>
      {counts.running === 0 && <Text color={colors.warning}>No worker running</Text>}
      {shown.map((w) => (
        <Text key={w.id} wrap="truncate-end">
          {truncate(escapeControl(w.id), 14, glyphs.ellipsis).padEnd(15)}
          {w.status === 'lost' ? (
            <Text color={colors.critical}>
              LOST {formatDuration(w.heartbeat_age_seconds * 1000)}{`, ${books(w.active_books)} stuck`}
            </Text>
          ) : (
            <>
              <Text color={colors.muted}>heartbeat {formatDuration(w.heartbeat_age_seconds * 1000)} ago</Text>
              {`, ${books(w.active_books)}`}
            </>
          )}
        </Text>
      ))}
    </Box>
  );
}
