/**
 * The server's start-up path loads the domain, the store and the SDK only: an assistant starts
 * it for every session, and Ink, React (the console) or pdfjs (the worker's PDF reader) would
 * cost hundreds of milliseconds for nothing. Every module the real process loads is recorded by
 * a loader hook (node --import) while the client lists the tools and calls them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { initDb } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { writeLibrary } from '../fixtures/books.js';
import { call, startMcp } from './support.js';

const HOOK = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hooks/record-loads.mjs');
const HEAVY = /\/node_modules\/(ink|react|react-reconciler|pdfjs-dist|yoga-layout)\/|\/dist\/(screens|store|components|console)\/|\/src\/ingest\/formats\//;

describe('mcp start-up', () => {
  it('never loads Ink, React or pdfjs, even after every kind of tool has answered', async () => {
    const dir = tempDir('ap-mcp-start-');
    const db = initDb(path.join(dir, 'pipeline.db'));
    const log = path.join(dir, 'loaded.txt');
    const [book] = writeLibrary(path.join(dir, 'lib'), 1, { formats: ['pdf'] });
    const s = await startMcp(db, [], 'start-test', { AP_LOADED_LOG: log }, ['--import', HOOK]);
    try {
      await s.client.listTools();
      expect((await call(s, 'get_pipeline_health')).isError).toBe(false);
      expect((await call(s, 'process_file', { path: book!.path })).isError).toBe(false);
      expect((await call(s, 'batch_queue_folder', { path: path.join(dir, 'lib') })).isError).toBe(false);
      expect((await call(s, 'batch_approve', {})).isError).toBe(false);
      expect((await call(s, 'get_pipeline', { pipeline_id: 'ffff' })).isError).toBe(true);
    } finally {
      await s.close();
    }
    const loaded = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean);
    // The hook saw the server's own modules (so an empty list cannot pass) …
    expect(loaded.some((u) => u.includes('/dist/src/mcp/server.js'))).toBe(true);
    expect(loaded.some((u) => u.includes('@modelcontextprotocol/sdk'))).toBe(true);
    // … and nothing of the console or the PDF reader.
    expect(loaded.filter((u) => HEAVY.test(u))).toEqual([]);
  });
});
