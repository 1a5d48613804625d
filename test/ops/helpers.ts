/** Shared set-up for the ops tests: a real database file, a movable clock, and books in any state. */
import { createServices, type SqliteServices as Services } from '../../src/services.js';
import type { OpsConfigInput } from '../../src/config/ops.js';
import type { PipelineState } from '../../src/domain/states.js';
import type { PipelineRow } from '../../src/db/pipeline-row.js';
import { tempDbPath } from '../helpers/tmp.js';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
export const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);

export interface TestClock {
  (): number;
  set(t: number): void;
  advance(ms: number): void;
}

export function testClock(start = T0): TestClock {
  let now = start;
  const c = (() => now) as TestClock;
  c.set = (t) => (now = t);
  c.advance = (ms) => (now += ms);
  return c;
}

export function setup(opsConfig: OpsConfigInput = {}, dbPath = tempDbPath()): { s: Services; clock: TestClock; dbPath: string } {
  const clock = testClock();
  const s = createServices(dbPath, { clock, opsConfig });
  return { s, clock, dbPath };
}

let counter = 0;

export interface BookSpec {
  state?: PipelineState;
  priority?: number;
  /** ms since epoch; default now. */
  created_at?: number;
  state_entered_at?: number;
  book_type?: string | null;
  confidence?: number | null;
  source_path?: string;
  lease_owner?: string | null;
  lease_token?: string | null;
  lease_expires_at?: number | null;
  attempts?: number;
  max_attempts?: number;
  completed_at?: number | null;
  auto_recoveries?: number;
  content_hash?: string | null;
  approved_by?: string | null;
}

/** Inserts a book and sets its columns directly (triggers keep counts and history right). */
export function addBook(s: Services, spec: BookSpec = {}): PipelineRow {
  const n = ++counter;
  const row = s.pipelines.insert({
    source_path: spec.source_path ?? `/library/book-${n}.epub`,
    content_hash: spec.content_hash === undefined ? `hash-${n}-${Math.random().toString(16).slice(2)}` : spec.content_hash,
    priority: spec.priority ?? 5,
    actor: 'system:test',
  });
  const now = s.clock();
  const cols: Record<string, unknown> = {
    state: spec.state ?? 'detected',
    created_at: spec.created_at ?? now,
    state_entered_at: spec.state_entered_at ?? spec.created_at ?? now,
  };
  for (const k of [
    'book_type', 'confidence', 'lease_owner', 'lease_token', 'lease_expires_at', 'attempts', 'max_attempts',
    'completed_at', 'auto_recoveries', 'approved_by',
  ] as const) {
    if (spec[k] !== undefined) cols[k] = spec[k];
  }
  const keys = Object.keys(cols);
  s.db.prepare(`UPDATE pipelines SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE id = @id`).run({ ...cols, id: row.id });
  return s.pipelines.require(row.id);
}

/** A book in a working state held by a worker; `leaseExpiresIn` may be negative (expired). */
export function addWorking(s: Services, state: PipelineState, inStateMs: number, leaseExpiresIn = 5 * MIN, extra: BookSpec = {}): PipelineRow {
  const now = s.clock();
  return addBook(s, {
    state,
    state_entered_at: now - inStateMs,
    created_at: now - inStateMs - MIN,
    lease_owner: 'w1',
    lease_token: `tok-${Math.random().toString(16).slice(2)}`,
    lease_expires_at: now + leaseExpiresIn,
    attempts: 1,
    ...extra,
  });
}

export function auditCount(s: Services, action?: string): number {
  return action
    ? (s.db.prepare('SELECT COUNT(*) AS n FROM audit WHERE action = ?').get(action) as { n: number }).n
    : (s.db.prepare('SELECT COUNT(*) AS n FROM audit').get() as { n: number }).n;
}
