/**
 * A child process for the store tests (real concurrency through separate processes):
 *   approve-all DB ACTOR         approve every pending_approval book, counting wins and losses
 *   claim-all DB WORKER          claim until the queue is empty; print the ids claimed
 *   claim-batches DB WORKER N    the same with claimBatch(N) and one advanceMany per batch
 *   open DB                      open (create + migrate) the database and print its version
 */
import { createServices } from '../../src/services.js';
import { IllegalTransitionError } from '../../src/domain/errors.js';
import { openDatabase, schemaVersion } from '../../src/db/db.js';

async function main(): Promise<void> {
  const [cmd, dbPath, who] = process.argv.slice(2);
  if (!dbPath) throw new Error('usage: child CMD DB [ARG]');
  if (cmd === 'open') {
    const db = openDatabase(dbPath);
    process.stdout.write(JSON.stringify({ version: schemaVersion(db) }));
    db.close();
    return;
  }
  const s = createServices(dbPath);
  if (cmd === 'approve-all') {
    const ids = s.db.prepare(`SELECT id FROM pipelines ORDER BY id`).pluck().all() as string[];
    let won = 0;
    let lost = 0;
    let other = 0;
    for (const id of ids) {
      try {
        await s.actions.approve(id, who as `human:${string}`);
        won++;
      } catch (err) {
        if (err instanceof IllegalTransitionError) lost++;
        else {
          other++;
          process.stderr.write(String(err) + '\n');
        }
      }
    }
    process.stdout.write(JSON.stringify({ won, lost, other }));
  } else if (cmd === 'claim-all') {
    const claimed: string[] = [];
    let busy = 0;
    for (;;) {
      try {
        const c = s.queue.claimNext(who!, 60_000);
        if (!c) break;
        claimed.push(c.pipeline.id);
        // One guarded transition per claim, as a no-op stage would make.
        s.pipelines.transition({ id: c.pipeline.id, from: 'hashing', to: 'classifying', actor: `system:worker:${who}`, leaseToken: c.leaseToken });
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_BUSY') busy++;
        else throw err;
      }
    }
    process.stdout.write(JSON.stringify({ claimed, busy }));
  } else if (cmd === 'claim-batches') {
    const size = Number(process.argv[5] ?? 10);
    const claimed: string[] = [];
    let busy = 0;
    let refused = 0;
    for (;;) {
      try {
        const batch = s.queue.claimBatch(who!, 60_000, size);
        if (batch.length === 0) break;
        claimed.push(...batch.map((c) => c.pipeline.id));
        const out = s.pipelines.advanceMany(
          batch.map((c) => ({ id: c.pipeline.id, from: 'hashing' as const, to: 'classifying' as const, leaseToken: c.leaseToken })),
          { actor: `system:worker:${who}` },
        );
        refused += out.refused.length;
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_BUSY') busy++;
        else throw err;
      }
    }
    process.stdout.write(JSON.stringify({ claimed, busy, refused }));
  } else {
    throw new Error(`unknown child command ${cmd}`);
  }
  s.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
