/**
 * `audit --verify` on PostgreSQL: walks the chain in id order in pages, checking each row's hash
 * (auditRowHashV / auditRowHash from src/db/audit.ts: the same formulas) and that its prev_hash
 * is the previous row's hash; the head's high-water mark shows entries removed from the end; the
 * books' trail pointers show a log emptied or recreated; anchors must still be in the log.
 *
 * Stricter than SQLite's for now, on purpose: retention does not run on this engine yet, so a
 * gap is never accepted as retention's. A gap that deletion records bridge back to an
 * AUDIT_PRUNED entry is reported as unverifiable (not intact, not tampering) until the walker is
 * shared. The report's shape and sentences are SQLite's (AuditVerifyReport).
 * TODO(#15): AuditLog.verify's walk (prune accounting, anchors, sentences) should become one
 * engine-neutral function over a small reader interface in src/db, used by both engines; this
 * file then shrinks to the reader.
 */
import type { AuditAnchor, AuditProblem, AuditRow, AuditVerifyReport } from '../audit.js';
import { auditRowHash, auditRowHashV, HASH_FULL, HASH_KEYED } from '../audit.js';
import { AUDIT_KEY_ENV } from '../audit-key.js';
import { run } from './sql.js';
import type { Queryable } from './tx.js';

interface Deletion {
  id: number;
  prev_hash: string | null;
  hash: string;
  pruned_by: number | null;
}

export async function verifyPg(
  // A pool, or one client inside a transaction (migrate-to verifies its copy before COMMIT).
  pool: Queryable,
  key: Buffer | null,
  options: { pageSize?: number; anchors?: readonly AuditAnchor[] },
): Promise<AuditVerifyReport> {
  const report: AuditVerifyReport = {
    intact: true, problems: [],
    checked: 0, modified: [], gaps: [], retention_gaps: 0, bridged_rows: 0, unverifiable_gaps: [], tail_removed: null,
    keyed: 0, unchecked_keyed: 0, key_used: key !== null, unkeyed_after_keyed: [], prunes: 0, invalid_prunes: [],
    anchors_checked: 0,
  };
  const prunes = new Set(
    (await run<{ id: number }>(pool, `SELECT id FROM audit WHERE action = 'AUDIT_PRUNED' ORDER BY id`)).rows.map((r) => r.id),
  );
  report.prunes = prunes.size;
  const deletedBetween = async (lo: number, hi: number) =>
    (await run<Deletion>(pool, 'SELECT id, prev_hash, hash, pruned_by FROM audit_deletions WHERE id > $1 AND id < $2 ORDER BY id', [lo, hi])).rows;
  /** Deletion records that link `from` to `to`, each naming an existing AUDIT_PRUNED entry. */
  const bridged = (from: string | null, to: string | null, dels: Deletion[]) => {
    let link = from;
    for (const d of dels) {
      if (d.prev_hash !== link || d.pruned_by === null || !prunes.has(d.pruned_by)) return false;
      link = d.hash;
    }
    return dels.length > 0 && link === to;
  };

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
        if (bridged(expected, r.prev_hash, dels)) report.unverifiable_gaps.push(r.id);
        else report.gaps.push(r.id);
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
    const complete = dels.length === highWater - last && bridged(prev?.hash ?? null, dels.at(-1)?.hash ?? null, dels);
    if (complete) report.unverifiable_gaps.push(last + 1);
    else report.tail_removed = { from: last + 1, to: highWater };
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

  for (const a of options.anchors ?? []) {
    report.anchors_checked++;
    const where = `anchored ${new Date(a.at).toISOString()}${a.line ? ` (anchor line ${a.line})` : ''}`;
    if (a.id > 0) {
      const hash = (await run<{ hash: string }>(pool, 'SELECT hash FROM audit WHERE id = $1', [a.id])).rows[0]?.hash;
      if (hash === undefined) {
        report.problems.push({ kind: 'anchor_missing', message: `entry #${a.id}, ${where}, is missing: the log was truncated, emptied or recreated`, anchor: a.id });
        continue;
      }
      if (hash !== a.hash) {
        report.problems.push({ kind: 'anchor_rewritten', message: `entry #${a.id} no longer has the hash ${where}: the chain was rewritten`, anchor: a.id });
        continue;
      }
    }
    if (report.checked < a.count) {
      report.problems.push({
        kind: 'anchor_shrunk',
        message: `the log holds ${report.checked} entries, ${a.count} were ${where} and retention has removed 0 since: entries were removed`,
        anchor: a.id,
      });
    }
  }
  explain(report);
  return report;
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
  if (r.unkeyed_after_keyed.length > 0) early.push({ kind: 'unkeyed_after_keyed', message: `${r.unkeyed_after_keyed.length} unkeyed entr${r.unkeyed_after_keyed.length === 1 ? 'y follows' : 'ies follow'} keyed ones (forged or rewritten without the key): ${ids(r.unkeyed_after_keyed)}` });
  if (r.unchecked_keyed > 0) early.push({ kind: 'key_missing', message: `${r.unchecked_keyed} keyed entr${r.unchecked_keyed === 1 ? 'y' : 'ies'} cannot be checked without the audit key (set ${AUDIT_KEY_ENV})` });
  if (r.unverifiable_gaps.length > 0) {
    early.push({ kind: 'unverifiable', message: `retention's removals before entries ${ids(r.unverifiable_gaps)} cannot be checked on PostgreSQL yet` });
  }
  r.problems.unshift(...early);
  r.intact = r.problems.length === 0;
}
