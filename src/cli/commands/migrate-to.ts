/**
 * `migrate-to postgres://USER@HOST/DATABASE [--db FILE.db] [--force]`: copy the SQLite file
 * (every book, its history, the audit log with its chain, workers, the library) into an empty
 * PostgreSQL database in one transaction, then check both sides before committing: rows per
 * table, books per state, each audit chain by its own verifier, the same newest entry. Exit 1
 * when they do not match (nothing is committed); 2 for a bad URL, a missing or unusable file, a
 * target that is not empty, or workers still running on the file. See
 * src/db/postgres/copy-from-sqlite.ts.
 */
import type { Command } from '../command.js';
import { InputError } from '../../domain/errors.js';
import { positionals } from '../util.js';
import { formatCount } from '../format.js';
import { escapeControl } from '../../text/escape.js';
import { isPostgresLocation } from '../../db/open.js';
import { copySqliteToPostgres } from '../../db/to-postgres.js';
import type { CopyProgress, CopyReport } from '../../db/to-postgres.js';
import { auditKeyFor } from '../../config/audit.js';

const USAGE = 'migrate-to postgres://USER@HOST/DATABASE [--db FILE.db] [--force]';
const VERIFY_FAILED_EXIT = 1;
/** A progress line at most this often (and at each table's first statement). */
const PROGRESS_EVERY_MS = 2000;

const command: Command = {
  usage: USAGE,
  summary:
    'Copy the SQLite database (--db) into an empty PostgreSQL database in one transaction, and check both sides (counts, audit chains, newest entry) before it commits. Stop the workers first.',
  flags: {
    force: { type: 'boolean', default: false, description: 'copy even though workers look alive on the file (their later writes stay in the file)' },
  },
  async run(ctx) {
    const [url] = positionals(ctx, USAGE, ['postgres://USER@HOST/DATABASE']);
    if (!isPostgresLocation(url!)) {
      throw new InputError(`migrate-to copies into PostgreSQL: give a postgres://USER@HOST/DATABASE URL, not '${escapeControl(url!)}' (usage: agentic-pipeline ${USAGE})`);
    }
    if (isPostgresLocation(ctx.dbPath)) {
      throw new InputError('--db names the SQLite file to copy from; the PostgreSQL database is the argument');
    }
    let lastLine = 0;
    let lastTable = '';
    const progress = (p: CopyProgress) => {
      const now = Date.now();
      if (p.table === lastTable && now - lastLine < PROGRESS_EVERY_MS && p.copied < p.total) return;
      lastTable = p.table;
      lastLine = now;
      ctx.out.warn(`migrate-to: ${p.table}: ${formatCount(p.copied)} of ${formatCount(p.total)} rows copied`);
    };
    const r = await copySqliteToPostgres({
      source: ctx.dbPath,
      target: url!,
      auditKey: auditKeyFor(ctx.dbPath, undefined, ctx.env),
      force: Boolean(ctx.args.flags.force),
      progress,
    });
    ctx.out.json(r);
    describe(ctx.out.line, r);
    for (const n of r.notes) ctx.out.warn(`migrate-to: ${n}`);
    for (const p of r.problems) ctx.out.warn(`migrate-to: ${p}`);
    return r.ok ? 0 : VERIFY_FAILED_EXIT;
  },
};

function describe(line: (text?: string) => void, r: CopyReport): void {
  line(
    r.ok
      ? `Copied ${escapeControl(r.source)} to ${escapeControl(r.target)}: ${formatCount(r.rows)} rows in ${(r.copy_ms / 1000).toFixed(1)} s (${formatCount(r.rows_per_second)} rows/s), verified and committed.`
      : `The copy of ${escapeControl(r.source)} did NOT verify; nothing was committed to ${escapeControl(r.target)}.`,
  );
  const width = Math.max(...r.tables.map((t) => t.table.length), ...r.states.map((s) => s.state.length), 5);
  const row = (name: string, a: number, b: number) =>
    `  ${name.padEnd(width)}  ${formatCount(a).padStart(12)}  ${formatCount(b).padStart(12)}${a === b ? '' : '  DIFFERENT'}`;
  line(`  ${'table'.padEnd(width)}  ${'file'.padStart(12)}  ${'postgres'.padStart(12)}`);
  for (const t of r.tables) line(row(t.table, t.source, t.target));
  line(`  books by state:`);
  for (const s of r.states) line(row(s.state, s.source, s.target));
  const a = r.audit;
  const verdict = (intact: boolean) => (intact ? 'intact' : 'NOT intact');
  line(`  audit chain: file ${verdict(a.source.intact)} (${formatCount(a.source.checked)} entries), postgres ${verdict(a.target.intact)} (${formatCount(a.target.checked)} entries)`);
  line(`  newest entry: #${a.source.head_id} ${a.source.head_hash ?? '-'} in the file, ${a.same_head ? 'the same' : `#${a.target.head_id} ${a.target.head_hash ?? '-'}`} on PostgreSQL`);
  if (r.ok) line(`  next: point workers at ${escapeControl(r.target)} (--db or AGENTIC_PIPELINE_DB); keep the file as it is, as the record of the move.`);
}

export default command;
