/** A library folder of small book files and a database, for CLI tests. */
import fs from 'node:fs';
import path from 'node:path';
import { createServices, type SqliteServices as Services } from '../../src/services.js';
import type { PipelineState } from '../../src/domain/states.js';
import { tempDir } from '../helpers/tmp.js';

export function library(files: Record<string, string>): string {
  const dir = tempDir('ap-lib-');
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(dir, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, content);
  }
  return dir;
}

/** A new database as `init` leaves it (only `init` creates one), in its own temp folder. */
export function dbIn(): string {
  const file = path.join(tempDir('ap-db-'), 'pipeline.db');
  createServices(file, { create: true }).close();
  return file;
}

/** Moves a book along legal transitions to `state` (what workers would have done). */
export function moveTo(dbPath: string, id: string, path_: PipelineState[], extra: { book_type?: string; confidence?: number } = {}): void {
  const s: Services = createServices(dbPath);
  try {
    let cur = s.pipelines.require(id).state;
    for (const to of path_) {
      s.pipelines.transition({
        id,
        from: cur,
        to,
        actor: 'system:worker:test',
        ...(to === 'pending_approval' ? { patch: { book_type: extra.book_type ?? 'textbook', confidence: extra.confidence ?? 0.82 } } : {}),
      });
      cur = to;
    }
  } finally {
    s.close();
  }
}

export const TO_PENDING: PipelineState[] = ['hashing', 'classifying', 'selecting_strategy', 'processing', 'validating', 'pending_approval'];
export const TO_COMPLETE: PipelineState[] = [...TO_PENDING, 'approved', 'embedding', 'complete'];

export function maxWidth(text: string): number {
  return Math.max(0, ...text.split('\n').map((l) => l.length));
}
