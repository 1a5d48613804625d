/**
 * What the console reads beyond the ops reports: keyset windows over the queue (claim order) and
 * the audit log (newest first), through the engine's WindowOps. Only the visible window is ever
 * fetched, so a queue of a million books scrolls as fast as one of ten.
 *
 * The filters typed after `/` are parsed here (the shared grammar, store/filter-grammar.ts) into
 * the engine's filter terms; the engine turns them into indexed queries with capped counts.
 */
import type { EngineServices } from '../src/services.js';
import type { PipelineRow } from '../src/db/pipeline-row.js';
import type { AuditRow } from '../src/db/audit.js';
import { AUDIT_ACTIONS } from '../src/db/audit-entry.js';
import type { AuditFilter, BookTerm, CappedCount, QueueFilter, QueueKey } from '../src/db/ops/windows.js';
import { parseFilterWords, type FilterWords } from './filter-grammar.js';

export { DENSE_PREFIX_COUNT_CAP, FILTERED_COUNT_CAP } from '../src/db/ops/windows.js';
export type { AuditFilter, CappedCount, QueueKey } from '../src/db/ops/windows.js';

export const keyOf = (r: QueueKey): QueueKey => ({ priority: r.priority, created_at: r.created_at, id: r.id });

/**
 * The queue filter typed after `/`, in the shared grammar: bare words match the title, path or
 * state by substring (`p3` is priority 3); `state:`, `p:`, `type:` and `id:` are exact (`id:` a
 * prefix). Terms keep the order typed, fields after the words.
 */
export function parseQueueFilter(text: string): QueueFilter {
  const { words, fields } = parseFilterWords(text);
  const terms: BookTerm[] = [];
  for (const w of words) {
    const p = /^p(\d{1,2})$/i.exec(w);
    terms.push(p ? { kind: 'priority', value: Number(p[1]!) } : { kind: 'text', value: w });
  }
  if (fields.state !== undefined) terms.push({ kind: 'state', value: fields.state.toLowerCase() });
  const pv = fields.p ?? fields.priority;
  if (pv !== undefined) terms.push({ kind: 'priority', value: Number(pv) });
  return [...terms, ...exactTerms(fields)];
}

/**
 * The end of a book list's filter, the same for the Queue and Failed tabs: `type:` exact and
 * `id:` as a prefix.
 */
export function exactTerms(fields: FilterWords['fields']): BookTerm[] {
  const terms: BookTerm[] = [];
  if (fields.type !== undefined) terms.push({ kind: 'type', value: fields.type });
  if (fields.id !== undefined) terms.push({ kind: 'idPrefix', value: fields.id.toLowerCase() });
  return terms;
}

/** The queue in claim order, filtered by the text typed. */
export class QueueSource {
  constructor(private readonly services: Pick<EngineServices, 'engine'>) {}

  private get windows() {
    return this.services.engine.windows;
  }

  /** Rows after `key` (exclusive) in claim order; from the start when `key` is undefined. */
  after(key: QueueKey | undefined, limit: number, filter = ''): Promise<PipelineRow[]> {
    return this.windows.queueAfter(key && keyOf(key), limit, parseQueueFilter(filter));
  }

  /** Up to `limit` rows before `key` (exclusive), returned in claim order; the last rows when undefined. */
  before(key: QueueKey | undefined, limit: number, filter = ''): Promise<PipelineRow[]> {
    return this.windows.queueBefore(key && keyOf(key), limit, parseQueueFilter(filter));
  }

  /** Rows from `key` (inclusive) on. */
  from(key: QueueKey, limit: number, filter = ''): Promise<PipelineRow[]> {
    return this.windows.queueFrom(keyOf(key), limit, parseQueueFilter(filter));
  }

  /** Queued books (matching the filter, counted up to the cap). */
  total(filter = ''): Promise<CappedCount> {
    return this.windows.queueTotal(parseQueueFilter(filter));
  }

