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
import { hasTmux, isolatedEnv, Tmux } from '../helpers/tmux.js';
import { buildFixture } from './fixtures.js';

if (!hasTmux) console.warn('tmux.e2e: tmux is not installed, skipping the real-terminal test (CI installs it)');

const tmux = new Tmux(`ap-e2e-${process.pid}`);
const session = 'console';
const waitFor = (text: string | RegExp, timeoutMs = 10_000) => tmux.waitFor(session, text, String(text), timeoutMs);
const press = (...keys: string[]) => tmux.press(session, ...keys);

afterAll(() => {
  if (hasTmux) tmux.killServer();
});

describe.skipIf(!hasTmux)('console under tmux', () => {
  it('resets a stuck book, approves a previewed batch, shows it in Audit, quits cleanly', async () => {
    const dbPath = path.join(tempDir(), 'pipeline.db');
    const fx = buildFixture(dbPath, { stuck: 1, pending: 5, queued: 5 });
    const stuckId = fx.stuckIds[0]!;
    fx.services.close();

    await tmux.startShell(session, { cols: 100, rows: 30, env: isolatedEnv({ NO_COLOR: '1' }), cwd: ROOT, prompt: 'e2e$ ' });
    tmux.type(session, `node ${CLI} --db ${dbPath}`);

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
    await tmux.waitFor(
      session,
      (s) => {
        const lines = s.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
        return !s.includes('Health') && lines[lines.length - 1] === 'e2e$';
      },
      'the shell prompt after quitting',
      10_000,
    );
    tmux.type(session, 'echo done-$((1+1))-marker');
    await waitFor(/^done-2-marker\s*$/m);

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
    // exec: the console is the pane's process, so it gets the hang-up itself (no shell between).
    tmux.newSession(hup, `exec node ${CLI} --db ${dbPath} 2>${errPath}`, { cols: 100, rows: 30, env: isolatedEnv({}), cwd: ROOT });
    const pid = Number(tmux.run('list-panes', '-t', hup, '-F', '#{pane_pid}').stdout.trim());
    await tmux.waitFor(hup, 'Health', 'the console drawing its first frame', 10_000);
    expect(fs.existsSync(`${dbPath}-wal`)).toBe(true); // open

    tmux.run('kill-session', '-t', hup);
    const gone = (): boolean => {
      const ps = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' });
      return ps.status !== 0 || ps.stdout.trim().startsWith('Z');
    };
    const deadline = Date.now() + 15_000;
    while (!gone()) {
      if (Date.now() > deadline) throw new Error('the console kept running after its terminal went away');
      await new Promise((r) => setTimeout(r, 50));
    }
    // No "write EIO" stack, no "Assertion failed ... node::ResetStdio": nothing at all.
    expect(fs.readFileSync(errPath, 'utf8')).toBe('');
    // Closed cleanly: the last connection's close checkpoints and removes the WAL.
    expect(fs.existsSync(`${dbPath}-wal`)).toBe(false);
  });
});
