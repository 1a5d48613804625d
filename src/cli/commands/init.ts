import type { Command } from '../command.js';
import { schemaVersion } from '../../store/db.js';

const command: Command = {
  usage: 'init',
  summary: 'Create the database (or migrate it to this version). Safe to run again.',
  flags: {},
  run(ctx) {
    const s = ctx.services({ create: true });
    const version = schemaVersion(s.db);
    ctx.out.json({ db: ctx.dbPath, schema_version: version });
    ctx.out.line(`Database ready: ${ctx.dbPath} (schema version ${version})`);
    return 0;
  },
};
export default command;
