/**
 * batch-queue's recording on PostgreSQL (BatchOps.queueMany): many hashed files in ONE
 * transaction, the batch header first in the audit trail and every book's row pointing at it.
 *
 * SQLite appends each book's audit row as it records the book, so it must know the header's id
 * before recording anything: it plays the records in a savepoint it rolls back, writes the header
 * from that plan, then records them again and checks the replay equals the plan. Here a
 * recording writes the book and leaves its audit row to the caller (./actions.ts recordIn), so
 * the files are recorded once, the header is built from those very records (no plan can differ
 * from what is written), and the audit rows follow: the header, then the books' rows in file
 * order. The trail is the same as SQLite's (same ids, same order, same batch_id); the records the
 * header callback sees have no audit ids yet (null).
 *
 * Lock order: every content of the batch (advisory, in key order, one statement), then the books'
 * rows as they are written, then the audit chain head, last, as in every other transaction.
 */
import type { AuditEntryInput } from '../audit.js';
import type { BatchOps } from '../ops/batches.js';
import type { EnqueueRecorded } from '../ops/actions.js';
import { newPipelineId } from '../pipelines.js';
import type { PgContext } from './context.js';
import { appendIn } from './audit.js';
import { lockContents, recordIn, withContentTx, type RecordedFile } from './actions.js';

export function pgQueueMany(ctx: PgContext, key: Buffer | null): BatchOps['queueMany'] {
  return async ({ files: requested, header }) => {
    // New rows' ids fixed before the transaction: a run again (deadlock, content race) records
    // the same books under the same ids.
    const files = requested.map((f) => (f.id !== undefined ? f : { ...f, id: newPipelineId() }));
    return withContentTx(ctx.pool, async (c) => {
      await lockContents(c, files.map((f) => f.hash));
      const recorded: RecordedFile[] = [];
      for (const f of files) recorded.push(await recordIn(ctx, c, f));
      const results: EnqueueRecorded[] = recorded.map((r) => r.recorded);
      const entry = header(results);
      const batchId = entry ? (await appendIn(ctx, key, c, [entry]))[0]! : null;
      const written: number[] = [];
      const entries: AuditEntryInput[] = [];
      recorded.forEach((r, i) => {
        if (!r.event) return;
        written.push(i);
        entries.push(files[i]!.audit(r.event, batchId));
      });
      const ids = await appendIn(ctx, key, c, entries);
      written.forEach((i, j) => {
        results[i] = { ...results[i]!, auditId: ids[j]! };
      });
      return { results, batchId };
    });
  };
}
