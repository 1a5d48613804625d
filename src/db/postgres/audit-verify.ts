/**
 * `audit --verify` on PostgreSQL: walks the chain in id order in pages, checking each row's hash
 * (auditRowHashV / auditRowHash from src/db/audit.ts: the same formulas) and that its prev_hash
 * is the previous row's hash; the head's high-water mark shows entries removed from the end; the
 * books' trail pointers show a log emptied or recreated; anchors must still be in the log.
 *
 * A gap is accepted only as SQLite's verify accepts it, by the same rules (src/db/audit-prunes.ts):
 * deletion records bridging it name a valid AUDIT_PRUNED entry whose policy each removed row was
 * eligible under, and each entry's count and digest match the records naming it. This engine
 * starts at schema 6, so there are no legacy (unrecorded) deletions to leave unverifiable.
 * The report's shape and sentences are SQLite's (AuditVerifyReport).
 * TODO(#15): the walk itself (pages, hashes, tail, anchors, sentences) could become one
 * engine-neutral function over a small reader interface, as the prune accounting now is.
 */
import crypto from 'node:crypto';
import type pg from 'pg';
import type { AuditAnchor, AuditProblem, AuditRow, AuditVerifyReport } from '../audit.js';
import { auditRowHash, auditRowHashV, HASH_FULL, HASH_KEYED, prunedDigestLine } from '../audit.js';
import { AUDIT_KEY_ENV } from '../audit-key.js';
import type { Deletion, PruneCheck } from '../audit-prunes.js';
import { accountDeletion, bridgeGap, invalidPruneWhy, prunedAfter, pruneCheckOf } from '../audit-prunes.js';
import { run } from './sql.js';

const DELETIONS_BETWEEN = 'SELECT id, prev_hash, hash, by_retention, action, at, pruned_by FROM audit_deletions WHERE id > $1 AND id < $2 ORDER BY id';
/** A prune's records in id order, a page at a time (one prune can name millions). */
const NAMED_PAGE = 'SELECT id, hash, action, at FROM audit_deletions WHERE pruned_by = $1 AND id > $2 ORDER BY id LIMIT $3';
const NAMED_PAGE_SIZE = 10_000;

