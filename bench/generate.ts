/**
 * Fills a database with N pipelines in a realistic mix of states, with their state history and
 * audit rows, fast enough for 1,000,000 pipelines in well under a minute:
 *
 *   npm run generate -- --db PATH --pipelines N [--seed S] [--audit-per-pipeline K] [--force]
 *
 * How it stays fast without breaking the database's invariants:
 * - the file is built under a temporary name with the journal off, in big transactions with
 *   prepared statements, and renamed into place (WAL mode) only when complete;
 * - secondary indexes and triggers of pipelines / state_history / audit are dropped first and
 *   recreated at the end from their own SQL in sqlite_master (so indexes and triggers other
 *   migrations add are kept too); the history indexes are recreated just before history is
 *   written, which fills them faster than sorting afterwards;
 * - history rows are inserted by one INSERT … SELECT joining each pipeline with the path of
 *   states that led to its state (what the history trigger would have written), with dense ids
 *   in (pipeline, step) order: each book's rows are consecutive, so its prev_id chain and its
 *   last_history_id are known when the book row is written;
 * - `live_hash` is content_hash unless the state is dead, as the live-hash triggers set it;
 * - `pipeline_counts` is recomputed from the table at the end;
 * - audit rows are hash-chained exactly as AuditLog.append chains them (`audit verify` passes),
 *   with ids in time order within each chunk; a book's rows all fall in its chunk, so the chunk's
 *   book rows are written after its audit ids are known (last_audit_id, pipeline_prev_id).
 * Ids and content hashes are unique by construction (the row number is part of each).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from '../src/db/db.js';
import { auditRowHash } from '../src/db/audit.js';
import { BOOK_TYPES, type PipelineState } from '../src/domain/states.js';
import { createRng } from '../src/demo/genres.js';
import { DEAD_STATES } from '../src/db/migrations.js';

export interface GenerateOptions {
  dbPath: string;
  pipelines: number;
  seed?: number;
  auditPerPipeline?: number;
  /** Replace an existing file. */
  force?: boolean;
  /** "Now" for the generated data (default Date.now()). */
  now?: number;
  log?: (message: string) => void;
}

export interface GenerateReport {
  pipelines: number;
  history: number;
  audit: number;
  seconds: number;
  byState: Record<string, number>;
}


const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function pick<T>(r: () => number, weighted: readonly (readonly [T, number])[]): T {
  let x = r();
  for (const [v, w] of weighted) {
    x -= w;
    if (x < 0) return v;
  }
  return weighted[weighted.length - 1]![0];
}

const FULL: PipelineState[] = [
  'detected', 'hashing', 'classifying', 'selecting_strategy', 'processing', 'validating',
  'pending_approval', 'approved', 'embedding', 'complete',
];
const upTo = (s: PipelineState) => FULL.slice(0, FULL.indexOf(s) + 1);

/** The states each final state was reached through (what the history trigger records). */
const PATHS: Record<string, PipelineState[]> = {
  complete: FULL,
  archived: [...FULL, 'archived'],
  detected: ['detected'],
  needs_retry: ['detected', 'hashing', 'classifying', 'needs_retry'],
  approved: upTo('approved'),
  pending_approval: upTo('pending_approval'),
  hashing: upTo('hashing'),
  classifying: upTo('classifying'),
  selecting_strategy: upTo('selecting_strategy'),
  processing: upTo('processing'),
  validating: upTo('validating'),
  embedding: upTo('embedding'),
  failed: ['detected', 'hashing', 'classifying', 'selecting_strategy', 'processing', 'failed'],
  rejected: [...upTo('pending_approval'), 'rejected'],
  duplicate: ['duplicate'],
};

/** Relative time spent in each state before leaving it (shapes the history durations). */
const DWELL: Record<string, number> = {
  detected: 30, hashing: 2, classifying: 6, selecting_strategy: 1, processing: 45, validating: 5,
  pending_approval: 90, approved: 10, embedding: 35, complete: 400, needs_retry: 20,
};

