/**
 * The console writes terminal control sequences only to the terminal it draws on (stdout). Its
 * stderr, when that is a log file or a pipe, gets text or nothing — no stray escapes at exit.
 *
 * The stray one was `ESC[?25h`: Ink hides the cursor through cli-cursor, and restore-cursor@4
 * then registers a signal-exit handler that writes the cursor-show sequence to process.stderr,
 * whatever stderr is, when the process exits or takes a signal. `openTerminalSession` keeps
 * control-only writes off a stderr that is not the drawing terminal.
 *
 * Three levels: the guard itself; Ink in a child process (the mechanism, with and without the
 * session); the built CLI in a real terminal (tmux), quit with q and with SIGTERM.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { isControlOnly, keepControlSequencesOff, openTerminalSession, SHOW_CURSOR } from '../../screens/terminal.js';
import { CLI, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { hasTmux, isolatedEnv, Tmux } from '../helpers/tmux.js';
import { FakeProcess, FakeTty } from '../helpers/fake-terminal.js';
import { buildFixture } from './fixtures.js';

const ESC = '\u001b';


describe('keeping control sequences off stderr', () => {
  it('tells control-only writes from text', () => {
    for (const c of [SHOW_CURSOR, `${ESC}[?1049l${ESC}[?25h`, `${ESC}]0;title\u0007`, `${ESC}7`, Buffer.from(SHOW_CURSOR)]) expect(isControlOnly(c)).toBe(true);
    for (const c of ['', 'database is locked\n', `${ESC}[31merror${ESC}[39m\n`, `${SHOW_CURSOR}\n`, Buffer.from('text'), 42]) expect(isControlOnly(c)).toBe(false);
  });

  it('drops control-only writes (calling their callbacks), passes everything else', async () => {
    const err = new FakeTty(false);
    keepControlSequencesOff(err);
    keepControlSequencesOff(err); // idempotent: one wrapper
    const done = vi.fn();
    expect((err.write as (d: string, cb: () => void) => boolean)(SHOW_CURSOR, done)).toBe(true);
    err.write('agentic-pipeline: database is locked\n');
    await Promise.resolve();
    expect(done).toHaveBeenCalledTimes(1);
    expect(err.written).toEqual(['agentic-pipeline: database is locked\n']);
  });

  it('a session on a terminal guards a stderr that is not that terminal, and still prints errors there', () => {
    const err = new FakeTty(false);
    const proc = new FakeProcess();
    openTerminalSession({ stdout: new FakeTty(true), stdin: new FakeTty(true), stderr: err, process: proc });
    err.write(SHOW_CURSOR); // what restore-cursor writes at exit
    proc.emit('uncaughtException', new Error('boom'));
    expect(err.written.join('')).not.toContain(ESC);
    expect(err.written.join('')).toContain('Error: boom');
  });

  it('leaves stderr alone when it is the same terminal, or when stdout is not a terminal', () => {
    const shared = new FakeTty(true);
    openTerminalSession({ stdout: new FakeTty(true), stdin: new FakeTty(true), stderr: shared, process: new FakeProcess() });
    shared.write(SHOW_CURSOR);
    expect(shared.written).toEqual([SHOW_CURSOR]);

    const explicit = new FakeTty(false);
    openTerminalSession({ stdout: new FakeTty(true), stdin: new FakeTty(true), stderr: explicit, stderrIsTerminal: true, process: new FakeProcess() });
    explicit.write(SHOW_CURSOR);
    expect(explicit.written).toEqual([SHOW_CURSOR]);

    const piped = new FakeTty(false);
    openTerminalSession({ stdout: new FakeTty(false), stdin: new FakeTty(false), stderr: piped, process: new FakeProcess() });
    piped.write(SHOW_CURSOR);
    expect(piped.written).toEqual([SHOW_CURSOR]);
  });
});

/**
 * A child process renders Ink to a TTY-like stdout and exits, stderr piped. With `session` it
 * opens the console's terminal session first, as run-console does. Uses the built modules.
 */
