/** `status` shows a failed book's error as a sentence; `--json` keeps the structured document. */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createServices } from '../../src/services.js';
import { runCli, runCliJson } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const dbPath = path.join(tempDir(), 'pipeline.db');
const services = createServices(dbPath);
afterAll(() => services.close());

const doc = {
  code: 'validation_failed',
  stage: 'validating',
  message: "validation failed with strategy 'conservative': only 89 words, conservative strategy wants 100",
  failures: ['only 89 words'],
};

describe('status of a failed book', () => {
  const row = services.db.transaction(() => services.pipelines.insert({ source_path: '/library/short\u001b[2J.txt', priority: 5, actor: 'system:test' }))();
  services.pipelines.transition({ id: row.id, from: 'detected', to: 'failed', actor: 'system:test', patch: { error_json: JSON.stringify(doc) } });

  it('human output: the error in words, no JSON, control characters escaped', () => {
    const r = runCli(['status', row.id, '--db', dbPath]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Last error +validation failed with strategy 'conservative': only 89 words, conservative strategy wants 100/);
    expect(r.stdout).not.toContain('{"code"');
    expect(r.stdout).toContain('short\\x1b[2J.txt');
    expect(r.stdout).not.toContain('\u001b[2J');
  });

  it('--json keeps the structured error document', () => {
    const r = runCliJson<{ error_json?: unknown; error?: unknown }>(['status', row.id, '--db', dbPath]);
    expect(r.code).toBe(0);
    const j = r.doc as Record<string, unknown>;
    const stored = j.error ?? j.error_json;
    expect(typeof stored === 'string' ? JSON.parse(stored) : stored).toMatchObject({ code: 'validation_failed' });
  });
});
