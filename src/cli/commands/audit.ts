/**
 * `audit [--last N] [--actor A] [--action X] [--book-id ID] [--since 7d | --last-days N]`: the
 * audit trail, newest first. Every filter walks an index that ends in id (a book's entries, its
 * trail), so the first page is cheap at any size. `audit --verify [--anchor FILE]` walks the
 * whole hash chain instead and exits 3 when a row was edited or removed other than by retention,
 * or the log no longer holds what was anchored. `audit anchor [--to FILE]` appends the chain head
 * to an anchor file outside the database.
 */
import type { Command } from '../command.js';
import { positionals, stringFlag, wholeNumberFlag } from '../util.js';
import { AUDIT_ACTIONS, auditToJson, parseSince, type AuditQuery, type AuditRow } from '../../db/audit-entry.js';
import { parseActor } from '../../domain/actor.js';
import { InputError } from '../../domain/errors.js';
import { formatCount, formatShortTime, shortId, table } from '../format.js';
import { defaultAnchorFile, readAnchors, writeAnchor } from '../../ops/audit-anchor.js';

const USAGE = 'audit [anchor [--to FILE]] [--last N] [--actor A] [--action X] [--book-id ID] [--since 7d | --last-days N] [--verify [--anchor FILE]]';

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
    lastDays: { type: 'string', description: 'only entries of the last N days (same as --since Nd)' },
    verify: { type: 'boolean', description: 'check the whole hash chain (exit 3 if a row was edited or removed outside retention)' },
    anchor: { type: 'string', description: 'with --verify: an anchor file; the log must still hold every head anchored in it' },
    to: { type: 'string', description: 'with anchor: the anchor file to append to (default: <db>.anchors)' },
  },
  async run(ctx) {
    const [sub] = positionals(ctx, USAGE, ['anchor'], 0);
    if (sub !== undefined) {
      if (sub !== 'anchor') throw new InputError(`unknown audit subcommand '${sub}' (usage: agentic-pipeline ${USAGE})`);
      return anchor(ctx);
    }
    if (ctx.args.flags.to !== undefined) throw new InputError('--to goes with `audit anchor`; to check against an anchor file use --verify --anchor FILE');
    if (ctx.args.flags.verify) return verify(ctx);
    if (ctx.args.flags.anchor !== undefined) throw new InputError('--anchor goes with --verify (audit --verify --anchor FILE)');
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
    const lastDays = lastDaysFlag(ctx);
    if (lastDays !== undefined && sinceText !== undefined) throw new InputError('--last-days and --since both say how far back: give one');
    const s = await ctx.services({ readonly: true });
    if (sinceText !== undefined) q.since = parseSince(sinceText, s.clock());
    if (lastDays !== undefined) q.since = parseSince(`${lastDays}d`, s.clock());
    const bookId = stringFlag(ctx, 'bookId');
    if (bookId !== undefined) q.pipelineId = await s.engine.pipelines.resolveId(bookId);
    const rows = await s.engine.audit.query(q);

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

/** `--last-days N`: a positive whole number of days (digits only: no 0x5, 1e2 or 1.5). */
function lastDaysFlag(ctx: Parameters<Command['run']>[0]): number | undefined {
  const v = stringFlag(ctx, 'lastDays');
  if (v === undefined) return undefined;
  if (!/^[1-9][0-9]{0,5}$/.test(v.trim())) throw new InputError(`--last-days must be a positive whole number of days, got '${v}'`);
  return Number(v.trim());
}

async function anchor(ctx: Parameters<Command['run']>[0]): Promise<number> {
  for (const f of ['last', 'actor', 'action', 'bookId', 'since', 'lastDays', 'verify', 'anchor'] as const) {
    if (ctx.args.flags[f] !== undefined) {
      throw new InputError(`audit anchor writes the chain head; it takes no --${f.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`);
    }
  }
  const to = stringFlag(ctx, 'to');
  if (to !== undefined && to.trim() === '') throw new InputError('--to needs a file name');
  const file = to ?? defaultAnchorFile(ctx.dbPath);
  const s = await ctx.services({ readonly: true });
  const line = await writeAnchor(s.engine, ctx.dbPath, file);
  ctx.out.json({ file, ...line });
  // The line itself, so `| logger -t agentic-pipeline` ships the anchor to syslog as well.
  ctx.out.line(JSON.stringify(line));
  return 0;
}

async function verify(ctx: Parameters<Command['run']>[0]): Promise<number> {
  for (const f of ['last', 'actor', 'action', 'bookId', 'since', 'lastDays'] as const) {
    if (ctx.args.flags[f] !== undefined) {
      throw new InputError(`--verify checks the whole audit trail; it takes no --${f.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`);
    }
  }
  const anchorFile = stringFlag(ctx, 'anchor');
  const anchors = anchorFile !== undefined ? readAnchors(anchorFile) : undefined;
  const s = await ctx.services({ readonly: true });
  const r = await s.engine.audit.verify(anchors ? { anchors } : {});
  ctx.out.json(r);
  const ids = (xs: number[]) => xs.slice(0, 10).join(', ') + (xs.length > 10 ? ` … (${formatCount(xs.length)} in all)` : '');
  ctx.out.line(`Audit chain: ${formatCount(r.checked)} entr${r.checked === 1 ? 'y' : 'ies'} checked${r.keyed > 0 ? `, ${formatCount(r.keyed)} keyed` : ''}${anchors ? `, against ${formatCount(r.anchors_checked)} anchor${r.anchors_checked === 1 ? '' : 's'}` : ''}`);
  if (r.intact) {
    ctx.out.line(
      r.checked === 0
        ? '  intact: the log is empty and the database holds no books'
        : `  intact: every entry matches its ${r.keyed > 0 ? 'hash (keyed entries: their HMAC)' : 'hash'} and links to the one before${anchors ? '; every anchored head is still there' : ''}`,
    );
  }
  if (r.retention_gaps > 0) {
    ctx.out.line(`  ${formatCount(r.retention_gaps)} gap${r.retention_gaps === 1 ? '' : 's'} left by retention, accounted for by its entries (${formatCount(r.bridged_rows)} entries removed)`);
  }
  if (r.unverifiable_gaps.length > 0) {
    ctx.out.line(`  ${formatCount(r.unverifiable_gaps.length)} gap${r.unverifiable_gaps.length === 1 ? '' : 's'} from before removals were recorded (cannot be checked), before entries ${ids(r.unverifiable_gaps)}`);
  }
  for (const p of r.problems) ctx.out.line(`  ${PROBLEM_LABEL[p.kind] ?? 'PROBLEM'}: ${p.message}`);
  return r.intact ? 0 : VERIFY_FAILED_EXIT;
}

/** The word each kind of finding starts with in the human report. */
const PROBLEM_LABEL: Record<string, string> = {
  edited: 'EDITED',
  removed: 'REMOVED',
  tail_removed: 'REMOVED',
  invalid_prune: 'FORGED RETENTION',
  unkeyed_after_keyed: 'UNKEYED',
  key_missing: 'UNCHECKED',
  log_recreated: 'RECREATED',
  log_empty: 'EMPTIED',
  anchor_missing: 'ANCHOR MISSING',
  anchor_rewritten: 'ANCHOR MISMATCH',
  anchor_shrunk: 'ANCHOR SHRUNK',
};

export default command;
