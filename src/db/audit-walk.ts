/**
 * `audit --verify`'s judgement, once, for every engine. The walk checks each entry's hash and its
 * link to the previous one, accounts for every gap (retention's deletion records must chain
 * across it and belong to a valid AUDIT_PRUNED entry; anything else is tampering), checks the
 * newest ids against the high-water mark, an emptied log against the books' trail pointers, and
 * anchors recorded outside the database.
 *
 * It is written without I/O: it yields what it needs to read (`ChainReads`), and a driver answers
 * from one engine. SQLite's reads are synchronous (better-sqlite3, and `backup`/`restore` verify
 * a copy synchronously); PostgreSQL's are not. One generator serves both, so the rules and the
 * sentences cannot drift apart between engines.
 */
import crypto from 'node:crypto';
import type { AuditAnchor, AuditProblem, AuditVerifyReport } from './audit-hash.js';
import { auditRowHash, auditRowHashV, globRegExp, HASH_FULL, HASH_KEYED, prunedDigestLine } from './audit-hash.js';
import { AUDIT_KEY_ENV } from './audit-key.js';
import type { AuditRow } from './audit-entry.js';
import { decodeJson } from './audit-entry.js';

/** A removed entry as its deletion record holds it. */
export interface ChainDeletion {
  id: number;
  prev_hash: string | null;
  hash: string;
  by_retention: number;
  action: string | null;
  at: number | null;
  pruned_by: number | null;
}

/** An AUDIT_PRUNED entry, as stored. */
export interface PruneEntryRow {
  id: number;
  at: number;
  count: number | null;
  details_json: string | null;
}

/** What the walk reads, answered synchronously (see AsyncChainReads for the other kind). */
export interface ChainReads {
  /** Entries with id > after, in id order, at most `limit`. */
  page(after: number, limit: number): AuditRow[];
  /** Deletion records with lo < id < hi, in id order. */
  deletedBetween(lo: number, hi: number): ChainDeletion[];
  /** Deletion records naming an AUDIT_PRUNED entry, id > after, in id order, at most `limit`. */
  namedBy(pruneId: number, after: number, limit: number): ChainDeletion[];
  /** Every AUDIT_PRUNED entry, in id order. */
  prunes(): PruneEntryRow[];
  /**
   * Marks left by older schemas: gaps at or below `recordedFrom` predate deletion records, and
   * legacy retention deletions at or below `legacyUpto` predate AUDIT_PRUNED accounting. An
   * engine without such a past answers 0 for both.
   */
  marks(): { recordedFrom: number; legacyUpto: number };
  /** The highest id the log has ever given out. */
  highWater(): number;
  /** The highest audit id any book's trail points at (0 when none). */
  furthestTrail(): number;
  hasBooks(): boolean;
  hashOf(id: number): string | undefined;
  deletionOf(id: number): { hash: string; pruned_by: number | null } | undefined;
}

export type AsyncChainReads = {
  [K in keyof ChainReads]: (...args: Parameters<ChainReads[K]>) => Promise<ReturnType<ChainReads[K]>>;
};

export interface VerifyOptions {
  pageSize?: number;
  anchors?: readonly AuditAnchor[];
}

type Ask = { [K in keyof ChainReads]: { op: K; args: Parameters<ChainReads[K]> } }[keyof ChainReads];
type Walk<T> = Generator<Ask, T, unknown>;

function* read<K extends keyof ChainReads>(op: K, ...args: Parameters<ChainReads[K]>): Walk<ReturnType<ChainReads[K]>> {
  return (yield { op, args } as Ask) as ReturnType<ChainReads[K]>;
}

/** Verifies the chain over synchronous reads (SQLite). */
export function verifyChainSync(reads: ChainReads, key: Buffer | null, options: VerifyOptions = {}): AuditVerifyReport {
  const walk = verifyWalk(key, options);
  for (let step = walk.next(); ; ) {
    if (step.done) return step.value;
    const { op, args } = step.value;
    step = walk.next((reads[op] as (...a: unknown[]) => unknown)(...args));
  }
}