/** Fraction of the book's span (created → entered its state) at which step k happened. */
const FRACTIONS: Record<string, number[]> = Object.fromEntries(
  Object.entries(PATHS).map(([final, steps]) => {
    const weights = steps.slice(0, -1).map((s) => DWELL[s] ?? 10);
    const total = weights.reduce((a, b) => a + b, 0) || 1;
    let acc = 0;
    const fr = [0];
    for (const w of weights) {
      acc += w;
      fr.push(acc / total);
    }
    fr[fr.length - 1] = 1;
    return [final, fr];
  }),
);

const actorOf = (to: PipelineState, approver: string, worker: string): string =>
  to === 'detected' || to === 'duplicate'
    ? 'human:ops'
    : to === 'approved' || to === 'rejected'
      ? approver
      : to === 'archived'
        ? 'human:curator'
        : `system:worker:${worker}`;

// Finished books (older 88%) and recent books (the newest 12%, where the live work is).
const OLD_MIX = [
  ['complete', 0.955], ['archived', 0.006], ['failed', 0.014], ['rejected', 0.013], ['duplicate', 0.012],
] as const;
const RECENT_MIX = [
  ['detected', 0.5], ['needs_retry', 0.08], ['approved', 0.04], ['pending_approval', 0.25],
  ['hashing', 0.008], ['classifying', 0.008], ['selecting_strategy', 0.005], ['processing', 0.015],
  ['validating', 0.007], ['embedding', 0.007], ['complete', 0.04], ['duplicate', 0.02], ['failed', 0.01],
  ['rejected', 0.01],
] as const;
const PRIORITY_MIX = [
  [1, 0.02], [2, 0.03], [3, 0.1], [4, 0.1], [5, 0.5], [6, 0.1], [7, 0.05], [8, 0.05], [9, 0.03], [10, 0.02],
] as const;
const FORMATS = [['epub', 0.45], ['pdf', 0.35], ['txt', 0.08], ['markdown', 0.06], ['html', 0.06]] as const;
const EXT: Record<string, string> = { epub: 'epub', pdf: 'pdf', txt: 'txt', markdown: 'md', html: 'html' };
const APPROVERS = [['auto:high_confidence', 0.6], ['human:alice', 0.25], ['human:bob', 0.15]] as const;
const REASONS = ['scanned images only', 'wrong language', 'not a book', 'poor OCR quality', 'duplicate edition'];
const WORKERS = ['gen-worker-1', 'gen-worker-2', 'gen-worker-3', 'gen-worker-4'];
const CLAIMABLE = new Set(['detected', 'needs_retry', 'approved']);
const WORKING = new Set(['hashing', 'classifying', 'selecting_strategy', 'processing', 'validating', 'embedding']);
const DEAD = new Set<string>(DEAD_STATES);

const DAY = 86_400_000;
const CHUNK = 20_000;
/** Rows per INSERT statement while loading (32 pipelines × 32 columns stays far below SQLite's 32,766 parameters). */
const ROWS_PER_INSERT = 32;
/** Parameters of one audit row in the load's INSERT. */
const AUDIT_PARAMS = 13;

interface AuditEvent {
  /** The book's index within its chunk. */
  book: number;
  at: number;
  action: string;
  actor: string;
  pipeline_id: string;
  reason: string | null;
  before_value: string | null;
  after_value: string | null;
  confidence: number | null;
  details_json: string | null;
}