  /** 0-based position of `key` in the (filtered) claim order: a count over the index, no rows read. */
  positionOf(key: QueueKey, filter = ''): Promise<number> {
    return this.windows.queuePosition(keyOf(key), parseQueueFilter(filter));
  }

  /** The book if it is queued now (a claimed or rejected book has left the queue). */
  queued(id: string): Promise<PipelineRow | undefined> {
    return this.windows.queuedBook(id);
  }
}

/**
 * Audit filter, in the shared grammar (store/filter-grammar.ts): `actor:human:ana`,
 * `action:approved`, `book:3f2a…` exact; a bare word is an actor (`human:ana`), a book id prefix
 * (hex), or matches the action by substring ("retr" → BATCH_RETRIED). Each stays one indexed
 * term (audit_actor, audit_action, the books' trails): a substring is resolved against the known
 * action names here, not by scanning the log.
 */
export function parseAuditFilter(text: string): AuditFilter {
  const out: { actor?: string; action?: string; pipelineId?: string } = {};
  for (const word of text.trim().split(/\s+/).filter((w) => w !== '')) {
    const m = /^(actor|action|book|id):(.+)$/i.exec(word);
    if (m) {
      const kind = m[1]!.toLowerCase();
      if (kind === 'actor') out.actor = m[2]!;
      else if (kind === 'action') out.action = m[2]!.toUpperCase();
      else out.pipelineId = m[2]!.toLowerCase();
    } else if (/^(human|auto|system|mcp):/.test(word)) out.actor = word;
    else if (/^[0-9a-f]{8,32}$/i.test(word)) out.pipelineId = word.toLowerCase();
    else out.action = actionMatching(word);
  }
  return out;
}

/** The known action a bare word names: itself if exact, else the first (shortest) containing it. */
export function actionMatching(word: string): string {
  const w = word.toUpperCase();
  if ((AUDIT_ACTIONS as readonly string[]).includes(w)) return w;
  const hits = AUDIT_ACTIONS.filter((a) => a.includes(w)).sort((a, b) => a.length - b.length);
  return hits[0] ?? w;
}

/** What the Audit tab's filter prompt shows. */
export const AUDIT_FILTER_HINT = 'words match action (retr → BATCH_RETRIED); actor:X action:X book:3f2a exact';

export function describeAuditFilter(f: AuditFilter): string {
  return [f.actor && `actor ${f.actor}`, f.action && `action ${f.action}`, f.pipelineId && `book ${f.pipelineId.slice(0, 8)}`]
    .filter(Boolean)
    .join(', ');
}

/** The audit log newest first, filtered. */
export class AuditSource {
  constructor(private readonly services: Pick<EngineServices, 'engine'>) {}

  private get windows() {
    return this.services.engine.windows;
  }

  /** Newest first: entries with id <= `atOrBelow` (all when undefined). */
  olderFrom(atOrBelow: number | undefined, limit: number, f: AuditFilter = {}): Promise<AuditRow[]> {
    return this.windows.auditOlderFrom(atOrBelow, limit, f);
  }

  /** Up to `limit` entries newer than `id` (exclusive), returned newest first. */
  newerThan(id: number, limit: number, f: AuditFilter = {}): Promise<AuditRow[]> {
    return this.windows.auditNewerThan(id, limit, f);
  }

  /** Oldest entries (for G), newest first. */
  oldest(limit: number, f: AuditFilter = {}): Promise<AuditRow[]> {
    return this.windows.auditOldest(limit, f);
  }

  /**
   * Entries matching the filter (newer than `newerThan` when given: the window's position).
   * Without a filter the count is exact; with one it stops at its cap and says so.
   */
  count(f: AuditFilter = {}, newerThan?: number): Promise<CappedCount> {
    return this.windows.auditCount(f, newerThan);
  }

  get(id: number): Promise<AuditRow | undefined> {
    return this.services.engine.audit.get(id);
  }
}
