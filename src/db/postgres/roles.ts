/**
 * `init --app-role NAME`: what the application (workers, console, MCP, metrics) may do on
 * PostgreSQL, granted to a role that does not own the tables. Triggers refuse UPDATE, DELETE
 * and TRUNCATE on the audit log, but an owner (or a superuser) can drop triggers; permissions
 * are what hold when the application's credentials leak. So:
 * - every table: SELECT, INSERT, UPDATE, DELETE, except the audit trail's;
 * - audit: SELECT, INSERT only (append, read, verify);
 * - audit_deletions, audit_gate, audit_removed, audit_marks: SELECT only (deletion records are written by the trigger on
 *   a DELETE on audit, which this role cannot run; retention runs as the owner);
 * - audit_chain_head: SELECT, UPDATE (an append moves it; a trigger keeps it moving forward);
 * - schema_version: SELECT (opening the engine reads the version; a current schema needs
 *   nothing more. Migrating needs DDL, which only the owner has: an upgrade's `init` runs as
 *   the owner);
 * - never TRUNCATE, never ownership; USAGE on the schema and its sequences, EXECUTE on its
 *   functions.
 *
 * A missing role is created NOLOGIN: a group role that login roles join (`GRANT NAME TO
 * worker_host1`), so passwords and logins stay the DBA's business and never pass through our
 * command line. An existing role keeps its LOGIN and password; only its privileges on our
 * tables are reset to the above (REVOKE ALL, then GRANT), so running it again is harmless and
 * also takes back anything granted by hand. New tables added by later migrations get privileges
 * when `init --app-role` runs again after the upgrade (the upgrade's init, as the owner).
 */
import pg from 'pg';
import { InputError } from '../../domain/errors.js';

const READ_WRITE = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;

/** The audit trail's tables and what the application may do to each. */
const LIMITED: Record<string, readonly string[]> = {
  audit: ['SELECT', 'INSERT'],
  audit_deletions: ['SELECT'],
  audit_gate: ['SELECT'],
  // Kept by retention's DELETE trigger and by migrate-to, both as the owner.
  audit_removed: ['SELECT'],
  audit_marks: ['SELECT'],
  audit_chain_head: ['SELECT', 'UPDATE'],
  schema_version: ['SELECT'],
};

/** A role name as people type them; quoted as an identifier anyway. */
const ROLE_NAME = /^[A-Za-z_][A-Za-z0-9_$.-]{0,62}$/;

export interface AppRoleReport {
  role: string;
  /** The role did not exist and was created (NOLOGIN). */
  created: boolean;
  /** Whether the role can log in itself (else: grant it to login roles). */
  login: boolean;
  schema: string;
  /** Table → privileges granted. */
  tables: Record<string, string[]>;
  /** The grants as sentences for people (the CLI prints them; SQL words stay in src/db). */
  summary: string[];
}

function describeGrants(role: string, created: boolean, login: boolean, tables: Record<string, string[]>): string[] {
  const full = Object.keys(tables).filter((t) => tables[t]!.length === READ_WRITE.length);
  const limited = Object.keys(tables).filter((t) => !full.includes(t));
  const lines = [
    `Application role ${role}${created ? ' (created, NOLOGIN)' : ''}: ${READ_WRITE.join(', ')} on ${full.length} tables; ` +
      `${limited.map((t) => `${tables[t]!.join(', ')} on ${t}`).join('; ')}; no TRUNCATE, no ownership.`,
  ];
  if (!login) lines.push(`${role} cannot log in itself: grant it to the roles workers log in as (GRANT ${role} TO worker_login).`);
  return lines;
}

export function checkRoleName(role: string): void {
  if (!ROLE_NAME.test(role)) {
    throw new InputError(`--app-role '${role}' is not a role name (letters, digits, _ . - $, starting with a letter or _, at most 63)`);
  }
}

/** Grants the application role its privileges on the pipeline's tables, in one transaction. */
export async function grantAppRole(pool: pg.Pool, role: string): Promise<AppRoleReport> {
  checkRoleName(role);
  const q = pg.escapeIdentifier(role);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const where = (
      await client.query<{ schema: string; owner: string; me: string }>(
        `SELECT n.nspname AS schema, pg_get_userbyid(c.relowner) AS owner, current_user AS me
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = 'pipelines'::regclass`,
      )
    ).rows[0]!;
    if (where.owner !== where.me) {
      throw new InputError(`init --app-role must run as the owner of the tables (${where.owner}), not as ${where.me}`);
    }
    // pg_has_role with the owner's name: the role may BE the owner, or inherit from it.
    let found = (
      await client.query<{ rolsuper: boolean; rolcanlogin: boolean; owns: boolean }>(
        `SELECT rolsuper, rolcanlogin, pg_has_role(oid, (SELECT oid FROM pg_roles WHERE rolname = $2), 'MEMBER') AS owns
         FROM pg_roles WHERE rolname = $1`,
        [role, where.owner],
      )
    ).rows[0];
    let created = false;
    if (!found) {
      try {
        await client.query(`CREATE ROLE ${q} NOLOGIN`);
      } catch (err) {
        if ((err as { code?: string }).code === '42501') {
          throw new InputError(`role ${role} does not exist and ${where.me} may not create roles: create it (CREATE ROLE ${q} LOGIN PASSWORD '…') and run init --app-role again`);
        }
        throw err;
      }
      created = true;
      found = { rolsuper: false, rolcanlogin: false, owns: false };
    }
    if (found.rolsuper) throw new InputError(`role ${role} is a superuser: no privilege binds it; use an ordinary role for the application`);
    if (found.owns) {
      throw new InputError(`role ${role} owns the tables (or is a member of their owner, ${where.owner}): the application role must be another role, or it could drop the audit triggers`);
    }

    const schema = pg.escapeIdentifier(where.schema);
    const relations = (
      await client.query<{ name: string; kind: string }>(
        `SELECT c.relname AS name, c.relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'S') ORDER BY c.relname`,
        [where.schema],
      )
    ).rows;
    await client.query(`GRANT USAGE ON SCHEMA ${schema} TO ${q}`);
    const tables: Record<string, string[]> = {};
    for (const r of relations) {
      const name = `${schema}.${pg.escapeIdentifier(r.name)}`;
      if (r.kind === 'S') {
        await client.query(`REVOKE ALL ON SEQUENCE ${name} FROM ${q}`);
        await client.query(`GRANT USAGE, SELECT ON SEQUENCE ${name} TO ${q}`);
        continue;
      }
      const privileges = [...(LIMITED[r.name] ?? READ_WRITE)];
      await client.query(`REVOKE ALL ON TABLE ${name} FROM ${q}`);
      await client.query(`GRANT ${privileges.join(', ')} ON TABLE ${name} TO ${q}`);
      tables[r.name] = privileges;
    }
    await client.query(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${schema} TO ${q}`);
    await client.query('COMMIT');
    return { role, created, login: found.rolcanlogin, schema: where.schema, tables, summary: describeGrants(role, created, found.rolcanlogin, tables) };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
