/**
 * The health report as text: `health` prints every row in reading order; `health --watch` puts
 * the status and the alerts first and drops detail rows (worker lines, then the sparkline and
 * the like) until the frame fits the terminal, so an 80x24 screen never scrolls and the line a
 * person looks for is never the one cut.
 */
import { escapeControl } from '../text/escape.js';
import type { FullHealthReport } from '../ops/health.js';
import type { WorkerLiveness } from '../ops/types.js';
import { formatCount, formatSeconds, shortId } from './format.js';
import { displayWidth, fitWidth } from './width.js';

const RULE = '-----------------------------------';

/** One line of the report; `detail` 0 is never dropped, higher numbers are dropped first. */
interface Row {
  text: string;
  detail: number;
}

function perBook(seconds: number | null): string {
  if (seconds === null) return '- (no completed runs in 24h)';
  return seconds < 60 ? `${seconds.toFixed(0)} s/book` : `${(seconds / 60).toFixed(1)} min/book`;
}

function queueWait(r: FullHealthReport): string {
  if (r.queued === 0) return 'none (queue empty)';
  if (r.worker_counts.running === 0) return 'no worker running (the queue is not moving)';
  const m = r.estimated_queue_minutes;
  if (m === null) return 'unknown (no completions in 24h)';
  if (m < 90) return `~${Math.max(1, Math.round(m))} min`;
  if (m < 48 * 60) return `~${(m / 60).toFixed(1)} hours`;
  return `~${(m / 1440).toFixed(1)} days`;
}

const SPARK = '▁▂▃▄▅▆▇█';
function sparkline(values: readonly number[]): string {
  const max = Math.max(...values);
  if (max === 0) return SPARK[0]!.repeat(values.length);
  return values.map((v) => SPARK[Math.min(7, Math.floor((v / max) * 7.999))]!).join('');
}

const books = (n: number) => `${n} book${n === 1 ? '' : 's'}`;

function workerLine(w: WorkerLiveness): string {
  const id = escapeControl(w.id).padEnd(20).slice(0, 20);
  const beat = `heartbeat ${formatSeconds(w.heartbeat_age_seconds)} ago`;
  if (w.status === 'lost') return `    ${id} LOST (${beat}, lease ${formatSeconds(w.lease_seconds)}), ${books(w.active_books)} stuck`;
  if (w.status === 'stopped') return `    ${id} stopped ${formatSeconds(w.heartbeat_age_seconds)} ago`;
  return `    ${id} running, ${beat}, ${books(w.active_books)}`;
}

function workersSummary(r: FullHealthReport): string {
  const c = r.worker_counts;
  if (c.running + c.lost + c.stopped === 0) return 'none seen in 24h';
  const parts = [`${c.running} running`];
  if (c.lost > 0) parts.push(`${c.lost} LOST`);
  if (c.stopped > 0) parts.push(`${c.stopped} stopped (24h)`);
  return parts.join(', ');
}

const row = (label: string, value: string, detail: number): Row => ({ text: `  ${(label + ':').padEnd(11)} ${value}`, detail });

