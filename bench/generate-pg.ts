/**
 * A PostgreSQL bench database with the same rows as a database made by bench/generate.ts: the
 * generated SQLite file's pipelines, history, audit and workers are streamed into PostgreSQL with
 * COPY. Not a second generator with "the same distribution": the very same books, states,
 * priorities, ages, leases, history and audit rows, so the two engines are measured on identical
 * data in one run.
 *
 *   node dist/bench/generate-pg.js --from FILE.db --db postgres://…   (an empty database)
 *
 * How it stays fast (1M pipelines, ~9M history and 3M audit rows in minutes):
 * - COPY … FROM STDIN through psql (the pg driver has no COPY of its own), rows read raw from
 *   SQLite in rowid order and written as COPY text;
 * - `session_replication_role = replica` for the load: no triggers (the history and count
 *   triggers would write rows the file already has; the audit trigger re-links trails the file
 *   already links) and no foreign-key checks (the file's rows satisfy them: it is checked there);
 * - the three big tables' secondary indexes are dropped first and built again afterwards from
 *   their own definitions (one sort each beats 13M random inserts);
 * - then what the triggers would have maintained: the counts (one slot per cell), the history
 *   identity's next value, the audit chain's head (position, hash, hash version of the last row);
 *   and VACUUM (FREEZE, ANALYZE), so the first measured read does not pay for setting hint bits
 *   and the planner has statistics, as on a server autovacuum has visited.
 *
 * The audit rows keep their ids, links and hashes (generate.ts chains them with the schema-5
 * formula, hash_version NULL), so `audit --verify` passes on the loaded database too.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openEngine } from '../src/db/open.js';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { PG_MIGRATIONS } from '../src/db/postgres/migrations.js';
import { psqlPath, type BenchCluster } from './pg-cluster.js';

/** Bump when what the loader writes changes, so cached PostgreSQL templates are rebuilt. */
export const PG_LOADER_VERSION = 1;

/** Loaded in this order (books, chapters and chunks are empty in a generated file). */
const TABLES = ['pipelines', 'state_history', 'audit', 'workers', 'state_stats'] as const;
/** Whose secondary indexes are dropped for the load. */
const INDEXED = ['pipelines', 'state_history', 'audit'];

export interface PgLoadReport {
  rows: Record<string, number>;
  seconds: number;
  /** Seconds per step: copy of each table, indexes, vacuum. */
  steps: Record<string, number>;
}

/** A value as COPY's text format writes it. */
function copyText(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (Buffer.isBuffer(v)) return '\\\\x' + v.toString('hex');
  const s = String(v);
  return /[\\\t\n\r]/.test(s) ? s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : s;
}

