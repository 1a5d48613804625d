/** `agentic-pipeline mcp` usage errors: one line on stderr, exit 2, stdout (the protocol channel) empty, no database made. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { initDb, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { actorForClient } from '../../src/mcp/server.js';

describe('mcp command', () => {
  it.each([
    ['a missing database', (db: string) => ['mcp', '--db', db + '.missing'], /database not found/],
    ['--json', (db: string) => ['mcp', '--db', db, '--json'], /drop --json/],
    ['a non-mcp --actor', (db: string) => ['mcp', '--db', db, '--actor', 'human:alice'], /must be mcp:<name>/],
    ['a stray argument', (db: string) => ['mcp', 'now', '--db', db], /unexpected argument 'now'/],
  ])('refuses %s with exit 2', (_label, argv, message) => {
    const dir = tempDir('ap-mcp-cmd-');
    const db = initDb(path.join(dir, 'pipeline.db'));
    const r = runCli(argv(db));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(db + '.missing')).toBe(false);
  });

  it('help names the flags', () => {
    const r = runCli(['mcp', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--read-only/);
    expect(r.stdout).toMatch(/--confirm-with-human/);
  });

  it('turns a client name into an actor the audit accepts', () => {
    expect(actorForClient('Claude Desktop')).toBe('mcp:Claude-Desktop');
    expect(actorForClient('  ')).toBe('mcp:unknown-client');
    expect(actorForClient('evil\u001b]0;x\u0007name')).toBe('mcp:evil-0-x-name');
    expect(actorForClient(undefined)).toBe('mcp:unknown-client');
  });
});
