/**
 * Upkeep on every engine, through the real services (src/ops/recovery.ts, aging.ts,
 * retention.ts, audit-anchor's head): a dead worker's book recovered with its audit row and the
 * worker's late write refused; aging raising waiting books' effective priority with one audit
 * row; retention deleting through the audit gate so that `audit --verify` still holds (and
 * still catches a doctored deletion record); the anchored head; the checkpoint.
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src/db/engine.js';
import { createOpsServices, type OpsBundle } from '../../../src/ops/index.js';
import { parseOpsConfig } from '../../../src/config/ops.js';
import { AlreadyRecoveredError } from '../../../src/ops/recovery.js';
import { LeaseLostError } from '../../../src/domain/errors.js';
import { ENGINES, type Opened } from './engines.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe.each(ENGINES)('$name engine: upkeep', (under) => {
  if (under.skipReason) {
    it.skip(under.skipReason, () => undefined);
    return;
  }
  let o: Opened;
  let e: Engine;
  let ops: OpsBundle;
  let n = 0;
  beforeEach(async () => {
    o = await under.open();
    e = o.engine;
    ops = createOpsServices(
      { dbPath: e.location, engine: e, clock: o.clock },
      parseOpsConfig({ retention: { days: { APPROVED: 30, 'BATCH_*': 10 } } }),
    );
  });
  afterEach(async () => {
    await o.close();
  });

  const seed = (priority = 5) => e.pipelines.insert({ source_path: `/books/u${++n}.txt`, state: 'detected', priority, actor: 'system:test' });

  describe('recoverStuck', () => {
    it("recovers a dead worker's book: lease revoked, STUCK_RECOVERED in the same transaction, the worker's late write refused", async () => {
      const book = await seed();
      const worker = await o.another();
      const claim = (await worker.queue.claimNext('w-dead', 60_000))!;
      expect(claim.pipeline.id).toBe(book.id);
      o.clock.advance(5 * 60_000); // the worker died: its lease ran out
      const r = await ops.recovery.recoverWith(book.id.slice(0, 10), 'retry', 'human:ops', { requireLeaseExpired: true });
      expect(r).toMatchObject({ action: 'retry', pipeline: { id: book.id, state: 'needs_retry' } });
      const after = (await e.pipelines.get(book.id))!;
      expect(after).toMatchObject({ state: 'needs_retry', lease_owner: null, lease_token: null, lease_expires_at: null, version: claim.pipeline.version + 1 });
      const row = (await e.audit.get(r.audit_id))!;
      expect(row).toMatchObject({ action: 'STUCK_RECOVERED', actor: 'human:ops', pipeline_id: book.id, before_value: '"hashing"', after_value: '"needs_retry"' });
      expect(JSON.parse(row.details_json!)).toMatchObject({ action: 'retry', lease_owner: 'w-dead', lease_expired: true, automatic: false });
      expect((await e.history.forPipeline(book.id)).at(-1)).toMatchObject({ from_state: 'hashing', to_state: 'needs_retry', actor: 'human:ops' });

      // The dead worker wakes up and commits its stage: its lease is gone, nothing is written.
      await expect(
        worker.library.commitStage({ id: book.id, from: 'hashing', leaseToken: claim.leaseToken, actor: 'system:worker:w-dead', outcome: { to: 'classifying' } }),
      ).rejects.toBeInstanceOf(LeaseLostError);
      // A second operator pressing at the same time: refused, nothing written.
      const head = await e.audit.head();
      await expect(ops.recovery.recoverWith(book.id, 'retry', 'human:other')).rejects.toBeInstanceOf(AlreadyRecoveredError);
      expect(await e.audit.head()).toEqual(head);
      expect((await e.pipelines.get(book.id))!.version).toBe(after.version);
      expect((await e.audit.verify()).intact).toBe(true);
    });
  });

  describe('ageWaiting', () => {
    it('raises the effective priority of books waiting past the thresholds, with one PRIORITY_AGED row', async () => {
      const oldest = await seed(6);
      o.clock.advance(20 * HOUR);
      const older = await seed(5);
      o.clock.advance(25 * HOUR);
      const recent = await seed(5);
      const top = await seed(1);
      o.clock.advance(5 * HOUR); // waited: oldest 50 h, older 30 h, recent and top 5 h
      const r = await ops.aging.run();
      expect(r).toMatchObject({ aged: 2, to_top: 1, ids: [oldest.id, older.id] });
      expect(await e.pipelines.get(oldest.id)).toMatchObject({ priority: 1, base_priority: 6, version: oldest.version + 1 });
      expect(await e.pipelines.get(older.id)).toMatchObject({ priority: 3, base_priority: 5 });
      expect(await e.pipelines.get(recent.id)).toMatchObject({ priority: 5, version: recent.version });
      const row = (await e.audit.get(r.audit_id!))!;
      expect(row).toMatchObject({ action: 'PRIORITY_AGED', actor: 'system:aging', count: 2 });
      expect(JSON.parse(row.ids_json!)).toEqual([oldest.id, older.id]);
      expect(JSON.parse(row.details_json!).priorities).toEqual({ [oldest.id]: 1, [older.id]: 3 });
      // The counts follow, and the queue serves by the effective priority (created order breaks the tie).
      expect(await e.queue.queuedByPriority()).toMatchObject({ 1: 2, 3: 1, 5: 1, 6: 0 });
      expect((await e.queue.claimNext('w1', 60_000))!.pipeline.id).toBe(oldest.id);
      // Nothing more to age: no row.
      const head = await e.audit.head();
      expect(await ops.aging.run()).toMatchObject({ aged: 0, audit_id: null });
      expect(await e.audit.head()).toEqual(head);
    });
  });

  describe('pruneAudit', () => {
    it('deletes what the policy lets go through the audit gate; verify still holds, and still catches a doctored deletion record', async () => {
      const book = await seed();
      await e.audit.append({ action: 'APPROVED', actor: 'human:a', pipeline_id: book.id });
      await e.audit.append({ action: 'BATCH_APPROVED', actor: 'human:a', count: 0 });
      await e.audit.append({ action: 'ROLLED_BACK', actor: 'human:a' });
      await e.audit.append({ action: 'BATCH_CHUNK', actor: 'human:a', count: 0 });
      o.clock.advance(20 * DAY);
      await e.audit.append({ action: 'BATCH_APPROVED', actor: 'human:b', count: 0 });
      await e.audit.append({ action: 'APPROVED', actor: 'human:b', pipeline_id: book.id });
      o.clock.advance(15 * DAY); // APPROVED kept 30 days, BATCH_* 10: ids 1, 2, 4 and 5 go
      const anchor = await e.upkeep.anchorHead();
      expect(anchor).toMatchObject({ id: 6, count: 6, at: o.clock() });

      const r = await ops.retention.run();
      expect(r).toMatchObject({ deleted: { APPROVED: 1, 'BATCH_*': 3 }, total: 4, audit_id: 7 });
      const pruned = (await e.audit.get(7))!;
      expect(pruned).toMatchObject({ action: 'AUDIT_PRUNED', actor: 'system:retention', count: 4 });
      expect(JSON.parse(pruned.details_json!)).toMatchObject({ ranges: { APPROVED: [1, 1], 'BATCH_*': [2, 5] } });
      expect((await e.audit.query({ limit: 100 })).map((x) => x.id)).toEqual([7, 6, 3]);
      expect(await e.upkeep.anchorHead()).toMatchObject({ id: 7, count: 3 });

      const report = await e.audit.verify({ anchors: [{ ...anchor }] });
      expect(report).toMatchObject({ intact: true, problems: [], retention_gaps: 2, bridged_rows: 4, prunes: 1, invalid_prunes: [] });
      // The book's trail steps over its removed row; a new row links on, and verify still holds.
      await e.audit.append({ action: 'REJECTED', actor: 'human:c', pipeline_id: book.id });
      expect((await e.audit.query({ pipelineId: book.id })).map((x) => x.id)).toEqual([8, 6]);
      expect((await e.audit.verify()).intact).toBe(true);
      // Retention's own entry is never pruned, and nothing is left for a second run.
      expect(await ops.retention.run()).toMatchObject({ total: 0, audit_id: null });

      // The gate is shut again: a plain DELETE is refused.
      await expect(o.exec('DELETE FROM audit WHERE id = 3')).rejects.toThrow(/append-only/);
      // A deletion record doctored afterwards no longer matches AUDIT_PRUNED's digest.
      await o.exec('UPDATE audit_deletions SET at = at - 1 WHERE id = 4');
      const doctored = await e.audit.verify();
      expect(doctored.intact).toBe(false);
      expect(doctored.invalid_prunes).toEqual([{ id: 7, why: 'the digest of the entries it removed does not match their deletion records' }]);
    });
  });

  describe('anchorHead, checkpointIfLarge, schemaVersion', () => {
    it('reads the head, the count and the time together', async () => {
      expect(await e.upkeep.anchorHead()).toEqual({ id: 0, hash: null, count: 0, hash_version: null, at: o.clock() });
      const id = await e.audit.append({ action: 'ROLLED_BACK', actor: 'human:a' });
      const last = (await e.audit.get(id))!;
      o.clock.advance(1234);
      expect(await e.upkeep.anchorHead()).toEqual({ id, hash: last.hash, count: 1, hash_version: last.hash_version, at: o.clock() });
      expect(await e.audit.head()).toMatchObject({ id, hash: last.hash, count: 1 });
    });

    it('checkpoints a WAL file that grew past the threshold (PostgreSQL: the server owns its WAL, nothing to do)', async () => {
      for (let i = 0; i < 20; i++) await seed();
      const r = await e.upkeep.checkpointIfLarge(0);
      if (under.name === 'sqlite') {
        expect(r.wal_bytes).toBeGreaterThan(0);
        expect(r.checkpointed).toBe(true);
        expect(fs.statSync(e.location + '-wal').size).toBe(0);
      } else {
        expect(r).toEqual({ wal_bytes: 0, checkpointed: false });
      }
      expect((await e.upkeep.checkpointIfLarge(1e12)).checkpointed).toBe(false);
    });

    it('reports the schema version it is migrated to', async () => {
      expect(await e.upkeep.schemaVersion()).toBeGreaterThanOrEqual(1);
    });
  });
});