/** The counts, the flow figures and the workers (everything but status and alerts). */
function bodyRows(r: FullHealthReport): Row[] {
  const rows: Row[] = [];
  rows.push(row('Active', `${formatCount(r.active)} (processing now)`, 1));
  if (r.stuck_count === 0) rows.push(row('Stuck', '0', 1));
  else {
    const b = r.stuck[0]!;
    const total = `${formatCount(r.stuck_count)}${r.stuck_count_capped ? '+' : ''}`;
    const more = r.stuck_count > 1 ? `; +${formatCount(r.stuck_count - 1)}${r.stuck_count_capped ? '+' : ''} more` : '';
    rows.push(row('Stuck', `${total} (${shortId(b.id)}, ${b.state}, ${formatSeconds(b.stuck_seconds)}${more})`, 1));
  }
  rows.push(row('Queued', `${formatCount(r.queued)} (waiting)`, 1));
  rows.push(row('Completed', `${formatCount(r.completed_24h)} (last 24h)`, 2));
  rows.push(row('Failed', `${formatCount(r.needs_retry)} (needs_retry)${r.failed > 0 ? ` + ${formatCount(r.failed)} (failed)` : ''}`, 1));
  if (r.pending_approval > 0) rows.push(row('Approval', `${formatCount(r.pending_approval)} (pending_approval)`, 2));
  rows.push({ text: RULE, detail: 6 });
  rows.push(row('Avg time', perBook(r.avg_processing_seconds), 2));
  rows.push(row('Queue wait', queueWait(r), 1));
  rows.push(row('Throughput', `${r.throughput_per_hour}/hour (24h)`, 2));
  rows.push(row('Last hour', sparkline(r.throughput_last_hour), 3));
  if (r.oldest_queued_seconds !== null) rows.push(row('Oldest', `${formatSeconds(r.oldest_queued_seconds)} waiting`, 3));
  const prio = Object.entries(r.queue_by_priority).filter(([, n]) => n > 0);
  if (prio.length) rows.push(row('By prio', prio.map(([p, n]) => `P${p}:${formatCount(n)}`).join('  '), 3));
  rows.push(row('Workers', workersSummary(r), 1));
  // Lost workers come first (the report orders them so) and are the last worker lines cut.
  r.workers.slice(0, 8).forEach((w) => rows.push({ text: workerLine(w), detail: w.status === 'lost' ? 4 : 5 }));
  return rows;
}

const alertLine = (a: FullHealthReport['alerts'][number]) => `  [${a.severity}] ${escapeControl(a.message)}`;

/** The one-shot report: every row, in reading order (status and alerts at the end). */
export function renderHealth(r: FullHealthReport): string {
  const lines = ['Pipeline Health', RULE, ...bodyRows(r).map((x) => x.text)];
  lines.push(`  ${'Status:'.padEnd(11)} ${r.status}`, '', 'Alerts:');
  if (r.alerts.length === 0) lines.push('  none');
  for (const a of r.alerts) lines.push(alertLine(a));
  return lines.join('\n');
}

/**
 * One `--watch` frame of at most `rows` lines, each at most `columns` wide: the title with the
 * status, the alerts, then the body with detail rows dropped (highest `detail` first, bottom
 * first) until it fits; `footer` is the last line. When even the alerts do not fit, the last
 * ones shown become "+N more alerts".
 */
export function fitHealth(r: FullHealthReport, columns: number, rows: number, footer: string): string[] {
  const head = [`Pipeline Health · Status: ${r.status.toUpperCase()}`];
  const alerts = r.alerts.length === 0 ? ['Alerts: none'] : ['Alerts:', ...r.alerts.map(alertLine)];
  const body: Row[] = [{ text: RULE, detail: 6 }, ...bodyRows(r)];
  const room = Math.max(1, rows - head.length - 1); // the footer takes the last line
  let shownAlerts = alerts;
  if (alerts.length > room) {
    const keep = Math.max(1, room - 1);
    shownAlerts = [...alerts.slice(0, keep), `  … +${alerts.length - keep} more alerts (health --json lists all)`];
  }
  const kept = [...body];
  while (kept.length > 0 && head.length + shownAlerts.length + kept.length + 1 > rows) {
    let drop = kept.length - 1;
    for (let i = kept.length - 1; i >= 0; i--) if (kept[i]!.detail > kept[drop]!.detail) drop = i;
    kept.splice(drop, 1);
  }
  const lines = [...head, ...shownAlerts, ...kept.map((x) => x.text), footer].slice(0, Math.max(1, rows));
  return lines.map((l) => (displayWidth(l) > columns ? fitWidth(l, Math.max(1, columns - 1)) + '…' : l));
}