/** Verifies the chain over asynchronous reads (PostgreSQL). */
export async function verifyChain(reads: AsyncChainReads, key: Buffer | null, options: VerifyOptions = {}): Promise<AuditVerifyReport> {
  const walk = verifyWalk(key, options);
  for (let step = walk.next(); ; ) {
    if (step.done) return step.value;
    const { op, args } = step.value;
    step = walk.next(await (reads[op] as (...a: unknown[]) => Promise<unknown>)(...args));
  }
}

/** One AUDIT_PRUNED entry while the walk checks the deletions that name it. */
interface PruneCheck {
  id: number;
  at: number;
  count: number;
  digest: string | null;
  rules: { pattern: string; re: RegExp; cutoff: number; range: [number, number] | null }[];
  /** Deletion records naming it that the walk met in the chain's gaps. */
  seen: number;
}

const DAY_MS = 86_400_000;
/** Deletion records read per page when digesting what one AUDIT_PRUNED entry removed. */
const DIGEST_PAGE = 10_000;

/** Every AUDIT_PRUNED entry (a few per day at most), with the policy it names, parsed once. */
function parsePrunes(rows: readonly PruneEntryRow[]): Map<number, PruneCheck> {
  const out = new Map<number, PruneCheck>();
  for (const r of rows) {
    const d = (decodeJson(r.details_json) ?? {}) as { policy?: Record<string, number>; ranges?: Record<string, [number, number]>; digest?: string };
    const rules = Object.entries(d.policy ?? {})
      .filter(([, days]) => typeof days === 'number' && days > 0)
      .map(([pattern, days]) => ({
        pattern,
        re: globRegExp(pattern),
        // From the entry's own time: a policy's age is the age at the time of pruning.
        cutoff: r.at - Math.round(days * DAY_MS),
        range: Array.isArray(d.ranges?.[pattern]) ? d.ranges![pattern]! : null,
      }));
    out.set(r.id, { id: r.id, at: r.at, count: r.count ?? 0, digest: d.digest ?? null, rules, seen: 0 });
  }
  return out;
}

