/**
 * The doors for moving to PostgreSQL, as the CLI reaches them: copying a SQLite file into a
 * server database (`migrate-to`) and granting the application role (`init --app-role`). The
 * PostgreSQL modules (and pg) load only when one of these is called, as in open.ts, so no other
 * command pays for them; and the CLI never imports an engine implementation itself.
 */
import type { Engine } from './engine.js';
import { InputError } from '../domain/errors.js';
import type { CopyOptions, CopyProgress, CopyReport } from './postgres/copy-from-sqlite.js';
import type { AppRoleReport } from './postgres/roles.js';

export type { CopyOptions, CopyProgress, CopyReport, AppRoleReport };

export async function copySqliteToPostgres(options: CopyOptions): Promise<CopyReport> {
  const { copySqliteToPostgres: copy } = await import('./postgres/copy-from-sqlite.js');
  return copy(options);
}

/** `engine` must be a PostgreSQL engine (the caller checked the location). */
export async function grantAppRole(engine: Engine, role: string): Promise<AppRoleReport> {
  if (engine.kind !== 'postgres') throw new InputError('--app-role applies to PostgreSQL only');
  const { grantAppRole: grant } = await import('./postgres/roles.js');
  const { pool } = engine as import('./postgres/engine.js').PgEngine;
  return grant(pool, role);
}

/** The role name check, before anything is opened (a usage error is exit 2 with nothing touched). */
export async function checkAppRoleName(role: string): Promise<void> {
  const { checkRoleName } = await import('./postgres/roles.js');
  checkRoleName(role);
}
