/**
 * `/health/ready`: can this process serve from the database right now? Each check opens the
 * file afresh (read-only), so a file replaced underneath a long-lived connection (a botched
 * restore, garbage written over it) is seen at once, and a restored one is ready again at once.
 * Liveness is not here on purpose: a failed liveness probe restarts the process, and a restart
 * cannot fix a database.
 */
import { openDatabase, schemaVersion } from '../db/db.js';
import { MIGRATIONS } from '../db/migrations.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export function readinessChecks(dbPath: string, shuttingDown: boolean): Check[] {
  const checks: Check[] = [{ name: 'not_shutting_down', ok: !shuttingDown, detail: shuttingDown ? 'the process is stopping' : 'serving' }];
  let db: ReturnType<typeof openDatabase> | undefined;
  try {
    db = openDatabase(dbPath, { readonly: true, create: false });
    checks.push({ name: 'database_opens', ok: true, detail: dbPath });
  } catch (err) {
    checks.push({ name: 'database_opens', ok: false, detail: message(err) });
    checks.push({ name: 'select_1', ok: false, detail: 'skipped: the database did not open' });
    checks.push({ name: 'schema_current', ok: false, detail: 'skipped: the database did not open' });
    return checks;
  }
  try {
    try {
      const one = db.prepare('SELECT 1 AS one').get() as { one: number };
      // A file of garbage opens lazily; reading the schema is what touches its header.
      db.prepare('SELECT count(*) FROM sqlite_schema').get();
      checks.push({ name: 'select_1', ok: one.one === 1, detail: 'SELECT 1 answered' });
    } catch (err) {
      checks.push({ name: 'select_1', ok: false, detail: message(err) });
      checks.push({ name: 'schema_current', ok: false, detail: 'skipped: the database cannot be read' });
      return checks;
    }
    try {
      const v = schemaVersion(db);
      const want = MIGRATIONS.length;
      checks.push({
        name: 'schema_current',
        ok: v === want,
        detail: v === want ? `schema ${v}` : v < want ? `schema ${v}, this version needs ${want} (run 'agentic-pipeline init' to migrate)` : `schema ${v} is newer than this version (${want})`,
      });
    } catch (err) {
      checks.push({ name: 'schema_current', ok: false, detail: message(err) });
    }
    return checks;
  } finally {
    db.close();
  }
}

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