function* verifyWalk(key: Buffer | null, options: VerifyOptions): Walk<AuditVerifyReport> {
  const report: AuditVerifyReport = {
    intact: true, problems: [],
    checked: 0, modified: [], gaps: [], retention_gaps: 0, bridged_rows: 0, unverifiable_gaps: [], tail_removed: null,
    keyed: 0, unchecked_keyed: 0, key_used: key !== null, unkeyed_after_keyed: [], prunes: 0, invalid_prunes: [],
    anchors_checked: 0,
  };
  const { recordedFrom, legacyUpto } = yield* read('marks');
  const prunes = parsePrunes(yield* read('prunes'));
  report.prunes = prunes.size;

  // A removed row is accounted for by its AUDIT_PRUNED entry, or (from before SQLite's schema 6)
  // by the gate it went through; anything else is tampering.
  const account = (d: ChainDeletion): 'pruned' | 'legacy' | 'unaccounted' => {
    if (d.pruned_by !== null) {
      const p = prunes.get(d.pruned_by);
      if (!p || d.id >= p.id || d.action === null || d.at === null) return 'unaccounted';
      if (d.action === 'AUDIT_PRUNED' || d.action === 'AUDIT_RETENTION') return 'unaccounted';
      const eligible = p.rules.some(
        (rule) => rule.re.test(d.action!) && d.at! < rule.cutoff && rule.range !== null && d.id >= rule.range[0] && d.id <= rule.range[1],
      );
      p.seen++;
      return eligible ? 'pruned' : 'unaccounted';
    }
    if (d.action === null && d.by_retention === 1 && d.id <= legacyUpto) return 'legacy';
    return 'unaccounted';
  };
  /** Whether `dels` link `from` to `to` (prev_hash → hash), and how they are accounted for. */
  const bridge = (from: string | null, to: string | null, dels: readonly ChainDeletion[]) => {
    let link = from;
    let linked = dels.length > 0;
    let verdict: 'pruned' | 'legacy' | 'unaccounted' = 'pruned';
    for (const d of dels) {
      if (d.prev_hash !== link) linked = false;
      link = d.hash;
      const a = account(d);
      if (a === 'unaccounted') verdict = 'unaccounted';
      else if (a === 'legacy' && verdict === 'pruned') verdict = 'legacy';
    }
    return { linked: linked && link === to, verdict };
  };

  const size = options.pageSize ?? 10_000;
  let prev: { id: number; hash: string } | undefined;
  let sawKeyed = false;
  for (;;) {
    const rows = yield* read('page', prev?.id ?? 0, size);
    for (const r of rows) {
      report.checked++;
      const version = r.hash_version ?? 1;
      if (version === HASH_KEYED) {
        report.keyed++;
        sawKeyed = true;
        if (key === null) report.unchecked_keyed++;
        else if (auditRowHashV(r.prev_hash, r, r.id, r.pipeline_prev_id ?? null, version, key) !== r.hash) report.modified.push(r.id);
      } else {
        if (sawKeyed) report.unkeyed_after_keyed.push(r.id);
        const ok = version === 1 ? auditRowHash(r.prev_hash, r) === r.hash
          : version === HASH_FULL ? auditRowHashV(r.prev_hash, r, r.id, r.pipeline_prev_id ?? null, version, null) === r.hash : false;
        if (!ok) report.modified.push(r.id);
      }
      const expected = prev?.hash ?? null;
      if (r.prev_hash !== expected) {
        const dels = yield* read('deletedBetween', prev?.id ?? 0, r.id);
        const b = bridge(expected, r.prev_hash, dels);
        if (b.linked && b.verdict === 'pruned') {
          report.retention_gaps++;
          report.bridged_rows += dels.length;
        } else if ((b.linked && b.verdict === 'legacy') || (!b.linked && r.id <= recordedFrom)) {
          // Removed before the schema recorded what retention removed (or recorded deletions at
          // all): cannot be checked either way.
          report.unverifiable_gaps.push(r.id);
        } else {
          report.gaps.push(r.id);
        }
      }
      prev = { id: r.id, hash: r.hash };
    }
    if (rows.length < size) break;
  }
  // No later row's prev_hash covers the newest entries; the id high-water mark does. Entries
  // removed from the end leave ids between the last row and it, which only recorded, accounted
  // deletions may explain (retention always appends its entry after what it removed).
  const highWater = yield* read('highWater');
  const last = prev?.id ?? 0;
  if (highWater > last) {
    const dels = yield* read('deletedBetween', last, highWater + 1);
    const b = bridge(prev?.hash ?? null, dels.at(-1)?.hash ?? null, dels);
    const complete = b.linked && dels.length === highWater - last;
    if (complete && b.verdict === 'pruned') {
      report.retention_gaps++;
      report.bridged_rows += dels.length;
    } else if ((complete && b.verdict === 'legacy') || last < recordedFrom) {
      report.unverifiable_gaps.push(last + 1);
    } else {
      report.tail_removed = { from: last + 1, to: highWater };
    }
  }
  // The digest over every record naming the entry (the entries' removed rows in all, read once
  // more), so a record added or altered anywhere shows.
  for (const p of prunes.values()) {
    const hasher = crypto.createHash('sha256');
    for (let after = 0; ; ) {
      const named = yield* read('namedBy', p.id, after, DIGEST_PAGE);
      for (const d of named) hasher.update(prunedDigestLine(d));
      if (named.length < DIGEST_PAGE) break;
      after = named.at(-1)!.id;
    }
    const digest = hasher.digest('hex');
    if (p.seen !== p.count) report.invalid_prunes.push({ id: p.id, why: `accounts for ${p.count} removed entries, but ${p.seen} deletion records name it` });
    else if (p.digest !== digest) report.invalid_prunes.push({ id: p.id, why: 'the digest of the entries it removed does not match their deletion records' });
  }
  yield* checkReset(report, highWater);
  if (options.anchors) yield* checkAnchors(report, options.anchors, prunes);
  explain(report);
  return report;
}

/** An emptied or recreated log reads like a new one; the books' trail pointers say otherwise. */
function* checkReset(report: AuditVerifyReport, highWater: number): Walk<void> {
  const furthest = yield* read('furthestTrail');
  if (furthest > highWater) {
    report.problems.push({
      kind: 'log_recreated',
      message: `books point at audit entries up to #${furthest}, but the log has only ever given out ids up to #${highWater}: it was emptied or recreated`,
    });
  } else if (report.checked === 0 && (yield* read('hasBooks'))) {
    report.problems.push({ kind: 'log_empty', message: 'the log is empty but the database holds books: it was emptied or recreated' });
  }
}

