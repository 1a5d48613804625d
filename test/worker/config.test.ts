import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WORKER_CONFIG, parseWorkerConfig } from '../../src/config/worker.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

describe('worker config', () => {
  it('defaults to the offline built-ins with auto-approve off', () => {
    expect(DEFAULT_WORKER_CONFIG.classifier).toBe('builtin');
    expect(DEFAULT_WORKER_CONFIG.auto_approve).toEqual({ enabled: false, min_confidence: 0.9 });
    expect(DEFAULT_WORKER_CONFIG.embedder.dims).toBe(256);
    expect(parseWorkerConfig({})).toEqual(DEFAULT_WORKER_CONFIG);
  });

  it('accepts an external classifier and rejects unknown or invalid fields, naming them', () => {
    const cfg = parseWorkerConfig({ worker: { classifier: { command: 'my-model', args: ['--json'] }, backoff: { base_ms: 100, max_ms: 1000 } } });
    expect(cfg.classifier).toEqual({ command: 'my-model', args: ['--json'], timeoutMs: 30_000 });
    expect(() => parseWorkerConfig({ worker: { auto_aprove: {} } })).toThrow(/worker\.\(root\).*auto_aprove|auto_aprove/);
    expect(() => parseWorkerConfig({ worker: { auto_approve: { min_confidence: 2 } } })).toThrow(/worker\.auto_approve\.min_confidence/);
    expect(() => parseWorkerConfig({ worker: { backoff: { base_ms: 1000, max_ms: 10 } } })).toThrow(/max_ms must be >= backoff\.base_ms/);
  });

  it('the worker command refuses a bad config or bad flags with one line and exit 2', () => {
    const dir = tempDir('ap-worker-cfg-');
    const db = path.join(dir, 'p.db');
    const config = path.join(dir, 'c.json');
    fs.writeFileSync(config, JSON.stringify({ worker: { max_attempts: 0 } }));
    const r = runCli(['worker', '--drain', '--db', db, '--config', config]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/worker\.max_attempts/);
    expect(runCli(['worker', '--drain', '--watch', dir, '--db', db]).code).toBe(2);
    expect(runCli(['worker', '--concurrency', '0', '--db', db]).stderr).toMatch(/--concurrency/);
  });

  it('a worker without --watch refuses a database that does not exist (a mistyped --db) and creates nothing', () => {
    const dir = tempDir('ap-worker-missing-');
    const missing = path.join(dir, 'pipline.db');
    const r = runCli(['worker', '--drain', '--db', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/database not found: .*pipline\.db/);
    expect(fs.existsSync(missing)).toBe(false);
  });
});
