/**
 * `restore --from FILE [--db PATH]`: verify a backup and put it in place of PATH, keeping the
 * replaced file aside; books leased in the backup become claimable again (audited). Refuses a
 * database live workers use unless --force. Exit 3 when the backup does not verify (nothing is
 * replaced). See src/db/sqlite/restore.ts.
 */
import type { Command } from '../command.js';
import { InputError } from '../../domain/errors.js';
import { positionals, stringFlag } from '../util.js';
import { refusePostgres } from '../sqlite-only.js';
import { BackupUnverifiedError, describeVerification, RESTORE_ACTOR, restoreBackup } from '../../ops/backup.js';
import { shortId } from '../format.js';

const USAGE = 'restore --from FILE [--db PATH] [--force]';
const VERIFY_FAILED_EXIT = 3;

const command: Command = {
  usage: USAGE,
  summary: 'Verify a backup and put it in place of the database (the old file is kept as PATH.replaced-<time>). Refuses while live workers use it unless --force.',
  flags: {
    from: { type: 'string', description: 'the backup file to restore' },
    force: { type: 'boolean', default: false, description: 'restore even though live workers use the database (stop them first)' },
  },
  run(ctx) {
    positionals(ctx, USAGE, []);
    refusePostgres(ctx, 'restore', 'pg_restore (e.g. pg_restore -d URL FILE) or your base backups');
    const from = stringFlag(ctx, 'from');
    if (from === undefined || from.trim() === '') throw new InputError(`restore needs --from FILE (usage: agentic-pipeline ${USAGE})`);
    let r;
    try {
      r = restoreBackup(from, ctx.dbPath, {
        force: Boolean(ctx.args.flags.force),
        actor: ctx.args.flags.actor ? ctx.actor : RESTORE_ACTOR,
      });
    } catch (err) {
      if (!(err instanceof BackupUnverifiedError)) throw err;
      ctx.out.json({ from: err.file, db: ctx.dbPath, ok: false, verification: err.verification, problems: err.verification.problems });
      ctx.out.line(`Backup ${err.file} did NOT verify; nothing was restored.`);
      for (const l of describeVerification(err.verification)) ctx.out.line(`  ${l}`);
      for (const p of err.verification.problems) ctx.out.warn(`restore: ${p}`);
      return VERIFY_FAILED_EXIT;
    }
    ctx.out.json(r);
    ctx.out.line(`Restored ${r.from} to ${r.db}`);
    for (const l of describeVerification(r.verification)) ctx.out.line(`  ${l}`);
    ctx.out.line(r.replaced_file ? `  the replaced database is kept at ${r.replaced_file}` : '  there was no database at that path before');
    if (r.released.length > 0) {
      const ids = r.released.slice(0, 5).map((b) => shortId(b.id)).join(', ');
      ctx.out.line(`  ${r.released.length} book(s) leased in the backup are claimable again (needs_retry): ${ids}${r.released.length > 5 ? ', …' : ''}`);
    }
    for (const w of r.forced_past) ctx.out.warn(`restore: --force: worker ${w.id} was live (heartbeat ${w.heartbeat_age_seconds}s ago) and still has the replaced file open`);
    return 0;
  },
};
export default command;
