/**
 * `migrate-to`: the SQLite file copied into an empty PostgreSQL database, in ONE PostgreSQL
 * transaction, checked before it commits. Everything a person can observe moves verbatim: books
 * (every column, version and leases included), their history, the audit log with its ids,
 * hashes and deletion records, the chain head, workers, learned durations, and the library
 * (embedding bytes exact).
 *
 * Why it is done this way:
 * - One SQLite read transaction (a WAL snapshot) feeds the whole copy, so the copy is of one
 *   moment even if something touched the file meanwhile; and one PostgreSQL transaction holds
 *   it, so a copy that dies half-way (killed, server gone, a row PostgreSQL refuses) leaves the
 *   target exactly as empty as it was, and running it again just works.
 * - Rows are written many per statement (`INSERT … SELECT FROM unnest($1::type[], …)`): a
 *   statement per row would be a network round trip per row, hours for 10M audit rows.
 * - Triggers that would invent or refuse rows are disabled inside the transaction only
 *   (`ALTER TABLE … DISABLE TRIGGER` is transactional, so a rollback re-enables them): the
 *   history trigger would add a second "created" row per book, the audit insert check would
 *   refuse rows whose book already points at them, and the count trigger is replaced by one
 *   recount. Triggers other schema parts add (aggregates) stay on and see every row.
 * - Leases are kept as they are: a book in a working state without a lease would be stuck
 *   forever, while a kept lease that has expired is rescued on PostgreSQL exactly as it would
 *   have been on the file. Live leases are refused unless forced (a running worker would keep
 *   writing to the file, and those writes would not be on the server).
 * - pipelines.queue_seq (the insertion order the duplicate rule uses) is SQLite's rowid, so the
 *   book queued first stays first.
 * - The chain head takes SQLite's high-water mark (sqlite_sequence) and the hash the file's next
 *   entry would have linked to, so the first entry written on PostgreSQL chains onto the copied
 *   ones, and "entries removed from the end" still shows.
 */
import type pg from 'pg';
import type { Db } from '../db.js';
import { openDatabase } from '../db.js';
import { AuditLog } from '../audit.js';
import type { AuditVerifyReport } from '../audit.js';
import { InputError } from '../../domain/errors.js';
import { STATES } from '../../domain/states.js';
import { formatCount as count } from '../../text/format.js';
import { DEFAULT_LEASE_MS_SQL, leaseMsSql } from '../sqlite/stats-sql.js';
import { createPgEngine } from './engine.js';
import { parseLocation } from './connect.js';
import { verifyPg } from './audit-verify.js';
import { run } from './sql.js';

/** One column: its name on both sides (or a SQLite expression for it) and its PostgreSQL type. */
interface Column {
  name: string;
  type: string;
  /** What to read from SQLite instead of the column of the same name. */
  from?: string;
}

interface Table {
  name: string;
  columns: readonly Column[];
  /** Rows per INSERT: a few thousand keeps each statement's parameters a few MB. */
  pageRows: number;
  /** Identity columns GENERATED ALWAYS need OVERRIDING SYSTEM VALUE to take the copied value. */
  overriding?: boolean;
}

const col = (name: string, type: string, from?: string): Column => (from ? { name, type, from } : { name, type });

/**
 * The tables in the order they are written (a row's references are written before it). Not
 * copied: pipeline_counts (recounted from the books), SQLite's own bookkeeping (live_hash,
 * last_history_id, state_history.prev_id: PostgreSQL computes or indexes those), audit_gate
 * (closed on both). SQLite's audit_meta/audit_deletions_meta become the one audit_marks row.
 */