export function generate(options: GenerateOptions): GenerateReport {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const n = options.pipelines;
  if (!Number.isInteger(n) || n < 1) throw new Error('--pipelines must be a whole number above 0');
  const auditPer = options.auditPerPipeline ?? 3;
  if (!Number.isInteger(auditPer) || auditPer < 0 || auditPer > 100) throw new Error('--audit-per-pipeline must be 0..100');
  const r = createRng(options.seed ?? 1);
  const now = options.now ?? Date.now();
  const target = path.resolve(options.dbPath);
  if (fs.existsSync(target) && !options.force) throw new Error(`${target} exists (use --force to replace it)`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.generating-${process.pid}`;
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) fs.rmSync(f, { force: true });

  // Schema through the real migrations, then a raw connection tuned for bulk loading.
  openDatabase(tmp).close();
  const db = new Database(tmp);
  db.pragma('journal_mode = DELETE');
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('cache_size = -1048576');
  db.pragma('temp_store = MEMORY');
  db.pragma('threads = 2');
  db.pragma('foreign_keys = OFF');

  const TABLES = ['pipelines', 'state_history', 'audit'];
  // Every secondary index is dropped and rebuilt afterwards: one sort per index beats keeping
  // them during the load (measured: keeping even the nearly-ascending ones was slower; at 1M books
  // keeping audit_actor and audit_action cost 5.5 s of load for 3.6 s of sorting saved).
  const KEEP = new Set<string>();
  // Except the history indexes, rebuilt just before the history INSERT … SELECT and filled by it:
  // their keys arrive as a few near-ascending runs (one per state, by time), cheap to insert, while
  // sorting 5.4M learning keys that tie on their first (text) column took ~11 s (measured at 1M
  // books: history + learning index 17.5 s sorted afterwards, 13.1 s filled during the insert).
  const WITH_HISTORY = new Set<string>(['state_history_learning', 'state_history_finished']);
  const saved = (
    db
      .prepare(
        `SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN (${TABLES.map(() => '?').join(',')})
         AND type IN ('index', 'trigger') AND sql IS NOT NULL`,
      )
      .all(...TABLES) as { type: string; name: string; sql: string }[]
  ).filter((o) => !(o.type === 'index' && KEEP.has(o.name)));
  for (const o of saved) db.exec(`DROP ${o.type.toUpperCase()} ${o.name}`);
  log(`dropped ${saved.filter((o) => o.type === 'index').length} indexes and ${saved.filter((o) => o.type === 'trigger').length} triggers for the load`);

  // last_audit_id is the final parameter (set once the chunk's audit ids are known).
  const insertPipeline = db.prepare(`INSERT INTO pipelines (rowid, id, source_path, content_hash, size, format, state,
    priority, base_priority, book_type, confidence, result_json, error_json, attempts, max_attempts, next_attempt_at,
    lease_owner, lease_token, lease_expires_at, heartbeat_at, duplicate_of, version, created_at, updated_at,
    state_entered_at, completed_at, approved_by, last_actor, transition_note, live_hash, last_history_id, last_audit_id)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  // Rows go in ROWS_PER_INSERT at a time: one statement per row spent a visible share of the load
  // in binding and stepping 4M statements.
  const auditInsert = (rows: number) =>
    db.prepare(`INSERT INTO audit (id, at, action, actor, pipeline_id, batch_id, reason,
      before_value, after_value, filter_json, ids_json, count, confidence, details_json, prev_hash, hash, pipeline_prev_id)
      VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, NULL, ?, ?, ?, NULL, NULL, NULL, ?, ?, ?, ?, ?)').join(', ')}`);
  const insertAudit = auditInsert(1);
  const insertAuditMany = auditInsert(ROWS_PER_INSERT);
  const insertPipelineMany = db.prepare(
    insertPipeline.source.replace(/VALUES \(([^)]*)\)\s*$/, (_, one: string) => `VALUES ${Array.from({ length: ROWS_PER_INSERT }, () => `(${one})`).join(', ')}`),
  );

  const randHex = (bytes: number) => {
    let s = '';
    for (let i = 0; i < bytes; i++) s += HEX[(r() * 256) | 0];
    return s;
  };
  const seq8 = (i: number) => (i >>> 0).toString(16).padStart(8, '0');

  const start = now - 180 * DAY;
  const recentFrom = Math.floor(n * 0.88);
  const gap = (now - 60_000 - start) / n;
  let auditId = 0;
  let historyId = 0;
  let prevHash: string | null = null;
  let auditRows = 0;
  let lastComplete: { id: string; hash: string } | undefined;
  const byState: Record<string, number> = {};

  for (let from = 0; from < n; from += CHUNK) {
    const to = Math.min(n, from + CHUNK);
    const events: AuditEvent[] = [];
    const books: unknown[][] = [];
    db.transaction(() => {
      for (let i = from; i < to; i++) {
        const state = (i < recentFrom ? pick(r, OLD_MIX) : pick(r, RECENT_MIX)) as PipelineState;
        byState[state] = (byState[state] ?? 0) + 1;
        const id = randHex(12) + seq8(i);
        const format = pick(r, FORMATS);
        const created = Math.floor(start + i * gap + r() * gap * 0.9);
        const room = now - created;
        const claimable = CLAIMABLE.has(state);
        const working = WORKING.has(state);
        const priority = claimable ? pick(r, PRIORITY_MIX) : r() < 0.8 ? 5 : pick(r, PRIORITY_MIX);
        let span: number;
        if (state === 'detected' || state === 'duplicate') span = 0;
        else if (working) span = Math.min(room, 30_000 + Math.floor(r() * 20 * 60_000));
        else span = Math.min(room, 5 * 60_000 + Math.floor(r() * 2 * DAY));
        const entered = created + span;
        const steps = PATHS[state]!;
        const fr = FRACTIONS[state]!;
        const stepAt = (k: number) => created + Math.floor(span * fr[k]!);
        const approver = pick(r, APPROVERS);
        const worker = WORKERS[(r() * WORKERS.length) | 0]!;
        const typed = steps.includes('validating') && state !== 'validating';
        const bookType = typed ? BOOK_TYPES[(r() * (BOOK_TYPES.length - 1)) | 0]! : null;
        const confidence = typed ? Math.round((0.35 + r() * 0.64) * 100) / 100 : null;
        const approvedAt = steps.includes('approved') ? stepAt(steps.indexOf('approved')) : null;

        let hash = randHex(24) + seq8(i) + '0000000000000000';
        let duplicateOf: string | null = null;
        if (state === 'duplicate' && lastComplete) {
          hash = lastComplete.hash;
          duplicateOf = lastComplete.id;
        }
        let leaseOwner: string | null = null;
        let leaseToken: string | null = null;
        let leaseExpires: number | null = null;
        let heartbeat: number | null = null;
        if (working) {
          leaseOwner = worker;
          leaseToken = `gen-${randHex(6)}`;
          // One in five leases has expired (a worker died): what stuck detection must find.
          leaseExpires = r() < 0.2 ? now - 60_000 - Math.floor(r() * 3_600_000) : now + 5 * 60_000;
          heartbeat = leaseExpires - 5 * 60_000;
        }
        let attempts = 0;
        let nextAttempt: number | null = null;
        let error: string | null = null;
        if (state === 'needs_retry') {
          attempts = 1 + ((r() * 3) | 0);
          nextAttempt = now + Math.floor((r() - 0.5) * 3_600_000);
          error = '{"code":"timeout","message":"stage timed out"}';
        } else if (state === 'failed') {
          attempts = 5;
          error = '{"code":"corrupt_file","message":"PDF has no pages"}';
        } else if (state !== 'detected' && state !== 'duplicate') {
          attempts = r() < 0.95 ? 1 : 2;
        }
        const done = state === 'complete' || state === 'archived';
        const completedAt = done ? stepAt(FULL.length - 1) : null;
        const last = steps[steps.length - 1]!;
        historyId += steps.length;
        const book = books.length;
        books.push([
          i + 1, id, `/library/${bookType ?? 'incoming'}/${seq8(i)}.${EXT[format]}`, hash,
          20_000 + Math.floor(r() * 30_000_000), format, state, priority, priority, bookType, confidence,
          done ? `{"chapters":${5 + ((r() * 40) | 0)},"chunks":${50 + ((r() * 900) | 0)}}` : null, error,
          attempts, 5, nextAttempt, leaseOwner, leaseToken, leaseExpires, heartbeat, duplicateOf, steps.length - 1,
          created, entered, entered, completedAt, approvedAt !== null ? approver : null,
          actorOf(last, approver, worker), state === 'duplicate' && duplicateOf ? `same content as ${duplicateOf.slice(0, 8)}` : null,
          DEAD.has(state) ? null : hash, historyId, null,
        ]);
        if (state === 'complete') lastComplete = { id, hash };

        if (auditPer > 0) {
          const ev = (at: number, action: string, actor: string, extra: Partial<AuditEvent> = {}) =>
            events.push({
              book, at, action, actor, pipeline_id: id, reason: null, before_value: null, after_value: null,
              confidence: null, details_json: null, ...extra,
            });
          const own: number = events.length;
          if (state === 'duplicate') {
            ev(created, 'DUPLICATE_DETECTED', 'human:ops', {
              after_value: '"duplicate"', details_json: JSON.stringify({ duplicate_of: duplicateOf }),
            });
          } else {
            ev(created, 'QUEUED', 'human:ops', { after_value: '"detected"', details_json: `{"priority":${priority}}` });
          }
          if (approvedAt !== null) {
            ev(approvedAt, 'APPROVED', approver, { before_value: '"pending_approval"', after_value: '"approved"', confidence });
          }
          if (state === 'rejected') {
            ev(entered, 'REJECTED', approver.startsWith('auto') ? 'human:alice' : approver, {
              reason: REASONS[(r() * REASONS.length) | 0]!, before_value: '"pending_approval"', after_value: '"rejected"', confidence,
            });
          }
          if (state === 'archived') {
            ev(entered, 'ROLLED_BACK', 'human:curator', { reason: 'superseded edition', before_value: '"complete"', after_value: '"archived"' });
          }
          // Fill up to K rows per book with priority changes over its life.
          let p: number = priority;
          while (events.length - own < auditPer) {
            const q = 1 + ((r() * 10) | 0);
            ev(created + Math.floor(r() * Math.max(1, span)), 'PRIORITY_CHANGED', r() < 0.5 ? 'human:ops' : 'auto:aging', {
              before_value: String(p), after_value: String(q), details_json: `{"state":"${state}"}`,
            });
            p = q;
          }
          if (events.length - own > auditPer) events.length = own + auditPer;
        }
      }
      // Audit ids follow time within the chunk; the chain runs through every row in id order, and
      // each book's trail through its own rows (pipeline_prev_id, newest in last_audit_id).
      events.sort((a, b) => a.at - b.at);
      const lastAudit = new Float64Array(books.length); // 0: none yet
      const bookPrev = new Float64Array(events.length);
      for (let k = 0; k < events.length; k++) {
        const e = events[k]!;
        bookPrev[k] = lastAudit[e.book]!;
        lastAudit[e.book] = auditId + 1 + k;
      }
      const lastAuditCol = books[0]!.length - 1;
      let pending: unknown[] = [];
      for (let b = 0; b < books.length; b++) {
        const row = books[b]!;
        if (lastAudit[b]) row[lastAuditCol] = lastAudit[b];
        pending.push(...row);
        if (pending.length === row.length * ROWS_PER_INSERT) {
          insertPipelineMany.run(pending);
          pending = [];
        }
      }
      for (let k = 0; k < pending.length; k += books[0]!.length) insertPipeline.run(pending.slice(k, k + books[0]!.length));
      let auditPending: unknown[] = [];
      for (let k = 0; k < events.length; k++) {
        const e = events[k]!;
        const row = {
          at: e.at, action: e.action, actor: e.actor, pipeline_id: e.pipeline_id, batch_id: null, reason: e.reason,
          before_value: e.before_value, after_value: e.after_value, filter_json: null, ids_json: null, count: null,
          confidence: e.confidence, details_json: e.details_json,
        };
        const h = auditRowHash(prevHash, row);
        auditPending.push(++auditId, e.at, e.action, e.actor, e.pipeline_id, e.reason, e.before_value, e.after_value,
          e.confidence, e.details_json, prevHash, h, bookPrev[k] || null);
        prevHash = h;
        if (auditPending.length === AUDIT_PARAMS * ROWS_PER_INSERT) {
          insertAuditMany.run(auditPending);
          auditPending = [];
        }
      }
      for (let k = 0; k < auditPending.length; k += AUDIT_PARAMS) insertAudit.run(auditPending.slice(k, k + AUDIT_PARAMS));
      auditPending = [];
      auditRows += events.length;
    })();
    if ((to / CHUNK) % 10 === 0 || to === n) log(`${to.toLocaleString('en-US')} pipelines, ${auditRows.toLocaleString('en-US')} audit rows (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }

  // History: what the trigger would have written, one INSERT … SELECT over a small path table.
  // Into the empty table in (book, step) order, the rows take ids 1, 2, 3, …: a book's rows get
  // last_history_id - len + 1 … last_history_id (set at insert, above), which prev_id follows.
  // (Letting SQLite number them measured ~1 s faster at 1M books than explicit ids.)
  db.exec(`CREATE TEMP TABLE gen_path (final TEXT, step INTEGER, len INTEGER, from_state TEXT, to_state TEXT, frac REAL, prev_frac REAL, actor_kind TEXT)`);
  const insPath = db.prepare('INSERT INTO gen_path VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  for (const [final, steps] of Object.entries(PATHS)) {
    const fr = FRACTIONS[final]!;
    steps.forEach((to, k) => {
      const kind = to === 'detected' || to === 'duplicate' ? 'ops' : to === 'approved' || to === 'rejected' ? 'approver' : to === 'archived' ? 'curator' : 'worker';
      insPath.run(final, k, steps.length, k === 0 ? null : steps[k - 1]!, to, fr[k]!, k === 0 ? null : fr[k - 1]!, kind);
    });
  }
  db.exec('CREATE INDEX temp.gen_path_final ON gen_path(final, step)');
  const historyStarted = performance.now();
  for (const o of saved.filter((x) => x.type === 'index' && WITH_HISTORY.has(x.name))) db.exec(o.sql);
  const history = db.transaction(
    () =>
      db
        .prepare(
          `INSERT INTO state_history (prev_id, pipeline_id, from_state, to_state, at, duration_ms, actor, details)
           SELECT CASE WHEN g.step = 0 THEN NULL ELSE p.last_history_id - g.len + g.step END,
                  p.id, g.from_state, g.to_state,
                  p.created_at + CAST((p.state_entered_at - p.created_at) * g.frac AS INTEGER),
                  CASE WHEN g.prev_frac IS NULL THEN NULL
                       ELSE CAST((p.state_entered_at - p.created_at) * g.frac AS INTEGER)
                          - CAST((p.state_entered_at - p.created_at) * g.prev_frac AS INTEGER) END,
                  CASE g.actor_kind WHEN 'ops' THEN 'human:ops' WHEN 'curator' THEN 'human:curator'
                       WHEN 'approver' THEN COALESCE(p.approved_by, 'human:alice')
                       ELSE 'system:worker:' || COALESCE(p.lease_owner, 'gen-worker-1') END,
                  CASE WHEN g.to_state = 'duplicate' THEN p.transition_note END
           FROM pipelines p JOIN gen_path g ON g.final = p.state ORDER BY p.rowid, g.step`,
        )
        .run().changes,
  )();
  // Cheap guard on the numbering: a sample of books must own their first and last rows.
  const ends = db.prepare(
    `SELECT (SELECT COUNT(*) FROM state_history h WHERE h.id = p.last_history_id AND h.pipeline_id = p.id AND h.to_state = p.state)
          + (SELECT COUNT(*) FROM state_history h WHERE h.id = p.last_history_id - g.len + 1 AND h.pipeline_id = p.id AND h.prev_id IS NULL)
     FROM pipelines p JOIN gen_path g ON g.final = p.state AND g.step = 0 WHERE p.rowid = ?`,
  ).pluck();
  for (let k = 0; k <= 1000; k++) {
    if (ends.get(1 + Math.floor(((n - 1) * k) / 1000)) !== 2) throw new Error('history ids are not in (book, step) order');
  }
  if (history !== historyId) throw new Error(`expected ${historyId} history rows, wrote ${history}`);
  log(`${history.toLocaleString('en-US')} history rows, with their indexes (${((performance.now() - historyStarted) / 1000).toFixed(1)} s)`);

  db.transaction(() => {
    db.exec('DELETE FROM pipeline_counts');
    db.exec('INSERT INTO pipeline_counts (state, priority, n) SELECT state, priority, COUNT(*) FROM pipelines GROUP BY state, priority');
    const ins = db.prepare(
      `INSERT INTO workers (id, pid, host, started_at, heartbeat_at, concurrency, info_json)
       VALUES (?, NULL, 'generated', ?, ?, 2, '{}') ON CONFLICT (id) DO NOTHING`,
    );
    for (const w of WORKERS) ins.run(w, now - DAY, now - 5_000);
  })();

  const indexStarted = performance.now();
  for (const o of saved.filter((x) => x.type === 'index' && !WITH_HISTORY.has(x.name))) db.exec(o.sql);
  log(`recreated indexes (${((performance.now() - indexStarted) / 1000).toFixed(1)} s)`);
  for (const o of saved.filter((x) => x.type === 'trigger')) db.exec(o.sql);
  db.exec('DROP TABLE temp.gen_path');
  db.pragma('locking_mode = NORMAL');
  db.pragma('journal_mode = WAL');
  db.close();
  // One more open through the real code path (pragmas, migrations check), then into place.
  openDatabase(tmp).close();
  for (const f of [target, `${target}-wal`, `${target}-shm`]) fs.rmSync(f, { force: true });
  fs.renameSync(tmp, target);
  for (const f of [`${tmp}-wal`, `${tmp}-shm`]) fs.rmSync(f, { force: true });
  const seconds = (performance.now() - started) / 1000;
  log(`done in ${seconds.toFixed(1)} s: ${target}`);
  return { pipelines: n, history, audit: auditRows, seconds, byState };
}

function parseCli(argv: string[]): GenerateOptions {
  const opts: Partial<GenerateOptions> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const num = () => {
      const v = Number(value());
      if (!Number.isFinite(v)) throw new Error(`${flag} needs a number`);
      return v;
    };
    switch (flag) {
      case '--db': opts.dbPath = value(); break;
      case '--pipelines': opts.pipelines = num(); break;
      case '--seed': opts.seed = num(); break;
      case '--audit-per-pipeline': opts.auditPerPipeline = num(); break;
      case '--force': opts.force = true; break;
      default: throw new Error(`unknown flag '${a}' (usage: generate --db PATH --pipelines N [--seed S] [--audit-per-pipeline K] [--force])`);
    }
  }
  if (!opts.dbPath) throw new Error('--db PATH is required');
  if (opts.pipelines === undefined) throw new Error('--pipelines N is required');
  return opts as GenerateOptions;
}

const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (isMain) {
  try {
    const report = generate({ ...parseCli(process.argv.slice(2)), log: (m) => process.stderr.write(`generate: ${m}\n`) });
    process.stdout.write(JSON.stringify(report) + '\n');
  } catch (err) {
    process.stderr.write(`generate: ${(err as Error).message}\n`);
    process.exitCode = 2;
  }
}
