/**
 * The console in a real terminal: tmux runs the built CLI in a 100×30 pane; keys go in through
 * send-keys and the screen is read back with capture-pane. Checks the whole path a person takes
 * (tabs, reset a stuck book, approve a previewed batch, see it in Audit, quit) and that the shell
 * is usable afterwards and the database holds the actions. Skipped when tmux is not installed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createServices } from '../../src/services.js';
import { CLI, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { buildFixture } from './fixtures.js';

const hasTmux = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;
if (!hasTmux) console.warn('tmux.e2e: tmux is not installed, skipping the real-terminal test (CI installs it)');

const socket = `ap-e2e-${process.pid}`;
const session = 'console';
const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
const capture = (): string => tmux('capture-pane', '-p', '-t', session).stdout;

async function waitForScreen(test: (screen: string) => boolean, what: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const screen = capture();
    if (test(screen)) return screen;
    if (Date.now() > deadline) throw new Error(`tmux: never saw ${what}. Screen:\n${screen}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const waitFor = (text: string | RegExp, timeoutMs?: number) =>
  waitForScreen((s) => (typeof text === 'string' ? s.includes(text) : text.test(s)), String(text), timeoutMs);
/** One key per send-keys, as a person types (tmux would otherwise deliver several in one read). */
async function press(...keys: string[]): Promise<void> {
  for (const k of keys) {
    tmux('send-keys', '-t', session, k);
    await new Promise((r) => setTimeout(r, 30));
  }
}

afterAll(() => {
  if (hasTmux) tmux('kill-server');
});

describe.skipIf(!hasTmux)('console under tmux', () => {
  it('resets a stuck book, approves a previewed batch, shows it in Audit, quits cleanly', async () => {
    const dbPath = path.join(tempDir(), 'pipeline.db');
    const fx = buildFixture(dbPath, { stuck: 1, pending: 5, queued: 5 });
    const stuckId = fx.stuckIds[0]!;
    fx.services.close();

    const env: NodeJS.ProcessEnv = { ...process.env, LANG: 'C.UTF-8', USER: 'tester', NO_COLOR: '1', PS1: 'e2e$ ' };
    delete env.TMUX;
    const started = spawnSync(
      'tmux',
      ['-L', socket, 'new-session', '-d', '-s', session, '-x', '100', '-y', '30', 'bash --norc --noprofile'],
      { env, encoding: 'utf8' },
    );
    expect(started.status, started.stderr).toBe(0);
    await waitForScreen((s) => s.trim() !== '', 'a shell prompt');
    // bash ignores PS1 from the environment: set a prompt we can recognise.
    tmux('send-keys', '-t', session, "PS1='e2e$ '", 'Enter');
    await waitFor(/^e2e\$/m);
    tmux('send-keys', '-t', session, `cd ${ROOT} && node ${CLI} --db ${dbPath}`, 'Enter');

    await waitFor(/\[1 Health.*\]/);
    await waitFor('Stuck 1');
    await press('2');
    await waitFor(/hashing .* lease expired \/library\/stuck\/stalled-0\.pdf/);
    await press('R');
    await waitFor('Reset book "stalled-0.pdf"');
    await press('y');
    await waitFor(/Reset [0-9a-f]{8}: now detected \(audit #\d+\)/);

    await press('4');
    await waitFor('Preview: 5 books match');
    await press('a');
    await waitFor('Approve the 5 previewed books?');
    await press('y');
    const approved = await waitFor(/Approved 5 books \(audit #\d+\)/);
    const auditId = Number(/Approved 5 books \(audit #(\d+)\)/.exec(approved)![1]);

    await press('5');
    await waitFor(/BATCH_APPROVED +human:tester/);
    await waitFor(/STUCK_RECOVERED +human:tester/);

    await press('q');
    // Back on the normal screen: the console is gone and the shell answers.
    await waitForScreen((s) => {
      const lines = s.split('\n').filter((l) => l.trim() !== '');
      return !s.includes('Health') && lines[lines.length - 1] === 'e2e$';
    }, 'the shell prompt after quitting');
    tmux('send-keys', '-t', session, 'echo done-$((1+1))-marker', 'Enter');
    await waitFor(/^done-2-marker$/m);

    const services = createServices(dbPath, { readonly: true });
    try {
      expect(services.pipelines.get(stuckId)?.state).toBe('detected');
      for (const id of fx.pendingIds) expect(services.pipelines.get(id)?.state).toBe('approved');
      const batch = services.audit.get(auditId)!;
      expect(batch.action).toBe('BATCH_APPROVED');
      expect(batch.actor).toBe('human:tester');
      expect(JSON.parse(batch.ids_json!).sort()).toEqual([...fx.pendingIds].sort());
      expect(services.audit.query({ action: 'STUCK_RECOVERED' })[0]?.pipeline_id).toBe(stuckId);
    } finally {
      services.close();
    }
  });

  it('exits quietly and closes the database when the terminal goes away (SIGHUP, like an SSH drop)', async () => {
    const dir = tempDir();
    const dbPath = path.join(dir, 'pipeline.db');
    buildFixture(dbPath, { stuck: 1, pending: 2, queued: 2 }).services.close();
    const errPath = path.join(dir, 'console.err');
    const hup = 'hangup';
    const env: NodeJS.ProcessEnv = { ...process.env, LANG: 'C.UTF-8', USER: 'tester' };
    delete env.TMUX;
    // exec: the console is the pane's process, so it gets the hang-up itself (no shell between).
    const started = spawnSync(
      'tmux',
      ['-L', socket, 'new-session', '-d', '-s', hup, '-x', '100', '-y', '30', `exec node ${CLI} --db ${dbPath} 2>${errPath}`],
      { env, encoding: 'utf8', cwd: ROOT },
    );
    expect(started.status, started.stderr).toBe(0);
    const pid = Number(tmux('list-panes', '-t', hup, '-F', '#{pane_pid}').stdout.trim());
    const deadline = Date.now() + 10_000;
    while (!tmux('capture-pane', '-p', '-t', hup).stdout.includes('Health')) {
      if (Date.now() > deadline) throw new Error('the console never drew its first frame');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(fs.existsSync(`${dbPath}-wal`)).toBe(true); // open

    tmux('kill-session', '-t', hup);
    const gone = (): boolean => {
      const ps = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' });
      return ps.status !== 0 || ps.stdout.trim().startsWith('Z');
    };
    while (!gone()) {
      if (Date.now() > deadline + 5_000) throw new Error('the console kept running after its terminal went away');
      await new Promise((r) => setTimeout(r, 50));
    }
    // No "write EIO" stack, no "Assertion failed ... node::ResetStdio": nothing at all.
    expect(fs.readFileSync(errPath, 'utf8')).toBe('');
    // Closed cleanly: the last connection's close checkpoints and removes the WAL.
    expect(fs.existsSync(`${dbPath}-wal`)).toBe(false);
  });
});