export async function verifyPg(
  pool: pg.Pool,
  key: Buffer | null,
  options: { pageSize?: number; anchors?: readonly AuditAnchor[] },
): Promise<AuditVerifyReport> {
  const report: AuditVerifyReport = {
    intact: true, problems: [],
    checked: 0, modified: [], gaps: [], retention_gaps: 0, bridged_rows: 0, unverifiable_gaps: [], tail_removed: null,
    keyed: 0, unchecked_keyed: 0, key_used: key !== null, unkeyed_after_keyed: [], prunes: 0, invalid_prunes: [],
    anchors_checked: 0,
  };
  const prunes = new Map(
    (await run<{ id: number; at: number; count: number | null; details_json: string | null }>(
      pool, `SELECT id, at, count, details_json FROM audit WHERE action = 'AUDIT_PRUNED' ORDER BY id`,
    )).rows.map((r) => [r.id, pruneCheckOf(r)]),
  );
  report.prunes = prunes.size;
  const deletedBetween = async (lo: number, hi: number) => (await run<Deletion>(pool, DELETIONS_BETWEEN, [lo, hi])).rows;
  const account = (d: Deletion) => accountDeletion(prunes, 0, d);

  const size = options.pageSize ?? 10_000;
  let prev: { id: number; hash: string } | undefined;
  let sawKeyed = false;
  for (;;) {
    const rows = (await run<AuditRow>(pool, 'SELECT * FROM audit WHERE id > $1 ORDER BY id LIMIT $2', [prev?.id ?? 0, size])).rows;
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
        const ok =
          version === 1
            ? auditRowHash(r.prev_hash, r) === r.hash
            : version === HASH_FULL
              ? auditRowHashV(r.prev_hash, r, r.id, r.pipeline_prev_id ?? null, version, null) === r.hash
              : false;
        if (!ok) report.modified.push(r.id);
      }
      const expected = prev?.hash ?? null;
      if (r.prev_hash !== expected) {
        const dels = await deletedBetween(prev?.id ?? 0, r.id);
        const b = bridgeGap(expected, r.prev_hash, dels, account);
        if (b.linked && b.verdict === 'pruned') {
          report.retention_gaps++;
          report.bridged_rows += dels.length;
        } else report.gaps.push(r.id);
      }
      prev = { id: r.id, hash: r.hash };
    }
    if (rows.length < size) break;
  }

  // The newest entries: no later prev_hash covers them; the head's high-water mark does.
  const highWater = (await run<{ pos: number }>(pool, 'SELECT pos FROM audit_chain_head WHERE id = 1')).rows[0]?.pos ?? 0;
  const last = prev?.id ?? 0;
  if (highWater > last) {
    const dels = await deletedBetween(last, highWater + 1);
    const b = bridgeGap(prev?.hash ?? null, dels.at(-1)?.hash ?? null, dels, account);
    if (b.linked && dels.length === highWater - last && b.verdict === 'pruned') {
      report.retention_gaps++;
      report.bridged_rows += dels.length;
    } else report.tail_removed = { from: last + 1, to: highWater };
  }

  // Each entry's digest over every record naming it, so a record added or altered anywhere shows.
  for (const p of prunes.values()) {
    const hasher = crypto.createHash('sha256');
    for (let after = 0; ; ) {
      const page = (await run<Deletion>(pool, NAMED_PAGE, [p.id, after, NAMED_PAGE_SIZE])).rows;
      for (const d of page) hasher.update(prunedDigestLine(d));
      if (page.length < NAMED_PAGE_SIZE) break;
      after = page.at(-1)!.id;
    }
    const why = invalidPruneWhy(p, hasher.digest('hex'));
    if (why) report.invalid_prunes.push({ id: p.id, why });
  }

  // An emptied or recreated log reads like a new one; the books' trail pointers say otherwise.
  const furthest = (await run<{ n: number | null }>(pool, 'SELECT MAX(last_audit_id) AS n FROM pipelines')).rows[0]?.n ?? 0;
  if (furthest > highWater) {
    report.problems.push({
      kind: 'log_recreated',
      message: `books point at audit entries up to #${furthest}, but the log has only ever given out ids up to #${highWater}: it was emptied or recreated`,
    });
  } else if (report.checked === 0 && (await run(pool, 'SELECT 1 FROM pipelines LIMIT 1')).rowCount) {
    report.problems.push({ kind: 'log_empty', message: 'the log is empty but the database holds books: it was emptied or recreated' });
  }

  if (options.anchors) await checkAnchors(pool, report, options.anchors, prunes);
  explain(report);
  return report;
}

/** Each anchored head still in the log (or removed by a valid prune) with its hash; no shrinking. */
async function checkAnchors(pool: pg.Pool, report: AuditVerifyReport, anchors: readonly AuditAnchor[], prunes: Map<number, PruneCheck>): Promise<void> {
  const invalid = new Set(report.invalid_prunes.map((p) => p.id));
  const prunedSince = prunedAfter(prunes, invalid);
  for (const a of anchors) {
    report.anchors_checked++;
    const where = `anchored ${new Date(a.at).toISOString()}${a.line ? ` (anchor line ${a.line})` : ''}`;
    if (a.id > 0) {
      const hash = (await run<{ hash: string }>(pool, 'SELECT hash FROM audit WHERE id = $1', [a.id])).rows[0]?.hash;
      if (hash === undefined) {
        const d = (await run<{ hash: string; pruned_by: number | null }>(pool, 'SELECT hash, pruned_by FROM audit_deletions WHERE id = $1', [a.id])).rows[0];
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
    const since = prunedSince(a.id);
    if (report.checked + since < a.count) {
      report.problems.push({
        kind: 'anchor_shrunk',
        message: `the log holds ${report.checked} entries, ${a.count} were ${where} and retention has removed ${since} since: entries were removed`,
        anchor: a.id,
      });
    }
  }
}

/** One sentence per kind of finding (SQLite's wording), and the verdict. */
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
