/**
 * `agentic-pipeline completion bash|zsh|fish`: the scripts come from the command registry and
 * the same constants the commands validate against. The bash script is sourced into a real
 * interactive bash and asked what it completes (the function bash calls on Tab, and Tab itself
 * in a tmux terminal). zsh and fish are not installed on this machine or in CI: their scripts
 * are checked for content here, and for syntax only where the shell exists.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/registry.js';
import { GLOBAL_FLAGS } from '../../src/cli/args.js';
import { BOOK_TYPES, STATES } from '../../src/domain/states.js';
import { AUDIT_ACTIONS } from '../../src/db/audit.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { hasTmux, isolatedEnv, Tmux } from '../helpers/tmux.js';

const dir = tempDir('ap-completion-');
const bashScript = path.join(dir, 'agentic-pipeline.bash');
const generated = runCli(['completion', 'bash']);
fs.writeFileSync(bashScript, generated.stdout);

const has = (shell: string) => spawnSync(shell, ['-c', 'exit 0']).status === 0;
const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/**
 * What Tab would offer for the command line `words` (the last word is the one being completed):
 * the script is sourced into an interactive bash, COMP_WORDS/COMP_CWORD are set as bash sets
 * them, and the function `complete -p` names is called.
 */
function complete(...words: string[]): string[] {
  const quoted = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `
source ${JSON.stringify(bashScript)}
fn=$(complete -p agentic-pipeline | sed -E 's/.*-F ([^ ]+).*/\\1/')
COMP_WORDS=(${quoted}); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))
COMP_LINE="\${COMP_WORDS[*]}"; COMP_POINT=\${#COMP_LINE}
"$fn" agentic-pipeline "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\\n' "\${COMPREPLY[@]}"
`;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-i', '-c', script], { encoding: 'utf8', cwd: dir, env: { ...process.env, HISTFILE: '/dev/null' } });
  if (r.status !== 0) throw new Error(`bash exited ${r.status}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '');
}

describe('completion bash', () => {
  it('prints a script bash accepts, registering a completion for agentic-pipeline', () => {
    expect(generated.code, generated.stderr).toBe(0);
    expect(generated.stderr).toBe('');
    expect(spawnSync('bash', ['-n', bashScript]).status).toBe(0);
    const r = spawnSync('bash', ['--norc', '--noprofile', '-i', '-c', `source ${JSON.stringify(bashScript)}; complete -p agentic-pipeline`], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/^complete -F \S+ agentic-pipeline$/m);
  });

  it('completes a command prefix to the commands that start with it', () => {
    expect(complete('agentic-pipeline', 'batch-')).toEqual(['batch-queue', 'batch-approve', 'batch-reject', 'batch-retry', 'batch-priority']);
    expect(complete('agentic-pipeline', 'he')).toEqual(['health']);
    // With flags before the command (their values are not taken for the command).
    expect(complete('agentic-pipeline', '--db', 'x.db', 'comp')).toEqual(['completion']);
    // Every registry command and the demo, nothing else.
    expect(complete('agentic-pipeline', '').sort()).toEqual([...Object.keys(COMMANDS), 'demo'].sort());
  });

  it('completes a flag prefix with that command’s own flags and the global ones', () => {
    expect(complete('agentic-pipeline', 'list', '--st')).toEqual(['--state']);
    expect(complete('agentic-pipeline', 'worker', '--dr')).toEqual(['--drain']);
    // `--drain` belongs to worker, not to list.
    expect(complete('agentic-pipeline', 'list', '--dr')).toEqual([]);
    expect(complete('agentic-pipeline', '--read')).toEqual(['--read-only']);
  });

  it('offers exactly the flags each command declares, for every command in the registry', async () => {
    for (const [name, entry] of Object.entries(COMMANDS)) {
      const spec = (await entry.load()).default.flags;
      const expected = Object.entries({ ...spec, ...GLOBAL_FLAGS })
        .map(([flag]) => `--${kebab(flag)}`)
        .sort();
      const offered = complete('agentic-pipeline', name, '--').sort();
      expect({ name, offered }).toEqual({ name, offered: expected });
    }
  });

  it('completes a state value, from the states the commands accept', () => {
    expect(complete('agentic-pipeline', 'list', '--state', 'pend')).toEqual(['pending_approval']);
    expect(complete('agentic-pipeline', 'list', '--state', '')).toEqual([...STATES]);
    // --state=value: bash splits the word at '='.
    expect(complete('agentic-pipeline', 'list', '--state', '=', 'need')).toEqual(['needs_retry']);
    // A comma list completes its last item and keeps the ones before it.
    expect(complete('agentic-pipeline', 'batch-retry', '--state', 'failed,rej')).toEqual(['failed,rejected']);
  });

  it('completes book types, audit actions and stuck recovery actions where each belongs', () => {
    expect(complete('agentic-pipeline', 'batch-approve', '--type', '')).toEqual([...BOOK_TYPES]);
    expect(complete('agentic-pipeline', 'audit', '--action', '')).toEqual([...AUDIT_ACTIONS]);
    expect(complete('agentic-pipeline', 'audit', '--action', 'BATCH_A')).toEqual(['BATCH_APPROVED']);
    expect(complete('agentic-pipeline', 'stuck', '--action', '')).toEqual(['retry', 'reset', 'reject']);
    expect(complete('agentic-pipeline', 'completion', '')).toEqual(['bash', 'zsh', 'fish']);
  });

  it('completes file names for --db and a file to process, and nothing for a free value', () => {
    fs.writeFileSync(path.join(dir, 'library.db'), '');
    fs.writeFileSync(path.join(dir, 'book one.epub'), '');
    expect(complete('agentic-pipeline', 'list', '--db', 'lib')).toEqual(['library.db']);
    expect(complete('agentic-pipeline', 'process', 'book')).toEqual(['book one.epub']);
    // A reason or a number is typed, not picked: no commands or files are offered for it.
    expect(complete('agentic-pipeline', 'reject', 'abc', '--reason', '')).toEqual([]);
  });
});

describe.skipIf(!hasTmux)('completion bash in a terminal', () => {
  const tmux = new Tmux(`ap-completion-${process.pid}`);
  afterAll(() => tmux.killServer());

  it('Tab completes a command, a flag and a state on the command line', async () => {
    await tmux.startShell('c', { cols: 100, rows: 10, env: isolatedEnv({ HOME: dir }), cwd: dir, prompt: 'ready$ ' });
    tmux.type('c', `source ${JSON.stringify(bashScript)}`);
    await tmux.waitFor('c', /source[^\n]*\nready\$ $/m, 'the prompt after source');
    // Nothing runs: the line is only completed, and the screen shows what Tab wrote.
    tmux.run('send-keys', '-t', 'c', '-l', 'agentic-pipeline wor');
    await tmux.press('c', 'Tab');
    await tmux.waitFor('c', 'agentic-pipeline worker ', 'the completed command');
    tmux.run('send-keys', '-t', 'c', '-l', '--', '--dra');
    await tmux.press('c', 'Tab');
    await tmux.waitFor('c', 'agentic-pipeline worker --drain ', 'the completed flag');
    tmux.run('send-keys', '-t', 'c', 'C-u');
    tmux.run('send-keys', '-t', 'c', '-l', '--', 'agentic-pipeline list --state pending_a');
    await tmux.press('c', 'Tab');
    await tmux.waitFor('c', 'agentic-pipeline list --state pending_approval ', 'the completed state');
  });
});

describe('completion zsh and fish', () => {
  it('zsh: a script that loads the same completion through bashcompinit', () => {
    const r = runCli(['completion', 'zsh']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('bashcompinit');
    expect(r.stdout).toMatch(/^complete -F \S+ agentic-pipeline$/m);
    expect(r.stdout).toContain('pending_approval');
    if (has('zsh')) {
      const file = path.join(dir, 'ap.zsh');
      fs.writeFileSync(file, r.stdout);
      expect(spawnSync('zsh', ['-n', file]).status).toBe(0);
    }
  });

  it('fish: one complete line per command and per flag, values inline', () => {
    const r = runCli(['completion', 'fish']);
    expect(r.code, r.stderr).toBe(0);
    for (const name of [...Object.keys(COMMANDS), 'demo']) expect(r.stdout).toMatch(new RegExp(`-a ${name} -d `));
    expect(r.stdout).toMatch(/__fish_seen_subcommand_from list' -l state -x -a '[^']*pending_approval/);
    if (has('fish')) {
      const file = path.join(dir, 'ap.fish');
      fs.writeFileSync(file, r.stdout);
      expect(spawnSync('fish', ['--no-execute', file]).status).toBe(0);
    }
  });
});

describe('completion usage errors', () => {
  it('an unknown or missing shell is one line on stderr and exit 2', () => {
    const unknown = runCli(['completion', 'tcsh']);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toBe("agentic-pipeline: unknown shell 'tcsh': expected bash, zsh or fish\n");
    const missing = runCli(['completion']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--json prints one JSON document holding the script', () => {
    const r = runCli(['completion', 'bash', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ shell: 'bash', script: generated.stdout });
  });
});
