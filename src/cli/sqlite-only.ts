/**
 * Commands that work on the SQLite file itself (backup, restore) have no PostgreSQL meaning: a
 * server's data is copied and put back with its own tools, which also cover roles, WAL archives
 * and point-in-time recovery. They refuse a PostgreSQL location up front (exit 2, nothing
 * opened), naming the tool to use instead.
 */
import { InputError } from '../domain/errors.js';
import { isPostgresLocation } from '../db/location.js';
import type { CommandContext } from './context.js';

export function refusePostgres(ctx: CommandContext, command: string, instead: string): void {
  if (isPostgresLocation(ctx.dbPath)) {
    throw new InputError(`${command} works on a SQLite database file; on PostgreSQL use ${instead}`);
  }
}