const TABLES: readonly Table[] = [
  {
    name: 'pipelines',
    pageRows: 5000,
    overriding: true,
    columns: [
      col('id', 'text'), col('source_path', 'text'), col('content_hash', 'text'), col('size', 'bigint'),
      col('format', 'text'), col('state', 'text'), col('priority', 'integer'), col('base_priority', 'integer'),
      col('book_type', 'text'), col('confidence', 'float8'), col('profile_json', 'json'), col('strategy_json', 'json'),
      col('result_json', 'json'), col('error_json', 'json'), col('attempts', 'integer'), col('max_attempts', 'integer'),
      col('next_attempt_at', 'bigint'), col('lease_owner', 'text'), col('lease_token', 'text'),
      col('lease_expires_at', 'bigint'), col('heartbeat_at', 'bigint'), col('auto_recoveries', 'integer'),
      col('version', 'integer'), col('created_at', 'bigint'), col('updated_at', 'bigint'),
      col('state_entered_at', 'bigint'), col('completed_at', 'bigint'), col('approved_by', 'text'),
      col('last_actor', 'text'), col('transition_note', 'text'), col('last_audit_id', 'bigint'),
      // duplicate_of is set afterwards: it may name a book with a later rowid (a later page).
      col('queue_seq', 'bigint', 'rowid'),
    ],
  },
  {
    name: 'state_history',
    pageRows: 10000,
    overriding: true,
    columns: [
      col('id', 'bigint'), col('pipeline_id', 'text'), col('from_state', 'text'), col('to_state', 'text'),
      col('at', 'bigint'), col('duration_ms', 'bigint'), col('actor', 'text'), col('details', 'text'),
    ],
  },
  {
    name: 'audit',
    pageRows: 5000,
    columns: [
      col('id', 'bigint'), col('at', 'bigint'), col('action', 'text'), col('actor', 'text'), col('pipeline_id', 'text'),
      col('batch_id', 'bigint'), col('reason', 'text'), col('before_value', 'json'), col('after_value', 'json'),
      col('filter_json', 'json'), col('ids_json', 'json'), col('count', 'bigint'), col('confidence', 'float8'),
      col('details_json', 'json'), col('prev_hash', 'text'), col('hash', 'text'), col('pipeline_prev_id', 'bigint'),
      col('hash_version', 'integer'),
    ],
  },
  {
    name: 'audit_deletions',
    pageRows: 10000,
    columns: [
      col('id', 'bigint'), col('prev_id', 'bigint'), col('prev_hash', 'text'), col('hash', 'text'),
      col('by_retention', 'integer'), col('action', 'text'), col('at', 'bigint'), col('pruned_by', 'bigint'),
    ],
  },
  {
    name: 'workers',
    pageRows: 5000,
    columns: [
      col('id', 'text'), col('pid', 'integer'), col('host', 'text'), col('started_at', 'bigint'),
      col('heartbeat_at', 'bigint'), col('stopped_at', 'bigint'), col('concurrency', 'integer'), col('info_json', 'json'),
    ],
  },
  {
    name: 'state_stats',
    pageRows: 5000,
    columns: [
      col('state', 'text'), col('samples', 'bigint'), col('median_ms', 'bigint'), col('p95_ms', 'bigint'),
      col('max_ms', 'bigint'), col('computed_at', 'bigint'),
    ],
  },
  {
    name: 'books',
    pageRows: 5000,
    columns: [
      col('pipeline_id', 'text'), col('title', 'text'), col('author', 'text'), col('language', 'text'),
      col('format', 'text'), col('book_type', 'text'), col('strategy', 'text'), col('chapter_count', 'integer'),
      col('chunk_count', 'integer'), col('word_count', 'bigint'), col('created_at', 'bigint'),
    ],
  },
  {
    name: 'chapters',
    pageRows: 10000,
    columns: [col('id', 'bigint'), col('pipeline_id', 'text'), col('ord', 'integer'), col('title', 'text'), col('word_count', 'bigint')],
  },
  {
    name: 'chunks',
    // Chunk text and embeddings are the big rows (a few KB each).
    pageRows: 1000,
    columns: [
      col('id', 'bigint'), col('pipeline_id', 'text'), col('chapter_id', 'bigint'), col('ord', 'integer'),
      col('text', 'text'), col('word_count', 'bigint'), col('embedding', 'bytea'),
    ],
  },
];

