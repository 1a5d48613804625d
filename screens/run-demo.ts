/**
 * `agentic-pipeline demo`: a temporary database, a generated sample library (real EPUB, PDF and
 * TXT books, a few broken files, mixed priorities, one book whose worker "crashes"), two workers
 * in this process, new books arriving every few seconds (src/demo/demo-feed.ts), and the console
 * over it all. On exit the workers stop, and the temporary
 * files are removed unless --keep (the database path is printed either way).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServices } from '../src/services.js';
import type { Actor } from '../src/domain/actor.js';
import { Worker } from '../src/worker/worker.js';
import { silentLogger } from '../src/worker/logger.js';
import { queueSampleLibrary, stallBook, writeSampleLibrary } from '../src/demo/sample-library.js';
import { DemoFeed } from '../src/demo/demo-feed.js';
import { runConsole } from './run-console.js';
import { exitByHangup, HANGUP_EXIT_CODE } from './terminal.js';

export interface DemoOptions {
  readonly actor: Actor;
  readonly refreshSeconds: number;
  readonly keep: boolean;
  readonly books?: number;
  readonly workers?: number;
}

export async function runDemo(options: DemoOptions): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentic-pipeline-demo-'));
  const dbPath = path.join(dir, 'pipeline.db');
  process.stdout.write(`demo: writing a sample library and queueing it in ${dbPath}\n`);
  const setup = createServices(dbPath);
  const books = writeSampleLibrary(path.join(dir, 'library'), options.books ?? 24);
  await queueSampleLibrary(setup, books, 'system:demo');
  await stallBook(setup);
  setup.close();

  // Workers and the console each get their own connection, as separate processes would: the
  // console sees the workers' commits through the engine's change version (data_version).
  const workerServices = createServices(dbPath);
  const workers = Array.from(
    { length: options.workers ?? 2 },
    (_, i) =>
      new Worker(workerServices, {
        id: `demo-worker-${i + 1}`,
        concurrency: 1,
        logger: silentLogger(),
        // Leave the crashed worker's book for the operator (Stuck tab) instead of rescuing it.
        leaseRescue: false,
        // Slow enough to watch.
        stageDelaysMs: { processing: 1500, embedding: 1000 },
      }),
  );
  for (const w of workers) await w.start();
  // New books keep arriving (some broken, some stalled), so the demo still moves after minutes.
  const feed = new DemoFeed(workerServices, { dir: path.join(dir, 'library', 'arrivals') });
  feed.start();
  const consoleServices = createServices(dbPath);
  let code = 1;
  try {
    code = await runConsole({ dbPath, actor: options.actor, refreshSeconds: options.refreshSeconds, readOnly: false, services: consoleServices });
  } finally {
    await feed.stop();
    await Promise.all(workers.map((w) => w.stop({ graceMs: 0 })));
    consoleServices.close();
    workerServices.close();
    if (options.keep) {
      process.stdout.write(`demo: database kept at ${dbPath}\n`);
    } else {
      fs.rmSync(dir, { recursive: true, force: true });
      process.stdout.write(`demo: removed ${dbPath} (use --keep to keep it)\n`);
    }
  }
  if (code === HANGUP_EXIT_CODE) exitByHangup();
  return code;
}