/** Streams `rows` into `COPY table (columns) FROM STDIN` through psql; resolves when psql has committed. */
async function copyInto(url: string, table: string, columns: string[], rows: Iterable<unknown[]>): Promise<number> {
  const psql = psqlPath();
  if (!psql) throw new Error('psql not found (it ships with the PostgreSQL server)');
  const child = spawn(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', `COPY ${table} (${columns.join(', ')}) FROM STDIN`], {
    stdio: ['pipe', 'ignore', 'pipe'],
    env: { ...process.env, PGOPTIONS: '-c session_replication_role=replica' },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // psql dying mid-COPY shows as EPIPE on its stdin; its exit code and stderr say why.
  child.stdin.on('error', () => undefined);
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const died = exited.then((code) => {
    throw new Error(`psql exited ${code} during COPY ${table}: ${stderr.trim()}`);
  });
  died.catch(() => undefined);
  let n = 0;
  let buf: string[] = [];
  const flush = async () => {
    if (buf.length === 0) return;
    const ok = child.stdin.write(buf.join(''));
    buf = [];
    if (!ok) await Promise.race([once(child.stdin, 'drain'), died]);
  };
  for (const row of rows) {
    buf.push(row.map(copyText).join('\t') + '\n');
    if (++n % 2000 === 0) await flush();
  }
  await flush();
  child.stdin.end();
  const code = await exited;
  if (code !== 0) throw new Error(`COPY ${table} failed (psql exited ${code}): ${stderr.trim()}`);
  return n;
}

export async function loadIntoPostgres(sqliteFile: string, url: string, log: (m: string) => void = () => {}): Promise<PgLoadReport> {
  const started = performance.now();
  const steps: Record<string, number> = {};
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await fn();
    steps[name] = Math.round((performance.now() - t0) / 100) / 10;
    log(`${name}: ${steps[name]} s`);
    return out;
  };
  // The schema through the real migrations.
  await (await openEngine(url)).close();
  const src = new Database(sqliteFile, { readonly: true });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const rows: Record<string, number> = {};
  try {
    const saved = (
      await client.query<{ name: string; def: string }>(
        `SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS def
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
         WHERE t.relname = ANY($1) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`,
        [INDEXED],
      )
    ).rows;
    for (const ix of saved) await client.query(`DROP INDEX ${ix.name}`);
    log(`dropped ${saved.length} secondary indexes for the load`);

    for (const table of TABLES) {
      const sqliteCols = new Set((src.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name));
      // Generated columns (live_hash) are computed by PostgreSQL; identity values are written as
      // given (COPY writes identity columns like OVERRIDING SYSTEM VALUE).
      const pgCols = (
        await client.query<{ column_name: string }>(
          `SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position`,
          [table],
        )
      ).rows.map((r) => r.column_name);
      const cols = pgCols.filter((c) => sqliteCols.has(c));
      if (cols.length === 0) continue;
      // rowid order: pipelines' queue_seq (insertion order) is numbered by the load in that order.
      const read = src.prepare(`SELECT ${cols.join(', ')} FROM ${table} ORDER BY rowid`).raw();
      rows[table] = await step(`copy ${table}`, () => copyInto(url, table, cols, read.iterate() as Iterable<unknown[]>));
    }

    await step('what the triggers maintain', async () => {
      await client.query('BEGIN');
      await client.query('DELETE FROM pipeline_counts');
      await client.query(`INSERT INTO pipeline_counts (state, priority, slot, n)
        SELECT state, priority, 0, COUNT(*) FROM pipelines GROUP BY state, priority`);
      await client.query(`SELECT setval(pg_get_serial_sequence('state_history', 'id'), GREATEST((SELECT MAX(id) FROM state_history), 1))`);
      await client.query(`UPDATE audit_chain_head h SET pos = a.id, hash = a.hash, hash_version = a.hash_version
        FROM (SELECT id, hash, hash_version FROM audit ORDER BY id DESC LIMIT 1) a WHERE h.id = 1`);
      await client.query('COMMIT');
    });

    await step('indexes', async () => {
      await client.query(`SET maintenance_work_mem = '1GB'`);
      for (const ix of saved) await client.query(ix.def);
    });
    await step('vacuum (freeze, analyze)', async () => {
      await client.query('VACUUM (FREEZE, ANALYZE)');
    });
  } finally {
    await client.end();
    src.close();
  }
  const seconds = (performance.now() - started) / 1000;
  log(`loaded in ${seconds.toFixed(1)} s: ${Object.entries(rows).map(([t, n]) => `${n.toLocaleString('en-US')} ${t}`).join(', ')}`);
  return { rows, seconds, steps };
}

/**
 * The template database holding `sourceDbPath`'s data on `cluster`, loaded on first use and kept
 * (named after the file, its modification time, the PostgreSQL schema and this loader), so runs
 * on the same generated file copy it instead of loading again.
 */
export async function ensurePgTemplate(
  cluster: BenchCluster,
  sourceDbPath: string,
  pipelines: number,
  log: (m: string) => void,
): Promise<{ name: string; loadSeconds: number | null }> {
  const key = [path.basename(sourceDbPath), fs.statSync(sourceDbPath).mtimeMs, PG_MIGRATIONS.length, PG_LOADER_VERSION].join('|');
  const name = `tpl_p${pipelines}_${crypto.createHash('sha1').update(key).digest('hex').slice(0, 10)}`;
  const have = await cluster.databases();
  // Leftovers of an interrupted run, and templates of an older file of this size, take gigabytes.
  for (const db of have) {
    if (db.startsWith('b_') || db.endsWith('_loading') || (db.startsWith(`tpl_p${pipelines}_`) && db !== name)) await cluster.dropDatabase(db);
  }
  if (have.includes(name)) {
    log(`reusing PostgreSQL template ${name}`);
    return { name, loadSeconds: null };
  }
  log(`loading ${pipelines.toLocaleString('en-US')} pipelines into PostgreSQL (${name}) …`);
  await cluster.admin(`CREATE DATABASE ${name}_loading`);
  const report = await loadIntoPostgres(sourceDbPath, cluster.url(`${name}_loading`), (m) => log(`  load: ${m}`));
  await cluster.admin(`ALTER DATABASE ${name}_loading RENAME TO ${name}`);
  return { name, loadSeconds: report.seconds };
}

const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (isMain) {
  const at = (flag: string) => {
    const i = process.argv.indexOf(flag);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const from = at('--from');
  const db = at('--db');
  if (!from || !db) {
    process.stderr.write('usage: generate-pg --from FILE.db --db postgres://… (an empty database)\n');
    process.exitCode = 2;
  } else {
    loadIntoPostgres(from, db, (m) => process.stderr.write(`generate-pg: ${m}\n`)).then(
      (r) => process.stdout.write(JSON.stringify(r) + '\n'),
      (err: unknown) => {
        process.stderr.write(`generate-pg: ${(err as Error).message}\n`);
        process.exitCode = 1;
      },
    );
  }
}
