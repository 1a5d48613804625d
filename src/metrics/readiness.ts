/**
 * `/health/ready`: can this process serve from the database right now? The probe opens the
 * database afresh each time (src/db/probe.ts; on PostgreSQL a connection of its own), so a file
 * replaced underneath a long-lived connection, or a server gone, is seen at once, and a restored
 * one is ready again at once. Liveness is not here on
 * purpose: a failed liveness probe restarts the process, and a restart cannot fix a database.
 */
import { READ_PROBE, probeDatabase } from '../db/probe.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export async function readinessChecks(dbPath: string, shuttingDown: boolean): Promise<Check[]> {
  const checks: Check[] = [{ name: 'not_shutting_down', ok: !shuttingDown, detail: shuttingDown ? 'the process is stopping' : 'serving' }];
  const probe = await probeDatabase(dbPath);
  if (!probe.open.ok) {
    checks.push({ name: 'database_opens', ok: false, detail: message(probe.open.error) });
    checks.push({ name: 'select_1', ok: false, detail: 'skipped: the database did not open' });
    checks.push({ name: 'schema_current', ok: false, detail: 'skipped: the database did not open' });
    return checks;
  }
  checks.push({ name: 'database_opens', ok: true, detail: probe.shown ?? dbPath });
  if (!probe.read?.ok) {
    checks.push({ name: 'select_1', ok: false, detail: probe.read ? message(probe.read.error) : 'not read' });
    checks.push({ name: 'schema_current', ok: false, detail: 'skipped: the database cannot be read' });
    return checks;
  }
  checks.push({ name: 'select_1', ok: probe.read.value, detail: READ_PROBE });
  const schema = probe.schema;
  if (!schema?.ok) {
    checks.push({ name: 'schema_current', ok: false, detail: schema ? message(schema.error) : 'not read' });
    return checks;
  }
  const v = schema.value;
  const want = probe.wantSchema;
  checks.push({
    name: 'schema_current',
    ok: v === want,
    detail: v === want ? `schema ${v}` : v < want ? `schema ${v}, this version needs ${want} (run 'agentic-pipeline init' to migrate)` : `schema ${v} is newer than this version (${want})`,
  });
  return checks;
}

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
