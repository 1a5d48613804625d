/**
 * A batch's audit trail tells what happened, no more (issue #16, defect 9), and approvals are
 * found the same way however they were made (issue #11): the books of a batch approval carry
 * action APPROVED and the batch header's id, next to single approvals.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { runCli, runCliJson, spawnCli } from '../helpers/cli.js';
import { createServices } from '../../src/services.js';
import { STALL_AFTER_CHUNK_ENV } from '../../src/ops/batch.js';
import { tempDir } from '../helpers/tmp.js';
import { addBook, setup } from './helpers.js';

/** "Every approval has an audit entry", as one query: the books approved with no APPROVED row. */
const APPROVALS_WITHOUT_AUDIT = `
  SELECT pipeline_id FROM state_history WHERE to_state = 'approved'
  EXCEPT SELECT pipeline_id FROM audit WHERE action = 'APPROVED'`;

describe('a batch killed mid-way', () => {
  it('SIGKILL after the 2nd of 5 chunks: the trail claims exactly the books that were approved', async () => {
    const { s, dbPath } = setup();
    for (let i = 0; i < 250; i++) addBook(s, { state: 'pending_approval', book_type: 'fiction', confidence: 0.9 });
    s.close();
    const cfg = path.join(tempDir('ap-cfg-'), 'cfg.json');
    fs.writeFileSync(cfg, JSON.stringify({ ops: { batch: { chunk_size: 50 } } }));
    const child = spawnCli(['batch-approve', '--db', dbPath, '--config', cfg, '--state', 'pending_approval', '--max', '1000', '--execute'], {
      env: { [STALL_AFTER_CHUNK_ENV]: '2' },
    });
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('stalled after chunk 2')) resolve();
      });
      child.on('exit', () => reject(new Error(`batch-approve exited before its 2nd chunk: ${stderr}`)));
    });
    child.kill('SIGKILL');
    await once(child, 'exit');

    const after = createServices(dbPath, { readonly: true });
    try {
      const approved = after.pipelines.countsByState().approved ?? 0;
      expect(approved).toBe(100);
      const [header] = after.audit.query({ action: 'BATCH_APPROVED' });
      expect(header).toBeDefined();
      // The header names its own chunk only; it never claims the 250 planned.
      expect(header!.count).toBe(50);
      expect(JSON.parse(header!.details_json!)).toMatchObject({ planned: 250, chunks: 5 });
      expect(after.audit.batchApplied(header!.id)).toBe(approved);
      expect(after.audit.query({ action: 'BATCH_CHUNK' }).map((r) => [r.batch_id, r.count])).toEqual([[header!.id, 50]]);
      const perBook = after.db.prepare(`SELECT COUNT(*) FROM audit WHERE batch_id = ? AND action = 'APPROVED'`).pluck().get(header!.id);
      expect(perBook).toBe(approved);
      expect(after.db.prepare(APPROVALS_WITHOUT_AUDIT).all()).toEqual([]);
    } finally {
      after.close();
    }
    expect(runCli(['audit', '--verify', '--db', dbPath]).code).toBe(0);
  });
});

describe('approvals are found by audit --action APPROVED however they were made', () => {
  it('single approvals and a batch approval’s books: APPROVED rows, the batch’s carrying its header id; likewise REJECTED', async () => {
    const { s, dbPath } = setup();
    const single = addBook(s, { state: 'pending_approval' });
    const inBatch = Array.from({ length: 3 }, () => addBook(s, { state: 'pending_approval', book_type: 'fiction', confidence: 0.95 }));
    const toReject = addBook(s, { state: 'pending_approval', book_type: 'textbook', confidence: 0.2 });
    await s.actions.approve(single.id, 'human:alice');
    s.close();
    const b = runCliJson<{ audit_id: number; affected: number }>(['batch-approve', '--db', dbPath, '--type', 'fiction', '--execute']);
    expect(b.code).toBe(0);
    expect(b.doc.affected).toBe(3);
    expect(runCli(['batch-reject', '--db', dbPath, '--type', 'textbook', '--reason', 'not ours', '--execute']).code).toBe(0);

    const found = runCliJson<{ entries: { action: string; pipeline_id: string | null; batch_id: number | null }[] }>(['audit', '--action', 'APPROVED', '--db', dbPath]);
    expect(found.doc.entries.map((e) => e.pipeline_id).sort()).toEqual([single.id, ...inBatch.map((x) => x.id)].sort());
    for (const e of found.doc.entries) expect(e.batch_id).toBe(e.pipeline_id === single.id ? null : b.doc.audit_id);
    const rejected = runCliJson<{ entries: { pipeline_id: string }[] }>(['audit', '--action', 'REJECTED', '--db', dbPath]);
    expect(rejected.doc.entries.map((e) => e.pipeline_id)).toEqual([toReject.id]);
    // The batch row stays BATCH_APPROVED, and names what it applied.
    const header = runCliJson<{ entries: { id: number; count: number }[] }>(['audit', '--action', 'BATCH_APPROVED', '--db', dbPath]);
    expect(header.doc.entries).toMatchObject([{ id: b.doc.audit_id, count: 3 }]);

    // One query answers "does every approval have an audit entry?": an approval written without
    // one (straight to the store) is the one it names.
    const s2 = createServices(dbPath);
    expect(s2.db.prepare(APPROVALS_WITHOUT_AUDIT).all()).toEqual([]);
    const sneaky = addBook(s2, { state: 'pending_approval' });
    s2.pipelines.transition({ id: sneaky.id, from: 'pending_approval', to: 'approved', actor: 'human:mallory' });
    expect(s2.db.prepare(APPROVALS_WITHOUT_AUDIT).pluck().all()).toEqual([sneaky.id]);
    s2.close();
  });
});
