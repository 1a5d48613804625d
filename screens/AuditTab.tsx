/** Audit: who did what, newest first; follow mode keeps the newest on screen. */
import type { ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { TableColumn } from '../components/WindowedTable.js';
import { useTheme, type Glyphs } from '../components/theme.js';
import { useAudit } from './store-context.js';
import type { AuditRow } from '../src/db/audit.js';
import { formatTime, shortId } from '../src/cli/format.js';
import { describeAuditFilter } from '../store/sources.js';
import { auditSummary } from './describe.js';
import { ListWindowTable, useListWindow } from './ListWindowTable.js';
import { plural } from '../src/text/format.js';

/**
 * The `#` column is as wide as the largest id on screen (an id is never cut: "3000007", not
 * "30000…"); at 80 columns WHAT, the only flexible column, gives up the room.
 */
function columns(glyphs: Glyphs, idWidth: number): readonly TableColumn<AuditRow>[] {
  return [
    { id: 'id', header: '#', cell: (r) => String(r.id), width: idWidth, align: 'right' },
    { id: 'at', header: 'AT', cell: (r) => formatTime(r.at).slice(5), width: 14 },
    { id: 'action', header: 'ACTION', cell: (r) => r.action, width: 16, tone: (r) => (r.action.includes('REJECT') ? 'critical' : r.action.includes('APPROV') ? 'ok' : undefined) },
    { id: 'actor', header: 'ACTOR', cell: (r) => r.actor, width: 14 },
    { id: 'book', header: 'BOOK', cell: (r) => (r.pipeline_id ? shortId(r.pipeline_id) : r.count !== null ? plural(r.count, 'book') : '-'), width: 9 },
    { id: 'what', header: 'WHAT', cell: (r) => auditSummary(r, glyphs.arrowRight), flex: 1, minWidth: 8 },
  ];
}

export function AuditTab(props: { width: number; height: number }): ReactNode {
  const list = useListWindow(useAudit);
  const [follow, filter] = useAudit(useShallow((s) => [s.follow, s.filter]));
  const { glyphs } = useTheme();
  const f = describeAuditFilter(filter);
  return (
    <ListWindowTable
      window={list}
      columns={(shown) => columns(glyphs, Math.max(4, ...shown.map((r) => String(r.id).length)))}
      what="the audit log"
      width={props.width}
      height={props.height}
      emptyText={f ? `No entry matches ${f}` : 'The audit log is empty'}
      caption={[follow ? 'FOLLOWING' : 'newest first', f ? `filter: ${f}` : ''].filter(Boolean).join('  ')}
    />
  );
}
