/**
 * Queues every file of a folder for a bench run: hashed in parallel, then recorded in one
 * transaction (the bench measures the worker, not queueing).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createServices } from '../src/services.js';
import { hashFile } from '../src/ingest/hash.js';

export async function queueFolder(db: string, dir: string): Promise<void> {
  const services = createServices(db);
  try {
    const files = fs.readdirSync(dir).map((f) => path.join(dir, f));
    const hashed = await Promise.all(files.map(async (f) => ({ f, ...(await hashFile(f)) })));
    // The SQLite engine records synchronously, so every record runs inside this one transaction.
    const recorded: Promise<unknown>[] = [];
    services.db.transaction(() => {
      for (const h of hashed) recorded.push(services.enqueuer.record({ path: h.f, hash: h.hash, size: h.size, priority: 5, actor: 'system:bench' }));
    }).immediate();
    await Promise.all(recorded);
  } finally {
    services.close();
  }
}