/** Each anchored head still in the log (or removed by a valid prune) with its hash; no shrinking. */
function* checkAnchors(report: AuditVerifyReport, anchors: readonly AuditAnchor[], prunes: Map<number, PruneCheck>): Walk<void> {
  const invalid = new Set(report.invalid_prunes.map((p) => p.id));
  // What valid retention entries after each id removed: suffix sums over the entries in id order.
  const valid = [...prunes.values()].filter((p) => !invalid.has(p.id));
  const removedFrom = new Array<number>(valid.length + 1).fill(0);
  for (let i = valid.length - 1; i >= 0; i--) removedFrom[i] = removedFrom[i + 1]! + valid[i]!.count;
  const prunedAfter = (id: number): number => {
    let lo = 0;
    let hi = valid.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (valid[mid]!.id > id) hi = mid;
      else lo = mid + 1;
    }
    return removedFrom[lo]!;
  };
  for (const a of anchors) {
    report.anchors_checked++;
    const where = `anchored ${new Date(a.at).toISOString()}${a.line ? ` (anchor line ${a.line})` : ''}`;
    if (a.id > 0) {
      const hash = yield* read('hashOf', a.id);
      if (hash === undefined) {
        const d = yield* read('deletionOf', a.id);
        const pruned = d !== undefined && d.hash === a.hash && d.pruned_by !== null && prunes.has(d.pruned_by) && !invalid.has(d.pruned_by);
        if (!pruned) {
          report.problems.push({ kind: 'anchor_missing', message: `entry #${a.id}, ${where}, is missing: the log was truncated, emptied or recreated`, anchor: a.id });
          continue;
        }
      } else if (hash !== a.hash) {
        report.problems.push({ kind: 'anchor_rewritten', message: `entry #${a.id} no longer has the hash ${where}: the chain was rewritten`, anchor: a.id });
        continue;
      }
    }
    const prunedSince = prunedAfter(a.id);
    if (report.checked + prunedSince < a.count) {
      report.problems.push({
        kind: 'anchor_shrunk',
        message: `the log holds ${report.checked} entries, ${a.count} were ${where} and retention has removed ${prunedSince} since: entries were removed`,
        anchor: a.id,
      });
    }
  }
}

/** One sentence per kind of finding, and the verdict. */
function explain(r: AuditVerifyReport): void {
  const ids = (xs: number[]) => xs.slice(0, 10).join(', ') + (xs.length > 10 ? ` … (${xs.length} in all)` : '');
  const early: AuditProblem[] = [];
  if (r.modified.length > 0) early.push({ kind: 'edited', message: `${r.modified.length} entr${r.modified.length === 1 ? 'y no longer matches its' : 'ies no longer match their'} hash: ${ids(r.modified)}` });
  if (r.gaps.length > 0) early.push({ kind: 'removed', message: `entries are missing outside retention, before entries ${ids(r.gaps)}` });
  if (r.tail_removed) {
    const { from, to } = r.tail_removed;
    early.push({ kind: 'tail_removed', message: `${from === to ? `the newest entry (${to}) is` : `the newest entries (${from}–${to}) are`} missing outside retention` });
  }
  for (const p of r.invalid_prunes) early.push({ kind: 'invalid_prune', message: `retention entry #${p.id} ${p.why}` });
  if (r.unkeyed_after_keyed.length > 0) early.push({ kind: 'unkeyed_after_keyed', message: `${r.unkeyed_after_keyed.length} unkeyed entr${r.unkeyed_after_keyed.length === 1 ? 'y follows' : 'ies follow'} keyed ones (forged or rewritten without the key): ${ids(r.unkeyed_after_keyed)}` });
  if (r.unchecked_keyed > 0) early.push({ kind: 'key_missing', message: `${r.unchecked_keyed} keyed entr${r.unchecked_keyed === 1 ? 'y' : 'ies'} cannot be checked without the audit key (set ${AUDIT_KEY_ENV})` });
  r.problems.unshift(...early);
  r.intact = r.problems.length === 0;
}
