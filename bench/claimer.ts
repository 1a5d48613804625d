/**
 * One claiming process of the claims bench, on either engine through the Engine interface (as a
 * worker claims): `node claimer.js LOCATION QUOTA BATCH`. Opens the engine and registers, says
 * "ready", waits for "go" on stdin, then claims until it has QUOTA books or the queue is empty,
 * BATCH at a time (1: claimNext; more: claimBatch), and prints one JSON report.
 *
 * Separate processes because that is how a fleet claims: 8 claimers in one Node process would
 * measure one event loop. On SQLite the processes contend for the file's write lock (busy_timeout
 * waits inside SQLite); on PostgreSQL each has its own connection.
 */
import { openEngine } from '../src/db/open.js';

export interface ClaimerReport {
  claims: number;
  /** Wall-clock ms (performance.timeOrigin based, comparable across processes on one host). */
  startedAt: number;
  endedAt: number;
  busy: number;
  errors: number;
  firstError: string | null;
  /** This process's CPU (user + system) over the claiming loop, ms: what a claimer costs its host. */
  cpuMs: number;
}

const wallNow = () => performance.timeOrigin + performance.now();

async function main(location: string, quota: number, batch: number): Promise<void> {
  const engine = await openEngine(location);
  const worker = `bench-claimer-${process.pid}`;
  await engine.queue.register(worker, { concurrency: batch });
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  process.stdin.destroy(); // an open stdin pipe would keep the process alive after the report
  const cpu0 = process.cpuUsage();
  const r: ClaimerReport = { claims: 0, startedAt: wallNow(), endedAt: 0, busy: 0, errors: 0, firstError: null, cpuMs: 0 };
  while (r.claims < quota) {
    try {
      const got = batch === 1
        ? ((await engine.queue.claimNext(worker, 600_000)) ? 1 : 0)
        : (await engine.queue.claimBatch(worker, 600_000, Math.min(batch, quota - r.claims))).length;
      if (got === 0) break;
      r.claims += got;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT') r.busy++;
      else r.errors++;
      r.firstError ??= (err as Error).message;
      if (r.errors > 100) break;
    }
  }
  r.endedAt = wallNow();
  const cpu = process.cpuUsage(cpu0);
  r.cpuMs = (cpu.user + cpu.system) / 1000;
  await engine.close();
  process.stdout.write(JSON.stringify(r) + '\n');
}

main(process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])).catch((err: unknown) => {
  process.stderr.write(`claimer: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
