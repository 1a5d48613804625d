/**
 * `init [--parents] [--app-role NAME]`: create the database (or migrate it). A missing parent
 * folder is refused unless --parents: `init --db /srv/agentic/pipline.db` with a typo in the
 * folder should say so, not quietly build a new tree beside the real one. On PostgreSQL,
 * `--app-role NAME` then grants the application's role what workers and consoles need, and on
 * the audit trail only reading and appending (src/db/postgres/roles.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from '../command.js';
import { positionals, stringFlag } from '../util.js';
import { InputError } from '../../domain/errors.js';
import { escapeControl } from '../../text/escape.js';
import { isPostgresLocation } from '../../db/open.js';
import { checkAppRoleName, grantAppRole } from '../../db/to-postgres.js';

const command: Command = {
  usage: 'init [--parents] [--app-role NAME]',
  summary: 'Create the database (or migrate it to this version). Safe to run again.',
  flags: {
    parents: { type: 'boolean', default: false, description: 'create the missing folders above the database file' },
    appRole: { type: 'string', description: 'PostgreSQL: grant this role (created NOLOGIN if missing) what workers and consoles need; the audit log only read and append' },
  },
  async run(ctx) {
    positionals(ctx, 'init [--parents] [--app-role NAME]', []);
    const appRole = stringFlag(ctx, 'appRole');
    if (appRole !== undefined) {
      if (!isPostgresLocation(ctx.dbPath)) throw new InputError('--app-role applies to PostgreSQL only');
      await checkAppRoleName(appRole);
    }
    if (ctx.dbPath !== ':memory:' && !isPostgresLocation(ctx.dbPath) && !ctx.args.flags.parents) {
      const folder = path.dirname(path.resolve(ctx.dbPath));
      if (!fs.existsSync(folder)) {
        throw new InputError(`folder ${escapeControl(folder)} does not exist; create it, or pass --parents to have init create it`);
      }
    }
    const s = await ctx.services({ create: true });
    const version = await s.engine.upkeep.schemaVersion();
    const role = appRole !== undefined ? await grantAppRole(s.engine, appRole) : undefined;
    ctx.out.json({ db: s.engine.location, schema_version: version, ...(role ? { app_role: role } : {}) });
    ctx.out.line(`Database ready: ${escapeControl(s.engine.location)} (schema version ${version})`);
    for (const l of role?.summary ?? []) ctx.out.line(l);
    return 0;
  },
};
export default command;
