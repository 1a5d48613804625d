/**
 * The SQLite UpkeepOps: each write one immediate transaction, statements prepared once per
 * connection (on first use: most processes never prune).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Statement } from 'better-sqlite3';
import type { SqliteStores } from './engine.js';
import type { PruneResult, UpkeepOps } from '../ops/upkeep.js';
import { immediate, schemaVersion } from '../db.js';
import { prunedDigestLine } from '../audit.js';
import { CLAIMABLE_STATES } from '../../domain/states.js';
import { sqlList } from './batch-filter.js';
import { recoveryTransition } from '../ops/upkeep.js';

const DAY = 86_400_000;

export function sqliteUpkeepOps(stores: SqliteStores, location: string): UpkeepOps {
  const { db, clock, pipelines, audit } = stores;

  let sweep: Statement<{ now: number; step_cutoff: number; top_cutoff: number; step: number }, { id: string; priority: number }> | undefined;
  const agingSweep = () => {
    const target = `(CASE WHEN state_entered_at < @top_cutoff THEN 1 ELSE MAX(1, base_priority - @step) END)`;
    return (sweep ??= db.prepare(`
      UPDATE pipelines INDEXED BY pipelines_state_entered
      SET priority = ${target}, updated_at = @now, version = version + 1
      WHERE state IN (${sqlList(CLAIMABLE_STATES)}) AND state_entered_at < @step_cutoff AND priority > ${target}
      RETURNING id, priority`));
  };

  let retention: { firstKept: Statement; del: Statement; removed: Statement; open: Statement; close: Statement } | undefined;
  const retentionStmts = () =>
    (retention ??= {
      // ids grow with time, so "older than" becomes an id bound found through audit_at.
      firstKept: db.prepare('SELECT COALESCE(MIN(id), 9223372036854775807) AS id FROM audit WHERE at >= @cutoff'),
      // Retention's own entries are never removed: they account for the gaps.
      del: db
        .prepare(
          `DELETE FROM audit INDEXED BY audit_action WHERE action GLOB @pattern
           AND action NOT IN ('AUDIT_RETENTION', 'AUDIT_PRUNED') AND id < @first_kept AND at < @cutoff RETURNING id`,
        )
        .pluck(),
      removed: db.prepare('SELECT id, hash, action, at FROM audit_deletions WHERE pruned_by = ? ORDER BY id'),
      open: db.prepare('UPDATE audit_gate SET open = 1, pruning = ? WHERE id = 1'),
      close: db.prepare('UPDATE audit_gate SET open = 0, pruning = NULL WHERE id = 1'),
    });

  return {
    recoverStuck: async (req) =>
      immediate(db, () => {
        const row = pipelines.require(req.id);
        const plan = req.decide(row);
        const after = pipelines.transitionInTx(recoveryTransition(req, row, plan));
        return { pipeline: after, auditId: audit.append(plan.audit(after)) };
      }),

    ageWaiting: async (req) =>
      immediate(db, () => {
        const now = clock();
        const aged = agingSweep().all({ now, step_cutoff: now - req.stepAfterMs, top_cutoff: now - req.topAfterMs, step: req.step });
        if (aged.length === 0) return { aged, auditId: null };
        return { aged, auditId: audit.append(req.audit(aged)) };
      }),

    /**
     * The audit table refuses DELETE unless `audit_gate.open = 1`: this opens the gate naming the
     * AUDIT_PRUNED entry it will append (`audit_gate.pruning`, copied into each deletion record
     * by trigger), deletes, closes it and appends that entry, all in one transaction, so the gate
     * is never seen open by anyone else and a failure leaves it closed.
     */
    pruneAudit: async (req) => {
      const s = retentionStmts();
      return immediate(db, () => {
        const now = clock();
        const entryId = audit.nextId();
        const result: PruneResult = { deleted: {}, total: 0, ranges: {}, digest: '' };
        s.open.run(entryId);
        try {
          for (const [pattern, days] of Object.entries(req.days)) {
            const cutoff = now - Math.round(days * DAY);
            const { id } = s.firstKept.get({ cutoff }) as { id: number };
            const ids = s.del.all({ pattern, first_kept: id, cutoff }) as number[];
            result.deleted[pattern] = ids.length;
            result.total += ids.length;
            if (ids.length > 0) {
              let lo = ids[0]!;
              let hi = lo;
              for (const x of ids) {
                if (x < lo) lo = x;
                if (x > hi) hi = x;
              }
              result.ranges[pattern] = [lo, hi];
            }
          }
        } finally {
          s.close.run();
        }
        if (result.total === 0) return { ...result, auditId: null };
        const digest = crypto.createHash('sha256');
        for (const d of s.removed.iterate(entryId) as Iterable<{ id: number; hash: string; action: string; at: number }>) {
          digest.update(prunedDigestLine(d));
        }
        result.digest = digest.digest('hex');
        const auditId = audit.append(req.audit(result));
        // The deletion records name this id; appending must have given it out.
        if (auditId !== entryId) throw new Error(`retention expected to append audit entry #${entryId}, got #${auditId}`);
        return { ...result, auditId };
      });
    },

    // One read transaction, so the head and the count describe the same moment.
    anchorHead: async () => db.transaction(() => ({ ...audit.head(), at: clock() }))(),

    checkpointIfLarge: async (thresholdBytes) => {
      if (location === ':memory:') return { wal_bytes: 0, checkpointed: false };
      let walBytes = 0;
      try {
        walBytes = fs.statSync(location + '-wal').size;
      } catch {
        walBytes = 0;
      }
      if (walBytes <= thresholdBytes) return { wal_bytes: walBytes, checkpointed: false };
      db.pragma('wal_checkpoint(TRUNCATE)');
      return { wal_bytes: walBytes, checkpointed: true };
    },

    schemaVersion: async () => schemaVersion(db),
  };
}
