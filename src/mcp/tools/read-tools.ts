/**
 * The read tools: health, stuck books, one pipeline, lists, the queue, the audit trail and its
 * verification. Each answers with the document the matching CLI `--json` prints (the same
 * builders), plus `next_cursor` where a list pages.
 */
import { z } from 'zod';
import { InputError } from '../../domain/errors.js';
import { parseActor } from '../../domain/actor.js';
import { pipelineToJson } from '../../db/pipeline-row.js';
import { AUDIT_ACTIONS, auditToJson, parseSince, type AuditQuery } from '../../db/audit-entry.js';
import { runCommandJson } from '../command-bridge.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { fitRows } from '../bounded.js';
import { cursor, limit, loose, pipelineId, state } from '../schemas.js';
import { READ, type ToolSpec } from '../tool-spec.js';

const pipelineDoc = loose({ id: z.string(), state: z.string(), source_path: z.string() });

/** A page of `rows` (already read with one extra to know whether more follow), fitted to the size cap. */
function page<R>(
  rows: R[],
  pageSize: number,
  build: (shown: R[]) => Record<string, unknown>,
  cursorOf: (last: R, shown: number) => string,
): Record<string, unknown> {
  const more = rows.length > pageSize;
  const visible = rows.slice(0, pageSize);
  // Fitted with room for the cursor (FIT_BUDGET): if the page only fitted without it, the
  // server's last guard would drop rows the cursor has already stepped past.
  const { doc, shown } = fitRows(visible.length, (n) => build(visible.slice(0, n)));
  const cut = shown < visible.length;
  return { ...doc, next_cursor: (more || cut) && shown > 0 ? cursorOf(visible[shown - 1]!, shown) : null };
}

const health: ToolSpec = {
  name: 'get_pipeline_health',
  title: 'Pipeline health',
  description: 'The health report `health --json` prints: status, counts by state, queue, throughput, stuck books, workers and alerts.',
  input: {},
  output: loose({ status: z.enum(['healthy', 'degraded', 'unhealthy']), generated_at: z.number(), alerts: z.array(loose({ code: z.string(), severity: z.string(), message: z.string() })) }),
  annotations: READ,
  run: async (_args, { services }) => (await services.ops.health.report()) as unknown as Record<string, unknown>,
};

/** The stuck list is counted up to 10,000 books (STUCK_COUNT_CAP): no page starts beyond it. */
const STUCK_LIST_END = 10_000;

const stuck: ToolSpec = {
  name: 'get_stuck_pipelines',
  title: 'Stuck pipelines',
  description: 'Books stuck in a working state (lease expired, or in the state far longer than expected), longest first: the rows `stuck --json` prints, with the total count, a page at a time. Recover one with recover_stuck_pipeline.',
  input: { limit: limit(20), cursor },
  output: loose({ count: z.number(), count_capped: z.boolean(), stuck: z.array(loose({ id: z.string(), state: z.string() })), next_cursor: z.string().nullable() }),
  annotations: READ,
  async run(args: { limit: number; cursor?: string }, { services, actor }) {
    // Stuck books are ordered by how long they have been stuck, which moves as time passes, so
    // the cursor is a position in that order (the list is capped at 10,000 books, so reading up
    // to the page is bounded). A book recovered meanwhile shifts later pages by one.
    const offset = args.cursor ? (decodeCursor('get_stuck_pipelines', args.cursor, ['number'])[0] as number) : 0;
    if (!Number.isInteger(offset) || offset < 0 || offset > STUCK_LIST_END) throw new InputError('cursor is not one this server gave for get_stuck_pipelines');
    const doc = await runCommandJson('stuck', services, actor(), { flags: { limit: offset + args.limit + 1 } });
    const rows = (doc.stuck as unknown[]).slice(offset);
    return page(rows, args.limit, (shown) => ({ ...doc, stuck: shown }), (_last, shown) => encodeCursor('get_stuck_pipelines', [offset + shown]));
  },
};

/** The newest audit entries of one book shown with get_pipeline. */
const PIPELINE_AUDIT_ROWS = 20;

const getPipeline: ToolSpec = {
  name: 'get_pipeline',
  title: 'One pipeline',
  description: 'One pipeline (id or unique prefix) as `status --json` prints it, with its state history and its newest audit entries.',
  input: { pipeline_id: pipelineId },
  output: loose({ id: z.string(), state: z.string(), history: z.array(z.unknown()), audit: z.array(z.unknown()) }),
  annotations: READ,
  async run(args: { pipeline_id: string }, { services, actor }) {
    const doc = await runCommandJson('status', services, actor(), { input: [args.pipeline_id] });
    const audit = (await services.engine.audit.query({ pipelineId: String(doc.id), limit: PIPELINE_AUDIT_ROWS })).map(auditToJson);
    const history = doc.history as unknown[];
    // The newest history rows matter most: a very long history is cut from its start.
    const { doc: fitted, shown } = fitRows(history.length, (n) => ({ ...doc, history: history.slice(history.length - n), audit }));
    return shown < history.length ? { ...fitted, history_truncated: true } : fitted;
  },
};

