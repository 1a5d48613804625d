/**
 * `backup --to FILE`: a consistent online copy of the database (workers may keep running),
 * verified on the copy before it replaces FILE. Exit 3 when verification fails (as `audit
 * --verify`); the copy is then left as FILE.unverified. See src/db/sqlite/backup.ts.
 */
import type { Command } from '../command.js';
import { InputError } from '../../domain/errors.js';
import { positionals, stringFlag } from '../util.js';
import { refusePostgres } from '../sqlite-only.js';
import { formatCount, formatTime } from '../format.js';
import { backupDatabase, describeVerification } from '../../ops/backup.js';

const USAGE = 'backup --to FILE [--force]';
const VERIFY_FAILED_EXIT = 3;

const command: Command = {
  usage: USAGE,
  summary: 'Copy the database to FILE while workers run, then verify the copy (integrity, audit chain, counts). Exit 3 if it does not verify.',
  flags: {
    to: { type: 'string', description: 'the backup file to write' },
    force: { type: 'boolean', default: false, description: 'replace FILE if it exists' },
  },
  async run(ctx) {
    positionals(ctx, USAGE, []);
    refusePostgres(ctx, 'backup', 'pg_dump (e.g. pg_dump -Fc -f FILE URL) or a base backup (pg_basebackup)');
    const to = stringFlag(ctx, 'to');
    if (to === undefined || to.trim() === '') throw new InputError(`backup needs --to FILE (usage: agentic-pipeline ${USAGE})`);
    const s = await ctx.services({ readonly: true });
    const r = await backupDatabase(s.engine, to, { force: Boolean(ctx.args.flags.force), now: s.clock });
    ctx.out.json(r);
    if (r.ok) ctx.out.line(`Backup written: ${r.file} (${formatCount(r.bytes)} bytes, as of ${formatTime(r.copied_at)})`);
    else ctx.out.line(`Backup did NOT verify; the copy was left at ${r.unverified_file ?? '?'} (${r.file} was not touched)`);
    for (const l of describeVerification(r.verification)) ctx.out.line(`  ${l}`);
    ctx.out.line(
      `  same as the source at that moment: counts ${r.matches_source.counts ? 'yes' : 'NO'}, newest audit entry ${r.matches_source.audit_head ? 'yes' : 'NO'}`,
    );
    for (const p of r.problems) ctx.out.warn(`backup: ${p}`);
    return r.ok ? 0 : VERIFY_FAILED_EXIT;
  },
};
export default command;
