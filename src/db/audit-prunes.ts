/**
 * How `audit --verify` accounts for retention's deletions, the same on every engine (SQLite's
 * AuditLog.verify and PostgreSQL's verifyPg read the rows; these decide): a removed entry is
 * accepted only when its deletion record names an AUDIT_PRUNED entry whose policy it was
 * eligible under, the records link the chain across the gap (prev_hash → hash), and the entry's
 * count and digest match every record that names it. Anchors discount what valid prunes
 * removed after them.
 */
import { decodeJson } from './audit-entry.js';

const DAY_MS = 86_400_000;

/** SQLite GLOB (as retention's patterns use it: * and ?) as a RegExp. */
export function globRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** A removed entry as its deletion record holds it. */
export interface Deletion {
  id: number;
  prev_hash: string | null;
  hash: string;
  by_retention: number;
  action: string | null;
  at: number | null;
  pruned_by: number | null;
}

/** One AUDIT_PRUNED entry while verify checks the deletions that name it. */
export interface PruneCheck {
  id: number;
  at: number;
  count: number;
  digest: string | null;
  rules: { pattern: string; re: RegExp; cutoff: number; range: [number, number] | null }[];
  /** Deletion records naming it that verify met in the chain's gaps. */
  seen: number;
}

/** An AUDIT_PRUNED row (id, at, count, details_json) with the policy it names, parsed once. */
export function pruneCheckOf(r: { id: number; at: number; count: number | null; details_json: string | null }): PruneCheck {
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
  return { id: r.id, at: r.at, count: r.count ?? 0, digest: d.digest ?? null, rules, seen: 0 };
}

export type Accounted = 'pruned' | 'legacy' | 'unaccounted';

/**
 * How one removed row is accounted for: by its AUDIT_PRUNED entry, or (SQLite files from before
 * schema 6, ids up to `legacyUpto`) by the gate it went through; anything else is tampering.
 * Counts the record against its entry (`seen`).
 */
export function accountDeletion(prunes: Map<number, PruneCheck>, legacyUpto: number, d: Deletion): Accounted {
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
}

/** Whether `dels` link `from` to `to` (prev_hash → hash), and how they are accounted for. */
export function bridgeGap(
  from: string | null,
  to: string | null,
  dels: readonly Deletion[],
  account: (d: Deletion) => Accounted,
): { linked: boolean; verdict: Accounted } {
  let link = from;
  let linked = dels.length > 0;
  let verdict: Accounted = 'pruned';
  for (const d of dels) {
    if (d.prev_hash !== link) linked = false;
    link = d.hash;
    const a = account(d);
    if (a === 'unaccounted') verdict = 'unaccounted';
    else if (a === 'legacy' && verdict === 'pruned') verdict = 'legacy';
  }
  return { linked: linked && link === to, verdict };
}

/** Why an entry is invalid, given the digest over every record naming it (undefined: valid). */
export function invalidPruneWhy(p: PruneCheck, digest: string): string | undefined {
  if (p.seen !== p.count) return `accounts for ${p.count} removed entries, but ${p.seen} deletion records name it`;
  if (p.digest !== digest) return 'the digest of the entries it removed does not match their deletion records';
  return undefined;
}

/** How many entries the valid prunes after an id removed (what an anchor's count may have lost since). */
export function prunedAfter(prunes: Map<number, PruneCheck>, invalid: ReadonlySet<number>): (id: number) => number {
  const valid = [...prunes.values()].filter((p) => !invalid.has(p.id)).sort((a, b) => a.id - b.id);
  // Suffix sums over the entries in id order.
  const removedFrom = new Array<number>(valid.length + 1).fill(0);
  for (let i = valid.length - 1; i >= 0; i--) removedFrom[i] = removedFrom[i + 1]! + valid[i]!.count;
  return (id) => {
    let lo = 0;
    let hi = valid.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (valid[mid]!.id > id) hi = mid;
      else lo = mid + 1;
    }
    return removedFrom[lo]!;
  };
}
