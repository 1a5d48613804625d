/**
 * The demo's sample library and its one staged problem. No React or Ink here: the console's
 * demo runner (screens/run-demo.tsx) calls these.
 *
 * - `writeSampleLibrary`: real EPUB, PDF, TXT (plus Markdown/HTML) books generated on the spot,
 *   a few broken files (truncated EPUB, text named .pdf, an empty file), mixed priorities.
 * - `stallBook`: the demo-only hook — a "ghost" worker claims one book under a short lease and
 *   never heartbeats, as a crashed worker would; when the lease runs out the book shows in the
 *   Stuck tab for the operator to reset, retry or reject.
 */
import path from 'node:path';
import type { EngineServices } from '../services.js';
import type { Actor } from '../domain/actor.js';
import { writeEmptyFile, writeLibrary, writeTextNamedPdf, writeTruncatedEpub } from './book-files.js';

export interface SampleBook {
  readonly path: string;
  readonly priority: number;
  readonly broken: boolean;
}

export function writeSampleLibrary(dir: string, count = 24): SampleBook[] {
  const good = writeLibrary(path.join(dir, 'books'), count, { seed: 2024, formats: ['epub', 'pdf', 'txt', 'epub', 'markdown', 'html'] });
  const broken = [
    writeTruncatedEpub(path.join(dir, 'broken')),
    writeTextNamedPdf(path.join(dir, 'broken')),
    writeEmptyFile(path.join(dir, 'broken'), 'empty.txt'),
  ];
  return [
    ...good.map((b, i) => ({ path: b.path, priority: [1, 3, 5, 5, 7, 9][i % 6]!, broken: false })),
    ...broken.map((p) => ({ path: p, priority: 5, broken: true })),
  ];
}

/** Queues every sample book; returns the pipeline ids in the same order. */
export async function queueSampleLibrary(services: Pick<EngineServices, 'enqueuer'>, books: readonly SampleBook[], actor: Actor): Promise<string[]> {
  const ids: string[] = [];
  for (const b of books) {
    const r = await services.enqueuer.enqueueFile(b.path, { priority: b.priority, actor });
    ids.push(r.pipeline.id);
  }
  return ids;
}

export const STALLED_WORKER = 'demo-crashed-worker';

/**
 * Claims the most urgent queued book as a worker that then "crashes" (never heartbeats again).
 * Call before the real workers start, with the book to stall at priority 1.
 */
export async function stallBook(services: Pick<EngineServices, 'engine'>, leaseMs = 20_000): Promise<string | undefined> {
  await services.engine.queue.register(STALLED_WORKER, { concurrency: 1, leaseMs, demo: 'stalls one book' });
  const claim = await services.engine.queue.claimNext(STALLED_WORKER, leaseMs);
  return claim?.pipeline.id;
}