function inkChild(session: boolean): { status: number | null; stderr: string; stdout: string } {
  const script = `
    import { Writable } from 'node:stream';
    import { createElement } from 'react';
    import { render, Text } from 'ink';
    import { openTerminalSession } from ${JSON.stringify(path.join(ROOT, 'dist/screens/terminal.js'))};
    class Tty extends Writable { isTTY = true; columns = 80; rows = 24; _write(c, e, cb) { cb(); } }
    const stdout = new Tty();
    const s = ${session} ? openTerminalSession({ stdout, stdin: new Writable() }) : undefined;
    const ink = render(createElement(Text, null, 'frame'), { stdout, patchConsole: false, exitOnCtrlC: false });
    ink.unmount();
    await ink.waitUntilExit();
    s?.close();
    process.stdout.write('exited\\n');
  `;
  // Without CI in the environment, as bin/ runs the console: Ink in CI mode never touches the
  // cursor, so the cause would not show.
  const env = { ...process.env };
  for (const name of ['CI', 'CONTINUOUS_INTEGRATION']) delete env[name];
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('Ink and a redirected stderr (child process)', () => {
  it('without the session, Ink leaves ESC[?25h on stderr at exit (the cause)', () => {
    const r = inkChild(false);
    expect(r.stdout).toBe('exited\n');
    expect(r.stderr).toBe(SHOW_CURSOR);
  });

  it('with the console’s terminal session, stderr carries nothing', () => {
    const r = inkChild(true);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('exited\n');
    expect(r.stderr).toBe('');
  });
});

if (!hasTmux) console.warn('exit-stderr: tmux is not installed, skipping the real-terminal part (CI installs it)');

const tmuxServer = new Tmux(`ap-stderr-${process.pid}`);
const paneFlag = (target: string, name: string): string => tmuxServer.paneFlag(target, name);
const waitFor = (target: string, re: RegExp, what: string): Promise<string> => tmuxServer.waitFor(target, re, what);

afterAll(() => {
  if (hasTmux) tmuxServer.killServer();
});

/**
 * The built console in a tmux pane, started from a shell with stderr to a file; the shell prints
 * its exit status afterwards and is then checked to have the terminal back (normal screen,
 * cursor shown). `sh -c 'echo $$ …; exec node …'` records the console's own pid (for SIGTERM).
 */
async function startConsole(name: string): Promise<{ pid: number; errPath: string }> {
  const dir = tempDir();
  const dbPath = path.join(dir, 'pipeline.db');
  buildFixture(dbPath, { stuck: 1, pending: 2, queued: 2 }).services.close();
  const errPath = path.join(dir, 'console.err');
  const pidPath = path.join(dir, 'console.pid');
  const env = isolatedEnv({ HOME: dir, XDG_DATA_HOME: path.join(dir, 'data') });
  await tmuxServer.startShell(name, { cols: 100, rows: 30, env, cwd: ROOT, prompt: 'err$ ' });
  tmuxServer.type(name, `sh -c 'echo $$ > ${pidPath}; exec node ${CLI} --db ${dbPath}' 2>${errPath}; echo "console-exit=$?"`);
  await waitFor(name, /Status (HEALTHY|DEGRADED|UNHEALTHY)/, 'the console\'s first frame');
  return { pid: Number(fs.readFileSync(pidPath, 'utf8').trim()), errPath };
}

/** Waits for the shell to report the console's exit status. */
async function waitForExit(name: string): Promise<number> {
  // Not anchored at the line start: with -J the shell's output can join the wrapped command line.
  const screen = await waitFor(name, /console-exit=\d+$/m, 'the console exiting');
  return Number(/console-exit=(\d+)$/m.exec(screen)![1]);
}

describe.skipIf(!hasTmux)('the console with stderr redirected (tmux)', () => {
  it('q: exits 0, the terminal restored through stdout, stderr empty', async () => {
    const { errPath } = await startConsole('quit');
    expect(paneFlag('quit', 'alternate_on')).toBe('1');
    tmuxServer.run('send-keys', '-t', 'quit', 'q');
    expect(await waitForExit('quit')).toBe(0);
    expect(paneFlag('quit', 'alternate_on')).toBe('0');
    expect(paneFlag('quit', 'cursor_flag')).toBe('1');
    expect(fs.readFileSync(errPath, 'utf8')).toBe('');
  });

  it('SIGTERM: exits, the terminal restored, stderr empty', async () => {
    const { pid, errPath } = await startConsole('term');
    process.kill(pid, 'SIGTERM');
    await waitForExit('term');
    expect(paneFlag('term', 'alternate_on')).toBe('0');
    expect(paneFlag('term', 'cursor_flag')).toBe('1');
    expect(fs.readFileSync(errPath, 'utf8')).toBe('');
  });
});
