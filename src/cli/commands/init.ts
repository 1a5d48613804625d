/**
 * `init [--parents]`: create the database (or migrate it). A missing parent folder is refused
 * unless --parents: `init --db /srv/agentic/pipline.db` with a typo in the folder should say so,
 * not quietly build a new tree beside the real one.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from '../command.js';
import { positionals } from '../util.js';
import { InputError } from '../../domain/errors.js';
import { escapeControl } from '../../text/escape.js';
import { isPostgresLocation } from '../../db/open.js';

const command: Command = {
  usage: 'init [--parents]',
  summary: 'Create the database (or migrate it to this version). Safe to run again.',
  flags: {
    parents: { type: 'boolean', default: false, description: 'create the missing folders above the database file' },
  },
  async run(ctx) {
    positionals(ctx, 'init [--parents]', []);
    if (ctx.dbPath !== ':memory:' && !isPostgresLocation(ctx.dbPath) && !ctx.args.flags.parents) {
      const folder = path.dirname(path.resolve(ctx.dbPath));
      if (!fs.existsSync(folder)) {
        throw new InputError(`folder ${escapeControl(folder)} does not exist; create it, or pass --parents to have init create it`);
      }
    }
    const s = await ctx.services({ create: true });
    const version = await s.engine.upkeep.schemaVersion();
    ctx.out.json({ db: s.engine.location, schema_version: version });
    ctx.out.line(`Database ready: ${escapeControl(s.engine.location)} (schema version ${version})`);
    return 0;
  },
};
export default command;
