/**
 * `audit [--last N] [--actor A] [--action X] [--book-id ID] [--since 7d]`: the audit trail,
 * newest first. Every filter walks an index that ends in id (a book's entries, its trail), so the
 * first page is cheap at any size. `audit --verify` walks the whole hash chain instead and exits 3
 * when a row was edited or removed other than through retention.
 */
import type { Command } from '../command.js';
import { positionals, stringFlag, wholeNumberFlag } from '../util.js';
import { AUDIT_ACTIONS, auditToJson, parseSince, type AuditQuery, type AuditRow } from '../../store/audit.js';
import { parseActor } from '../../domain/actor.js';
import { InputError } from '../../domain/errors.js';
import { formatCount, formatShortTime, shortId, table } from '../format.js';

const USAGE = 'audit [--last N] [--actor A] [--action X] [--book-id ID] [--since 7d] [--verify]';

/** Exit code of `audit --verify` when the chain shows tampering (as `health --fail-on` uses 3). */
export const VERIFY_FAILED_EXIT = 3;

const unquote = (v: string | null): string => {
  if (v === null) return '';
  try {
    const x: unknown = JSON.parse(v);
    return typeof x === 'string' ? x : JSON.stringify(x);
  } catch {
    return v;
  }
};

/** What the entry changed, in a few words. */
function detail(r: AuditRow): string {
  const parts: string[] = [];
  if (r.reason) parts.push(`"${r.reason}"`);
  if (r.before_value !== null || r.after_value !== null) {
    parts.push(r.before_value === null ? `→${unquote(r.after_value)}` : `${unquote(r.before_value)}→${unquote(r.after_value) || '-'}`);
  }
  if (r.count !== null) parts.push(`${formatCount(r.count)} books`);
  if (r.batch_id !== null) parts.push(`batch #${r.batch_id}`);
  return parts.join(' ');
}

const command: Command = {
  usage: USAGE,
  summary: 'Show the audit trail, newest first (--actor takes a glob like "human:*"). --verify checks the hash chain instead.',
  flags: {
    last: { type: 'number', description: 'how many entries (1..100000, default 20)' },
    actor: { type: 'string', description: 'only this actor (human:alice) or actor glob ("auto:*")' },
    action: { type: 'string', description: 'only this action, e.g. APPROVED, REJECTED, BATCH_QUEUED' },
    bookId: { type: 'string', description: 'only entries about this pipeline (id or unique prefix)' },
    since: { type: 'string', description: 'only entries since 30m, 12h, 7d, 2w or an ISO date' },
    verify: { type: 'boolean', description: 'check the whole hash chain (exit 3 if a row was edited or removed outside retention)' },
  },
  run(ctx) {
    positionals(ctx, USAGE, []);
    if (ctx.args.flags.verify) return verify(ctx);
    const last = wholeNumberFlag(ctx, 'last', { min: 1, max: 100_000, fallback: 20 });
    // Flags named by the user are checked before the database opens.
    const q: AuditQuery = { limit: last };
    const actor = stringFlag(ctx, 'actor');
    if (actor !== undefined) q.actor = actor.includes('*') ? actor : parseActor(actor);
    const action = stringFlag(ctx, 'action');
    if (action !== undefined) {
      if (!/^[A-Za-z_]+$/.test(action)) throw new InputError(`invalid --action '${action}': expected a name like APPROVED or BATCH_QUEUED`);
      q.action = action.toUpperCase();
      // A misspelt action (APPROVE for APPROVED) would otherwise answer "No audit entries match."
      // and look like an empty trail.
      if (!(AUDIT_ACTIONS as readonly string[]).includes(q.action)) {
        throw new InputError(`unknown action '${action}' for --action: expected one of ${AUDIT_ACTIONS.join(', ')}`);
      }
    }
    const sinceText = stringFlag(ctx, 'since');
    const s = ctx.services({ readonly: true });
    if (sinceText !== undefined) q.since = parseSince(sinceText, s.clock());
    const bookId = stringFlag(ctx, 'bookId');
    if (bookId !== undefined) q.pipelineId = s.pipelines.resolveId(bookId);
    const rows = s.audit.query(q);

    ctx.out.json({ count: rows.length, entries: rows.map(auditToJson) });

    if (rows.length === 0) {
      ctx.out.line('No audit entries match.');
      return 0;
    }
    ctx.out.line(
      table(rows, [
        { header: 'ID', value: (r) => String(r.id), align: 'right' },
        { header: 'AT', value: (r) => formatShortTime(r.at) },
        { header: 'ACTION', value: (r) => r.action, max: 18 },
        { header: 'ACTOR', value: (r) => r.actor, max: 16 },
        { header: 'BOOK', value: (r) => (r.pipeline_id ? shortId(r.pipeline_id) : '-') },
        { header: 'DETAIL', value: detail, flex: true, keep: 'start' },
      ]),
    );
    ctx.out.line(`${formatCount(rows.length)} entr${rows.length === 1 ? 'y' : 'ies'}, newest first${rows.length === last ? ' (use --last for more)' : ''}`);
    return 0;
  },
};

function verify(ctx: Parameters<Command['run']>[0]): number {
  for (const f of ['last', 'actor', 'action', 'bookId', 'since'] as const) {
    if (ctx.args.flags[f] !== undefined) {
      throw new InputError(`--verify checks the whole audit trail; it takes no --${f === 'bookId' ? 'book-id' : f}`);
    }
  }
  const s = ctx.services({ readonly: true });
  const r = s.audit.verify();
  const intact = r.modified.length === 0 && r.gaps.length === 0 && r.tail_removed === null;
  ctx.out.json({ intact, ...r });
  const ids = (xs: number[]) => xs.slice(0, 10).join(', ') + (xs.length > 10 ? ` … (${formatCount(xs.length)} in all)` : '');
  ctx.out.line(`Audit chain: ${formatCount(r.checked)} entr${r.checked === 1 ? 'y' : 'ies'} checked`);
  if (intact) ctx.out.line('  intact: every entry matches its hash and links to the one before');
  if (r.retention_gaps > 0) {
    ctx.out.line(`  ${formatCount(r.retention_gaps)} gap${r.retention_gaps === 1 ? '' : 's'} left by retention, bridged by the ${formatCount(r.bridged_rows)} entries it deleted`);
  }
  if (r.unverifiable_gaps.length > 0) {
    ctx.out.line(`  ${formatCount(r.unverifiable_gaps.length)} gap${r.unverifiable_gaps.length === 1 ? '' : 's'} from before deletions were recorded (cannot be checked), before entries ${ids(r.unverifiable_gaps)}`);
  }
  if (r.modified.length > 0) ctx.out.line(`  EDITED: ${formatCount(r.modified.length)} entr${r.modified.length === 1 ? 'y no longer matches its' : 'ies no longer match their'} hash: ${ids(r.modified)}`);
  if (r.gaps.length > 0) ctx.out.line(`  REMOVED: entries are missing outside retention, before entries ${ids(r.gaps)}`);
  if (r.tail_removed) {
    const { from, to } = r.tail_removed;
    ctx.out.line(`  REMOVED: ${from === to ? `the newest entry (${to}) is` : `the newest entries (${from}–${to}) are`} missing outside retention`);
  }
  return intact ? 0 : VERIFY_FAILED_EXIT;
}

export default command;
