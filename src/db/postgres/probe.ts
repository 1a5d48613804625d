/**
 * Readiness on PostgreSQL (`/health/ready`): one short-lived connection of its own per probe,
 * not one of the serving pool's, so a server that went away, a database dropped or a schema
 * migrated past this build is seen at the next probe whatever the pool holds. Steps as for the
 * SQLite file: it opens (connects), it answers SELECT 1, the schema version is the one we need.
 */
import pg from 'pg';
import type { DatabaseProbe } from '../probe.js';
import { asConnectError, parseLocation, pgTypes, schemaVersionPg } from './connect.js';
import { PG_MIGRATIONS } from './migrations.js';

/** A probe that cannot connect within this is "does not open" (the endpoint must answer). */
const PROBE_CONNECT_TIMEOUT_MS = 5_000;

export async function probePg(location: string): Promise<DatabaseProbe> {
  const wantSchema = PG_MIGRATIONS.length;
  let config: pg.ClientConfig;
  let shown: string;
  try {
    ({ config, shown } = parseLocation(location));
  } catch (error) {
    return { open: { ok: false, error }, wantSchema };
  }
  const base = { wantSchema, shown };
  const client = new pg.Client({ ...config, types: pgTypes, connectionTimeoutMillis: PROBE_CONNECT_TIMEOUT_MS, application_name: 'agentic-pipeline-probe' });
  // A connection the server ends while we hold it is an 'error' event: never a crash.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    return { open: { ok: false, error: asConnectError(shown, error, config) }, ...base };
  }
  try {
    let answered: boolean;
    try {
      answered = (await client.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one === 1;
    } catch (error) {
      return { open: { ok: true, value: true }, read: { ok: false, error }, ...base };
    }
    let schema: DatabaseProbe['schema'];
    try {
      schema = { ok: true, value: (await schemaVersionPg(client)) ?? 0 };
    } catch (error) {
      schema = { ok: false, error };
    }
    return { open: { ok: true, value: true }, read: { ok: true, value: answered }, ...(schema ? { schema } : {}), ...base };
  } finally {
    await client.end().catch(() => undefined);
  }
}