const listPipelines: ToolSpec = {
  name: 'list_pipelines',
  title: 'List pipelines',
  description: 'Pipelines newest first (with state: newest in that state first), as `list --json` prints them, a page at a time.',
  input: { state: state.optional(), limit: limit(50), cursor },
  output: loose({ state: z.string().nullable(), total: z.number(), count: z.number(), pipelines: z.array(pipelineDoc), next_cursor: z.string().nullable() }),
  annotations: READ,
  async run(args: { state?: string; limit: number; cursor?: string }, { services }) {
    const engine = services.engine;
    let after: { at: number; id: string } | undefined;
    if (args.cursor) {
      // The keyset follows the order: entry into the state when filtered, creation otherwise.
      const [at, id] = decodeCursor(`list_pipelines:${args.state ?? '*'}`, args.cursor, ['number', 'string']);
      after = { at: at as number, id: id as string };
    }
    const rows = await engine.stats.pipelinePage({ limit: args.limit + 1, ...(args.state ? { state: args.state } : {}), ...(after ? { after } : {}) });
    const counts = await engine.pipelines.countsByState();
    const total = args.state ? (counts[args.state] ?? 0) : Object.values(counts).reduce((a, b) => a + b, 0);
    return page(
      rows,
      args.limit,
      (shown) => ({ state: args.state ?? null, total, count: shown.length, pipelines: shown.map(pipelineToJson) }),
      (last) => encodeCursor(`list_pipelines:${args.state ?? '*'}`, [args.state ? last.state_entered_at : last.created_at, last.id]),
    );
  },
};

const getQueue: ToolSpec = {
  name: 'get_queue',
  title: 'Work queue',
  description: 'Queued books by priority and the next books a worker will claim, in claim order (`queue --json`), a page at a time.',
  input: { limit: limit(20), cursor },
  output: loose({ total: z.number(), by_priority: z.record(z.string(), z.number()), next: z.array(pipelineDoc), next_cursor: z.string().nullable() }),
  annotations: READ,
  async run(args: { limit: number; cursor?: string }, { services }) {
    const queue = services.engine.queue;
    let after: { priority: number; created_at: number; id: string } | undefined;
    let position = 0;
    if (args.cursor) {
      const [p, c, id, pos] = decodeCursor('get_queue', args.cursor, ['number', 'number', 'string', 'number']);
      after = { priority: p as number, created_at: c as number, id: id as string };
      position = pos as number;
    }
    const byPriority = await queue.queuedByPriority();
    const total = Object.values(byPriority).reduce((a, b) => a + b, 0);
    const rows = await queue.window({ limit: args.limit + 1, ...(after ? { after } : {}) });
    return page(
      rows,
      args.limit,
      (shown) => ({ total, by_priority: byPriority, next: shown.map((p, i) => ({ position: position + i + 1, ...pipelineToJson(p) })) }),
      (last, shown) => encodeCursor('get_queue', [last.priority, last.created_at, last.id, position + shown]),
    );
  },
};

const auditLog: ToolSpec = {
  name: 'get_audit_log',
  title: 'Audit trail',
  description: 'Audit entries newest first (`audit --json`), filtered by book, actor (a glob such as "mcp:*" works) and action, over the last last_days days.',
  input: {
    book_id: pipelineId.optional(),
    actor: z.string().min(1, 'actor is empty').max(200, 'actor is longer than 200 characters').optional().describe('an actor (human:alice) or a glob ("mcp:*")'),
    action: z.enum(AUDIT_ACTIONS, { error: (i) => `action '${String(i.input)}' is not an audit action: one of ${AUDIT_ACTIONS.join(', ')}` }).optional(),
    last_days: z
      .number({ error: 'last_days must be a whole number of days from 1 to 36500' })
      .int('last_days must be a whole number of days from 1 to 36500')
      .min(1, 'last_days must be a whole number of days from 1 to 36500')
      .max(36_500, 'last_days must be a whole number of days from 1 to 36500')
      .default(7),
    limit: limit(100),
    cursor,
  },
  output: loose({ count: z.number(), entries: z.array(loose({ id: z.number(), action: z.string(), actor: z.string() })), next_cursor: z.string().nullable() }),
  annotations: READ,
  async run(args: { book_id?: string; actor?: string; action?: string; last_days: number; limit: number; cursor?: string }, { services }) {
    const s = services;
    const q: AuditQuery = { limit: args.limit + 1, since: parseSince(`${args.last_days}d`, s.clock()) };
    if (args.actor !== undefined) {
      try {
        q.actor = args.actor.includes('*') ? args.actor : parseActor(args.actor);
      } catch (err) {
        if (err instanceof InputError) throw new InputError(`actor: ${err.message}`);
        throw err;
      }
    }
    if (args.action !== undefined) q.action = args.action;
    if (args.book_id !== undefined) q.pipelineId = await s.engine.pipelines.resolveId(args.book_id);
    if (args.cursor) q.beforeId = decodeCursor('get_audit_log', args.cursor, ['number'])[0] as number;
    const rows = await s.engine.audit.query(q);
    return page(
      rows,
      args.limit,
      (shown) => ({ count: shown.length, entries: shown.map(auditToJson) }),
      (last) => encodeCursor('get_audit_log', [last.id]),
    );
  },
};

const verifyAudit: ToolSpec = {
  name: 'verify_audit',
  title: 'Verify the audit trail',
  description: 'Checks the whole audit hash chain (`audit --verify --json`): intact, or which entries were edited or removed outside retention. Reads every entry: slow on a very large log.',
  input: {},
  output: loose({ intact: z.boolean(), checked: z.number(), problems: z.array(loose({ kind: z.string(), message: z.string() })) }),
  annotations: READ,
  async run(_args, { services }) {
    const r = (await services.engine.audit.verify()) as unknown as Record<string, unknown>;
    const problems = r.problems as unknown[];
    const { doc, shown } = fitRows(problems.length, (n) => ({ ...r, problems: problems.slice(0, n) }));
    return shown < problems.length ? { ...doc, problems_truncated: problems.length - shown } : doc;
  },
};

export const READ_TOOLS: readonly ToolSpec[] = [health, stuck, getPipeline, listPipelines, getQueue, auditLog, verifyAudit];
