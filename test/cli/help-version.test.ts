/**
 * `agentic-pipeline --help` and `--version` through the built binary: what someone who just
 * installed the tool reads first.
 */
import fs from 'node:fs';
import path from 'node:path';
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { GLOBAL_FLAGS } from '../../src/cli/args.js';
import { COMMANDS } from '../../src/cli/registry.js';
import { MIGRATIONS } from '../../src/db/migrations.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

describe('--help', () => {
  const help = runCli(['--help']);

  it('lists every command, the global flags and the environment variables, in 80 columns', () => {
    expect(help.code).toBe(0);
    expect(help.stderr).toBe('');
    for (const name of [...Object.keys(COMMANDS), 'demo']) expect(help.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    for (const flag of Object.keys(GLOBAL_FLAGS)) expect(help.stdout).toMatch(new RegExp(`^  --${kebab(flag)}\\b`, 'm'));
    for (const flag of ['--refresh', '--read-only', '--version']) expect(help.stdout).toMatch(new RegExp(`^  ${flag}\\b`, 'm'));
    for (const env of ['AGENTIC_PIPELINE_DB', 'AGENTIC_PIPELINE_CONFIG', 'NO_COLOR', 'XDG_DATA_HOME', 'AGENTIC_PIPELINE_AUDIT_KEY', 'AGENTIC_PIPELINE_AUDIT_KEY_FILE']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${env}(\\s|$)`, 'm'));
    }
    for (const line of help.stdout.split('\n')) expect({ line, fits: stringWidth(line) <= 80 }).toEqual({ line, fits: true });
  });

  it('is the same with -h, and mentions completion', () => {
    expect(runCli(['-h']).stdout).toBe(help.stdout);
    expect(help.stdout).toContain('agentic-pipeline completion bash|zsh|fish');
  });
});

describe('--version', () => {
  it('prints the version and the database schema version, which init then creates', () => {
    const r = runCli(['--version']);
    expect(r).toEqual({ code: 0, stdout: `agentic-pipeline ${version} (database schema version ${MIGRATIONS.length})\n`, stderr: '' });
    expect(runCli(['-v']).stdout).toBe(r.stdout);
    const init = runCli(['init', '--db', path.join(tempDir(), 'p.db'), '--json']);
    expect((JSON.parse(init.stdout) as { schema_version: number }).schema_version).toBe(MIGRATIONS.length);
  });

  it('--version --json is one JSON document', () => {
    const r = runCli(['--version', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ version, schema_version: MIGRATIONS.length });
  });
});
