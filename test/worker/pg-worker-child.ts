/**
 * One worker process on a PostgreSQL database, for test/worker/multi-host-pg.test.ts (compiled
 * into dist/ by the build): `node dist/test/worker/pg-worker-child.js URL WORKER_ID LEASE_MS`.
 * It opens the services with openServices(URL), runs a Worker (the real stages, real files)
 * until SIGTERM, then prints its stats as one JSON line on stdout. Logs (warnings and up) go to
 * stderr as JSON lines.
 */
import { openServices } from '../../src/services.js';
import { Worker } from '../../src/worker/worker.js';
import { createLogger } from '../../src/worker/logger.js';
import { parseWorkerConfig } from '../../src/config/worker.js';

const [url, id, leaseMs] = process.argv.slice(2);
if (!url || !id || !leaseMs) {
  process.stderr.write('usage: pg-worker-child URL WORKER_ID LEASE_MS\n');
  process.exit(2);
}

const services = await openServices(url);
// Rescue often: a dead worker's books come back soon after its short lease runs out.
const config = parseWorkerConfig({ worker: { lease_rescue: { interval_seconds: 0.5, max_auto_recoveries: 3 } } }, 'pg-worker-child');
const worker = new Worker(services, {
  id,
  config,
  leaseMs: Number(leaseMs),
  pollIntervalMs: 50,
  concurrency: 1,
  logger: createLogger({ level: process.env.AGENTIC_PIPELINE_LOG_LEVEL ?? 'warn' }),
});
process.on('SIGTERM', () => void worker.stop());
await worker.start();
const stats = await worker.finished;
await services.engine.close();
process.stdout.write(JSON.stringify(stats) + '\n');