/** Every table a target must have empty, and the copy's verification counts. */
export const COPIED_TABLES = TABLES.map((t) => t.name);

/** Identity sequences moved past the copied values (the next row PostgreSQL writes gets max + 1). */
const IDENTITIES: readonly [table: string, column: string][] = [
  ['pipelines', 'queue_seq'],
  ['state_history', 'id'],
  ['chapters', 'id'],
  ['chunks', 'id'],
];

/** Triggers switched off for the copy, and why each (see the file's comment). */
const QUIET_TRIGGERS: readonly [table: string, trigger: string][] = [
  ['pipelines', 'pipelines_history_insert'],
  ['pipelines', 'pipeline_counts_insert'],
  ['audit', 'audit_check_insert'],
];

function insertSql(t: Table): string {
  const names = t.columns.map((c) => c.name).join(', ');
  const arrays = t.columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ');
  return `INSERT INTO ${t.name} (${names})${t.overriding ? ' OVERRIDING SYSTEM VALUE' : ''} SELECT * FROM unnest(${arrays})`;
}

function pageSql(t: Table): string {
  const cols = t.columns.map((c) => c.from ?? c.name).join(', ');
  return `SELECT rowid, ${cols} FROM ${t.name} WHERE rowid > ? ORDER BY rowid LIMIT ?`;
}

export interface CopyProgress {
  table: string;
  copied: number;
  total: number;
}

export interface CopyOptions {
  /** The SQLite file (must exist and be at this build's schema). */
  source: string;
  /** The PostgreSQL URL; its schema is created or migrated first. */
  target: string;
  /** The audit key both chains are checked with (keyed entries need it). */
  auditKey: Buffer | null;
  /** Copy even though workers look alive on the file. */
  force?: boolean;
  /** Called after each statement of rows. */
  progress?: (p: CopyProgress) => void;
  /** This host's clock, for "is that lease still live" (SQLite's leases are this host's times). */
  now?: () => number;
}

export interface AuditSide {
  intact: boolean;
  checked: number;
  head_id: number;
  head_hash: string | null;
  problems: string[];
}

export interface CopyReport {
  source: string;
  target: string;
  /** Everything matched and the transaction committed. */
  ok: boolean;
  committed: boolean;
  tables: { table: string; source: number; target: number }[];
  states: { state: string; source: number; target: number }[];
  audit: { source: AuditSide; target: AuditSide; same_head: boolean; next_links_to: string | null };
  rows: number;
  copy_ms: number;
  rows_per_second: number;
  /** Live leases and running workers found (copied anyway: --force). */
  forced: { live_leases: number; running_workers: string[] } | null;
  /** Why the copy did not verify (empty when ok). */
  problems: string[];
  /** Things to know that are not failures. */
  notes: string[];
}

/** What would keep writing to the file after the copy: live leases and running workers. */
function liveWork(db: Db, now: number): { leases: number; workers: string[] } {
  const leases = db
    .prepare('SELECT COUNT(*) FROM pipelines WHERE lease_owner IS NOT NULL AND lease_expires_at > ?')
    .pluck()
    .get(now) as number;
  const workers = db
    .prepare(
      `SELECT w.id FROM workers w WHERE w.stopped_at IS NULL
         AND ? - w.heartbeat_at <= COALESCE(${leaseMsSql('w')}, ${DEFAULT_LEASE_MS_SQL}) ORDER BY w.id LIMIT 20`,
    )
    .pluck()
    .all(now) as string[];
  return { leases, workers };
}

