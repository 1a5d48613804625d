/**
 * Drives the real `agentic-pipeline mcp` process with the SDK's Client over stdio, and builds a
 * database whose books went through the real worker.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { expect } from 'vitest';
import { CLI, ROOT, initDb, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { writeLibrary, writeTxt, sampleBook } from '../fixtures/books.js';

export interface McpSession {
  client: Client;
  stderr: () => string;
  close(): Promise<void>;
}

export async function startMcp(
  db: string,
  extra: string[] = [],
  clientName = 'test-client',
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
  /** A client set up by the test (capabilities, request handlers); else a plain one named clientName. */
  prepared?: Client,
): Promise<McpSession> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...nodeArgs, CLI, 'mcp', '--db', db, ...extra],
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', USER: 'tester', NO_COLOR: '1', ...env },
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const client = prepared ?? new Client({ name: clientName, version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => err, close: () => client.close() };
}

export interface ToolAnswer {
  isError: boolean;
  text: string;
  doc: Record<string, unknown>;
}

/** Calls a tool; on success the text block must be the structuredContent's JSON. */
export async function call(s: McpSession, name: string, args: Record<string, unknown> = {}): Promise<ToolAnswer> {
  const r = (await s.client.callTool({ name, arguments: args })) as { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: Record<string, unknown> };
  const text = r.content.map((c) => c.text).join('');
  if (!r.isError) {
    expect(r.structuredContent, `${name} returns structuredContent`).toBeDefined();
    expect(JSON.parse(text)).toEqual(r.structuredContent);
  }
  return { isError: Boolean(r.isError), text, doc: r.structuredContent ?? {} };
}

/** Every row of every table, for "nothing changed" comparisons. */
export function dump(db: string): string {
  const d = new Database(db, { readonly: true });
  try {
    const tables = d.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
    return JSON.stringify(tables.map((t) => [t.name, d.prepare(`SELECT * FROM "${t.name}"`).all()]));
  } finally {
    d.close();
  }
}

export interface Library {
  dir: string;
  db: string;
  /** Books the worker took to pending_approval. */
  pending: number;
  /** Books queued but not processed (detected). */
  detected: number;
}

/**
 * 10 books through `batch-queue` + `worker --drain` (→ pending_approval), then 8 more queued
 * with `process` (detected): 18 ids, so two always share a first character (an ambiguous prefix).
 */
export function buildLibrary(): Library {
  const dir = tempDir('ap-mcp-');
  const db = initDb(path.join(dir, 'pipeline.db'));
  writeLibrary(path.join(dir, 'lib'), 10);
  const q = runCli(['batch-queue', path.join(dir, 'lib'), '--db', db]);
  if (q.code !== 0) throw new Error(q.stderr);
  const w = runCli(['worker', '--drain', '--concurrency', '2', '--db', db]);
  if (w.code !== 0) throw new Error(w.stderr);
  for (let i = 0; i < 8; i++) {
    const file = writeTxt(path.join(dir, 'later'), sampleBook(100 + i), { fileName: `later-${i}.txt` });
    const p = runCli(['process', file, '--db', db]);
    if (p.code !== 0) throw new Error(p.stderr);
  }
  return { dir, db, pending: 10, detected: 8 };
}
