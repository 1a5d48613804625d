/**
 * Real SQLite databases for console tests, built through the domain services (no mocks): queued
 * books at several priorities, books waiting for approval with types and confidences, a book
 * whose worker lease expired (stuck), and the audit rows those moves write.
 */
import { createServices, type SqliteServices as Services } from '../../src/services.js';
import type { Actor } from '../../src/domain/actor.js';
import type { PipelineState } from '../../src/domain/states.js';

export const ADMIN: Actor = 'human:tester';
const SYSTEM: Actor = 'system:fixture';

export interface FixtureOptions {
  queued?: number;
  pending?: number;
  stuck?: number;
  /** Books that failed a stage (odd i: failed; even i: needs_retry), each with a stored error. */
  failed?: number;
  /** Milliseconds between books' creation times (claim order among equal priorities). */
  spacingMs?: number;
}

export interface Fixture {
  services: Services;
  /** Moves the services' clock. */
  advance(ms: number): void;
  now(): number;
  queuedIds: string[];
  pendingIds: string[];
  stuckIds: string[];
  failedIds: string[];
}

const PATH_TO_PENDING: PipelineState[] = ['hashing', 'classifying', 'selecting_strategy', 'processing', 'validating', 'pending_approval'];
const TYPES = ['technical_tutorial', 'fiction', 'textbook'];

/** Builds the db at `dbPath` with a clock that starts `startAgoMs` in the past and only moves when told. */
export function buildFixture(dbPath: string, opts: FixtureOptions = {}, startAgoMs = 2 * 3600_000): Fixture {
  let now = Date.now() - startAgoMs;
  const services = createServices(dbPath, { clock: () => now });
  const spacing = opts.spacingMs ?? 1000;
  const queuedIds: string[] = [];
  const pendingIds: string[] = [];
  const stuckIds: string[] = [];
  const failedIds: string[] = [];
  const tick = (): void => {
    now += spacing;
  };
  const insert = (path: string, priority: number): string => {
    const row = services.db.transaction(() => services.pipelines.insert({ source_path: path, priority, actor: SYSTEM }))();
    tick();
    return row.id;
  };
  for (let i = 0; i < (opts.pending ?? 0); i++) {
    const id = insert(`/library/pending/book-${String(i).padStart(4, '0')}.epub`, 5);
    for (const to of PATH_TO_PENDING) {
      const cur = services.pipelines.require(id);
      services.pipelines.transition({
        id,
        from: cur.state,
        to,
        actor: SYSTEM,
        ...(to === 'selecting_strategy' ? { patch: { book_type: TYPES[i % TYPES.length]!, confidence: 0.5 + ((i * 7) % 50) / 100 } } : {}),
      });
    }
    pendingIds.push(id);
  }
  for (let i = 0; i < (opts.stuck ?? 0); i++) {
    const id = insert(`/library/stuck/stalled-${i}.pdf`, 1);
    const claim = services.queue.claimNext('w-gone', 60_000);
    if (!claim || claim.pipeline.id !== id) throw new Error('fixture: expected to claim the stuck book');
    stuckIds.push(id);
  }
  for (let i = 0; i < (opts.failed ?? 0); i++) {
    const id = insert(`/library/failed/failed-${i}.epub`, 5);
    const error_json = JSON.stringify({
      code: 'validation_failed',
      stage: 'validating',
      message: `validation failed: only ${80 + i} words, conservative strategy wants 100`,
    });
    services.pipelines.transition({ id, from: 'detected', to: 'failed', actor: SYSTEM, patch: { error_json } });
    if (i % 2 === 0) services.pipelines.transition({ id, from: 'failed', to: 'needs_retry', actor: SYSTEM });
    tick();
    failedIds.push(id);
  }
  for (let i = 0; i < (opts.queued ?? 0); i++) {
    queuedIds.push(insert(`/library/queue/book-${String(i).padStart(4, '0')}.txt`, 1 + (i % 10)));
  }
  // An hour later: the stuck books' leases (60 s) have long expired.
  now += 3600_000;
  return {
    services,
    advance: (ms) => {
      now += ms;
    },
    now: () => now,
    queuedIds,
    pendingIds,
    stuckIds,
    failedIds,
  };
}
