/**
 * Can the database at a location be served from right now? The probe opens the file afresh
 * (read-only) every time, so a file replaced underneath a long-lived connection (a botched
 * restore, garbage written over it) is seen at once, and a restored one passes again at once.
 * It reports what it got as far as it got; the caller words the checks. A PostgreSQL location
 * is probed by postgres/probe.ts (a connection of its own, the same steps).
 */
import { openDatabase, schemaVersion } from './db.js';
import { MIGRATIONS } from './migrations.js';
import { isPostgresLocation } from './location.js';

export type ProbeStep<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** What the read step runs, as a check's detail says it. */
export const READ_PROBE = 'SELECT 1 answered';

export interface DatabaseProbe {
  open: ProbeStep<true>;
  /** A trivial query answered, and the schema's header could be read (absent when it did not open). */
  read?: ProbeStep<boolean>;
  /** The schema version found (absent when it could not be read). */
  schema?: ProbeStep<number>;
  /** The schema this build migrates to. */
  wantSchema: number;
  /** The location as messages may show it (a server URL without its password); absent for a file. */
  shown?: string;
}

export async function probeDatabase(location: string): Promise<DatabaseProbe> {
  if (isPostgresLocation(location)) {
    // Loaded only for a PostgreSQL location, as the engine is (SQLite users never load pg).
    const { probePg } = await import('./postgres/probe.js');
    return probePg(location);
  }
  const wantSchema = MIGRATIONS.length;
  let db: ReturnType<typeof openDatabase>;
  try {
    db = openDatabase(location, { readonly: true, create: false });
  } catch (error) {
    return { open: { ok: false, error }, wantSchema };
  }
  try {
    let answered: boolean;
    try {
      const one = db.prepare('SELECT 1 AS one').get() as { one: number };
      // A file of garbage opens lazily; reading the schema is what touches its header.
      db.prepare('SELECT count(*) FROM sqlite_schema').get();
      answered = one.one === 1;
    } catch (error) {
      return { open: { ok: true, value: true }, read: { ok: false, error }, wantSchema };
    }
    let schema: ProbeStep<number>;
    try {
      schema = { ok: true, value: schemaVersion(db) };
    } catch (error) {
      schema = { ok: false, error };
    }
    return { open: { ok: true, value: true }, read: { ok: true, value: answered }, schema, wantSchema };
  } finally {
    db.close();
  }
}
