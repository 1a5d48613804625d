/**
 * No result over ~100 KB: a 500-row page of pipelines is shortened to fit and its cursor leads
 * on to the rest, so an assistant reading page after page sees every book exactly once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { initDb, runCli, runCliJson } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { call, startMcp } from './support.js';

const BOOKS = 300;

describe('bounded output over stdio', () => {
  it('cuts a 500-row page to ~100 KB and pages on to every book', async () => {
    const dir = tempDir('ap-mcp-size-');
    const db = initDb(path.join(dir, 'pipeline.db'));
    const lib = path.join(dir, 'lib', 'a-folder-name-long-enough-to-make-each-row-weigh-something'.repeat(3));
    fs.mkdirSync(lib, { recursive: true });
    for (let i = 0; i < BOOKS; i++) fs.writeFileSync(path.join(lib, `book-${i}.txt`), `Chapter 1\n\nBook number ${i}.\n`);
    expect(runCli(['batch-queue', path.join(dir, 'lib'), '--db', db]).code).toBe(0);
    const s = await startMcp(db);
    try {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const a = await call(s, 'list_pipelines', { limit: 500, ...(cursor ? { cursor } : {}) });
        expect(a.text.length).toBeLessThanOrEqual(100_000);
        seen.push(...(a.doc.pipelines as { id: string }[]).map((p) => p.id));
        cursor = (a.doc.next_cursor as string | null) ?? undefined;
        pages++;
      } while (cursor && pages < 20);
      expect(pages).toBeGreaterThan(1);
      expect(new Set(seen).size, JSON.stringify(runCliJson(['list', '--limit', '1000', '--db', db]).doc).slice(0, 100)).toBe(seen.length);
      expect(runCliJson<{ total: number }>(['list', '--db', db]).doc.total).toBe(BOOKS);
      expect(seen).toHaveLength(BOOKS);
      expect(new Set(seen).size).toBe(BOOKS);
    } finally {
      await s.close();
    }
  });
});