/** The hash SQLite's next entry would link to: the last id given out's, deleted or not (AuditLog.appendMany). */
function nextPrevHash(db: Db): { highWater: number; hash: string | null; hashVersion: number | null } {
  const last = db.prepare('SELECT id, hash, hash_version FROM audit ORDER BY id DESC LIMIT 1').get() as
    | { id: number; hash: string; hash_version: number | null }
    | undefined;
  const seq = (db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'audit'`).pluck().get() as number | undefined) ?? 0;
  const highWater = Math.max(seq, last?.id ?? 0);
  const hash =
    last !== undefined && last.id === highWater
      ? last.hash
      : ((db.prepare('SELECT hash FROM audit_deletions WHERE id = ?').pluck().get(highWater) as string | undefined) ?? last?.hash ?? null);
  return { highWater, hash, hashVersion: last?.hash_version ?? null };
}

function side(r: AuditVerifyReport, head: { id: number; hash: string | null }): AuditSide {
  return { intact: r.intact, checked: r.checked, head_id: head.id, head_hash: head.hash, problems: r.problems.map((p) => p.message) };
}

export async function copySqliteToPostgres(options: CopyOptions): Promise<CopyReport> {
  // The URL first: a typo is refused before anything is opened.
  const { shown } = parseLocation(options.target);
  // Read-only: the copy never writes to the file (and refuses a missing one, or a non-database).
  const db = openDatabase(options.source, { readonly: true });
  try {
    // One snapshot for every read below (WAL: writers may go on; they are not copied).
    db.exec('BEGIN');
    const live = liveWork(db, (options.now ?? Date.now)());
    if ((live.leases > 0 || live.workers.length > 0) && !options.force) {
      const what = [
        live.workers.length > 0 ? `worker${live.workers.length === 1 ? '' : 's'} ${live.workers.join(', ')} running` : '',
        live.leases > 0 ? `${count(live.leases)} book${live.leases === 1 ? '' : 's'} leased` : '',
      ].filter(Boolean);
      throw new InputError(
        `${options.source} is in use (${what.join(', ')}): stop the workers first (a running worker keeps writing to the file), or pass --force to copy anyway`,
      );
    }
    const engine = await createPgEngine(options.target, { maxConnections: 1 });
    try {
      return await copyInto(engine.pool, db, shown, options, live);
    } finally {
      await engine.close();
    }
  } finally {
    if (db.inTransaction) db.exec('ROLLBACK');
    db.close();
  }
}

async function copyInto(
  pool: pg.Pool,
  db: Db,
  shown: string,
  options: CopyOptions,
  live: { leases: number; workers: string[] },
): Promise<CopyReport> {
  const client = await pool.connect();
  let committed = false;
  try {
    await client.query('BEGIN');
    try {
      // Nobody else writes while the copy runs (a worker already pointed at the server waits,
      // then sees the whole copy at once); a second migrate-to waits here, then finds it non-empty.
      await client.query(`LOCK TABLE ${[...COPIED_TABLES, 'pipeline_counts', 'audit_chain_head'].join(', ')} IN ACCESS EXCLUSIVE MODE`);
      await refuseNonEmpty(client, shown);
      for (const [table, trigger] of QUIET_TRIGGERS) await client.query(`ALTER TABLE ${table} DISABLE TRIGGER ${trigger}`);
    } catch (err) {
      // Only the tables' owner may lock them all and switch triggers off; the application role
      // (init --app-role) may not, on purpose.
      if ((err as { code?: string }).code !== '42501') throw err;
      await client.query('ROLLBACK');
      const me = (await client.query<{ u: string }>('SELECT current_user AS u')).rows[0]?.u ?? '?';
      throw new InputError(`migrate-to must run as the owner of the tables in ${shown}, not as ${me} (log in as the role that ran init)`);
    }

    const started = performance.now();
    let rows = 0;
    for (const t of TABLES) rows += await copyTable(client, db, t, options.progress);
    await setDuplicates(client, db);
    // The aggregate from the books themselves, in one slot (reads sum the slots).
    await client.query('DELETE FROM pipeline_counts');
    await client.query(
      'INSERT INTO pipeline_counts (state, priority, slot, n) SELECT state, priority, 0, COUNT(*) FROM pipelines GROUP BY state, priority',
    );
    for (const [table, column] of IDENTITIES) {
      await client.query(
        `SELECT setval(pg_get_serial_sequence('${table}', '${column}'), COALESCE((SELECT MAX(${column}) FROM ${table}), 0) + 1, false)`,
      );
    }
    // The file's marks for gaps older than its deletion records, so those stay "unverifiable"
    // on PostgreSQL too instead of reading as tampering.
    await client.query('UPDATE audit_marks SET recorded_from = $1, legacy_upto = $2 WHERE id = 1', [
      (db.prepare('SELECT recorded_from FROM audit_deletions_meta WHERE id = 1').pluck().get() as number | undefined) ?? 0,
      (db.prepare('SELECT legacy_deletions_upto FROM audit_meta WHERE id = 1').pluck().get() as number | undefined) ?? 0,
    ]);
    const next = nextPrevHash(db);
    await client.query('UPDATE audit_chain_head SET pos = $1, hash = $2, hash_version = $3 WHERE id = 1', [
      next.highWater, next.hash, next.hashVersion,
    ]);
    for (const [table, trigger] of QUIET_TRIGGERS) await client.query(`ALTER TABLE ${table} ENABLE TRIGGER ${trigger}`);
    const copyMs = performance.now() - started;

    const report = await verify(client, db, shown, options, next.hash);
    report.rows = rows;
    report.copy_ms = Math.round(copyMs);
    report.rows_per_second = copyMs > 0 ? Math.round(rows / (copyMs / 1000)) : rows;
    report.forced = live.leases > 0 || live.workers.length > 0 ? { live_leases: live.leases, running_workers: live.workers } : null;
    if (report.forced) {
      report.notes.push(
        `copied with --force: ${count(live.leases)} live lease${live.leases === 1 ? '' : 's'}; whatever those workers write to the file now is not on PostgreSQL (their books are rescued there once the leases expire)`,
      );
    }
    if (report.ok) {
      await client.query('COMMIT');
      committed = true;
    } else {
      await client.query('ROLLBACK');
    }
    report.committed = committed;
    return report;
  } catch (err) {
    if (!committed) await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** A target with rows of its own is refused: a merge would mix two chains and two id spaces. */
async function refuseNonEmpty(client: pg.PoolClient, shown: string): Promise<void> {
  const probes = COPIED_TABLES.map((t) => `EXISTS (SELECT 1 FROM ${t}) AS ${t}`).join(', ');
  const r = (await client.query<Record<string, boolean>>(`SELECT ${probes}, (SELECT pos FROM audit_chain_head WHERE id = 1) > 0 AS chain`)).rows[0]!;
  const held = COPIED_TABLES.filter((t) => r[t]);
  if (held.length > 0 || r.chain) {
    await client.query('ROLLBACK');
    const what = held.length > 0 ? held.join(', ') : 'an audit chain that was written to';
    throw new InputError(
      `database ${shown} already holds ${what}: migrate-to copies into an empty database (create a new one, e.g. createdb, and run it again)`,
    );
  }
}

async function copyTable(client: pg.PoolClient, db: Db, t: Table, progress: CopyOptions['progress']): Promise<number> {
  const total = db.prepare(`SELECT COUNT(*) FROM ${t.name}`).pluck().get() as number;
  const page = db.prepare(pageSql(t)).raw(true);
  const insert = insertSql(t);
  let copied = 0;
  let rows = page.all(0, t.pageRows) as unknown[][];
  while (rows.length > 0) {
    const columns: unknown[][] = t.columns.map(() => new Array<unknown>(rows.length));
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      for (let c = 0; c < t.columns.length; c++) columns[c]![r] = row[c + 1];
    }
    // The statement is on its way to the server before the next page is read: the file is read
    // while the server writes, instead of each waiting for the other.
    const written = run(client, insert, columns);
    const next = page.all(rows.at(-1)![0], t.pageRows) as unknown[][];
    await written;
    copied += rows.length;
    progress?.({ table: t.name, copied, total });
    rows = next;
  }
  return copied;
}

/** duplicate_of after every book exists (an original may have been inserted after its copy). */
async function setDuplicates(client: pg.PoolClient, db: Db): Promise<void> {
  const page = db
    .prepare('SELECT rowid, id, duplicate_of FROM pipelines WHERE rowid > ? AND duplicate_of IS NOT NULL ORDER BY rowid LIMIT 5000')
    .raw(true);
  let after = 0;
  for (;;) {
    const rows = page.all(after) as [number, string, string][];
    if (rows.length === 0) return;
    await run(
      client,
      'UPDATE pipelines p SET duplicate_of = x.d FROM unnest($1::text[], $2::text[]) AS x(id, d) WHERE p.id = x.id',
      [rows.map((r) => r[1]), rows.map((r) => r[2])],
    );
    after = rows.at(-1)![0];
  }
}

/**
 * Both sides, before COMMIT: row counts per table, counts by state (the aggregates each side
 * serves), each audit chain by its own engine's verifier, and the same newest entry. The
 * PostgreSQL side reads inside the copy's transaction, so a failure rolls back.
 */
async function verify(client: pg.PoolClient, db: Db, shown: string, options: CopyOptions, nextLink: string | null): Promise<CopyReport> {
  const problems: string[] = [];
  const notes: string[] = [];
  const tables: CopyReport['tables'] = [];
  for (const t of COPIED_TABLES) {
    const source = db.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get() as number;
    const target = Number((await client.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${t}`)).rows[0]!.n);
    tables.push({ table: t, source, target });
    if (source !== target) problems.push(`${t}: ${count(source)} rows in the file, ${count(target)} on PostgreSQL`);
  }

  const sourceStates = new Map(
    (db.prepare('SELECT state, SUM(n) AS n FROM pipeline_counts GROUP BY state').all() as { state: string; n: number }[]).map((r) => [r.state, r.n]),
  );
  const targetStates = new Map(
    (await client.query<{ state: string; n: string }>('SELECT state, SUM(n) AS n FROM pipeline_counts GROUP BY state')).rows.map((r) => [r.state, Number(r.n)]),
  );
  const states: CopyReport['states'] = [];
  for (const state of STATES) {
    const s = sourceStates.get(state) ?? 0;
    const t = targetStates.get(state) ?? 0;
    if (s === 0 && t === 0) continue;
    states.push({ state, source: s, target: t });
    if (s !== t) problems.push(`${state}: ${count(s)} books in the file, ${count(t)} on PostgreSQL`);
  }

  const sourceReport = new AuditLog(db, Date.now, options.auditKey).verify();
  const targetReport = await verifyPg(client, options.auditKey, {});
  const headOf = (rows: { id: number; hash: string }[]) => ({ id: rows[0]?.id ?? 0, hash: rows[0]?.hash ?? null });
  const sourceHead = headOf(db.prepare('SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1').all() as { id: number; hash: string }[]);
  const targetHead = headOf((await client.query<{ id: number; hash: string }>('SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1')).rows);
  const source = side(sourceReport, sourceHead);
  const target = side(targetReport, targetHead);
  const sameHead = sourceHead.id === targetHead.id && sourceHead.hash === targetHead.hash;
  if (!sourceReport.intact) problems.push(`the file's audit chain does not verify: ${source.problems.join('; ')}`);
  // The same walk as the file's (src/db/audit-walk.ts), over the copied rows and marks: retention's
  // removals are checked here as there.
  if (!targetReport.intact) problems.push(`the audit chain on PostgreSQL does not verify: ${target.problems.join('; ')}`);
  if (!sameHead) problems.push(`the newest audit entry differs: #${sourceHead.id} in the file, #${targetHead.id} on PostgreSQL`);

  return {
    source: options.source,
    target: shown,
    ok: problems.length === 0,
    committed: false,
    tables,
    states,
    audit: { source, target, same_head: sameHead, next_links_to: nextLink },
    rows: 0,
    copy_ms: 0,
    rows_per_second: 0,
    forced: null,
    problems,
    notes,
  };
}
