/** Shared set-up for store tests: services over a temp file with a clock the test moves. */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../helpers/cli.js';
import { createServices, type SqliteServices as Services } from '../../src/services.js';
import { auditRowHash } from '../../src/db/audit.js';
import { MIGRATIONS } from '../../src/db/migrations.js';
import type { PipelineState } from '../../src/domain/states.js';
import type { PipelineRow } from '../../src/db/pipeline-row.js';
import { tempDbPath } from '../helpers/tmp.js';

export interface TestClock {
  (): number;
  set(ms: number): void;
  advance(ms: number): void;
}

export function testClock(start = Date.UTC(2026, 0, 1)): TestClock {
  let now = start;
  const c = (() => now) as TestClock;
  c.set = (ms) => (now = ms);
  c.advance = (ms) => (now += ms);
  return c;
}

export function openTest(dbPath = tempDbPath(), clock: TestClock = testClock()): Services & { clockCtl: TestClock } {
  const s = createServices(dbPath, { clock });
  return Object.assign(s, { clockCtl: clock });
}

let counter = 0;
/** A pipeline created directly in `state` (history gets its insert row from the trigger). */
export function seed(s: Services, state: PipelineState, extra: { priority?: number } = {}): PipelineRow {
  counter++;
  return s.pipelines.insert({
    source_path: `/books/b${counter}.epub`,
    content_hash: null,
    state,
    actor: 'system:test',
    ...(extra.priority !== undefined ? { priority: extra.priority } : {}),
  });
}

/** Ids in claim order as the queue must give them: priority, then oldest, then id. */
export function claimOrder(rows: readonly Pick<PipelineRow, 'id' | 'priority' | 'created_at'>[]): string[] {
  return [...rows]
    .sort((a, b) => a.priority - b.priority || a.created_at - b.created_at || (a.id < b.id ? -1 : 1))
    .map((r) => r.id);
}

/** Every row of every table, for before/after comparisons. */
export function dumpAll(dbPath: string): Record<string, unknown[]> {
  const db = new Database(dbPath, { readonly: true });
  try {
    const tables = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
      .pluck()
      .all() as string[];
    const out: Record<string, unknown[]> = {};
    for (const t of tables) {
      out[t] = (db.prepare(`SELECT * FROM "${t}"`).all() as unknown[]).map((r) => JSON.stringify(r)).sort();
    }
    return out;
  } finally {
    db.close();
  }
}

export function historyOf(s: Services, id: string) {
  return s.db.prepare('SELECT * FROM state_history WHERE pipeline_id = ? ORDER BY id').all(id) as {
    from_state: string | null;
    to_state: string;
    actor: string;
    duration_ms: number | null;
    at: number;
    details: string | null;
  }[];
}

export function countsOf(s: Services): Record<string, number> {
  const rows = s.db.prepare('SELECT state, priority, n FROM pipeline_counts WHERE n != 0').all() as {
    state: string;
    priority: number;
    n: number;
  }[];
  return Object.fromEntries(rows.map((r) => [`${r.state}/${r.priority}`, r.n]));
}

/** pipeline_counts recomputed from the table: must always equal the maintained one. */
export function countsFromTable(s: Services): Record<string, number> {
  const rows = s.db.prepare('SELECT state, priority, COUNT(*) AS n FROM pipelines GROUP BY state, priority').all() as {
    state: string;
    priority: number;
    n: number;
  }[];
  return Object.fromEntries(rows.map((r) => [`${r.state}/${r.priority}`, r.n]));
}

/** Runs dist/test/db/child.js once per argument list, all at the same time. */
const CHILD = path.join(ROOT, 'dist/test/db/child.js');

export function runChildren(args: string[][]): Promise<{ code: number; stdout: string; stderr: string }[]> {
  const procs = args.map((a) => spawn(process.execPath, [CHILD, ...a], { stdio: ['pipe', 'pipe', 'pipe'] }));
  return Promise.all(
    procs.map(
      (p) =>
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
          let stdout = '';
          let stderr = '';
          p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
          p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          p.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
        }),
    ),
  );
}


/**
 * A database left at an old schema (4 or 5) with three audit rows under the old hash, the middle
 * one removed by retention as it ran then: through the gate, with no deletion recorded.
 */
export function oldAuditWithRetentionGap(schema: 4 | 5): string {
  const file = tempDbPath();
  const raw = new Database(file);
  raw.pragma('journal_mode = WAL');
  for (const m of MIGRATIONS.slice(0, schema)) raw.exec(m);
  raw.pragma(`user_version = ${schema}`);
  const ins = raw.prepare(
    `INSERT INTO audit (at, action, actor, pipeline_id, batch_id, reason, before_value, after_value, filter_json, ids_json,
       count, confidence, details_json, prev_hash, hash)
     VALUES (@at, @action, @actor, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, @prev_hash, @hash)`,
  );
  let prev: string | null = null;
  for (let i = 0; i < 3; i++) {
    const row = { at: i, action: 'BATCH_QUEUED', actor: 'human:x', pipeline_id: null, batch_id: null, reason: null,
      before_value: null, after_value: null, filter_json: null, ids_json: null, count: null, confidence: null, details_json: null };
    const hash = auditRowHash(prev, row);
    ins.run({ ...row, prev_hash: prev, hash });
    prev = hash;
  }
  raw.exec('UPDATE audit_gate SET open = 1; DELETE FROM audit WHERE id = 2; UPDATE audit_gate SET open = 0;');
  raw.close();
  return file;
}
