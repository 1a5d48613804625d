/**
 * One door to a database, whatever the engine: a path opens the SQLite file (today's
 * openDatabase + createSqliteEngine), a postgres:// or postgresql:// URL (or `postgres:` with
 * PGHOST/PGDATABASE in the environment) the PostgreSQL engine. Errors a person can fix (a bad
 * path, an unreachable server, a missing database, a URL typo) are InputErrors: one sentence,
 * exit 2.
 */
import type { Engine } from './engine.js';
import type { OpenOptions } from './db.js';
import { openDatabase } from './db.js';
import type { Clock } from '../domain/clock.js';
import { systemClock } from '../domain/clock.js';
import { createSqliteEngine } from './sqlite/engine.js';
import type { PgEngine } from './postgres/engine.js';
import { isPostgresLocation } from './location.js';

export interface OpenEngineOptions extends OpenOptions {
  /**
   * The clock. SQLite default: the system clock. PostgreSQL default: the server's clock (leases
   * are compared across hosts); pass one only to control time (tests, the e2e clock offset).
   */
  clock?: Clock;
  /** The audit key (HMAC chain); default none. Callers resolve it (config/audit.ts). */
  auditKey?: Buffer | null;
  /** PostgreSQL: pool size. */
  maxConnections?: number;
}

export { isPostgresLocation };

export async function openEngine(location: string, options: OpenEngineOptions = {}): Promise<Engine> {
  if (isPostgresLocation(location)) {
    // Loaded only for a PostgreSQL location: SQLite users (and the console's start-up) never load pg.
    const { createPgEngine } = await import('./postgres/engine.js');
    return createPgEngine(location, {
      ...(options.readonly !== undefined ? { readonly: options.readonly } : {}),
      ...(options.create !== undefined ? { create: options.create } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}),
      auditKey: options.auditKey ?? null,
    });
  }
  const db = openDatabase(location, options);
  return createSqliteEngine(db, options.clock ?? systemClock(), options.auditKey ?? null, location);
}

/**
 * The clock a host should use beside `engine` for times it computes itself (a retry's
 * next_attempt_at, "held for" messages): SQLite's is the system clock; PostgreSQL's is the
 * host's clock corrected by the server's offset, measured once now (half the round trip
 * either side), so a backoff written by this host means the same on every other host.
 */
export async function engineClock(engine: Engine): Promise<Clock> {
  if (engine.kind !== 'postgres') return systemClock();
  const sent = Date.now();
  const server = await (engine as PgEngine).serverNow();
  const offset = server - Math.round((sent + Date.now()) / 2);
  return offset === 0 ? Date.now : () => Date.now() + offset;
}
