import { readFileSync } from 'node:fs';
import { Text, useStdout } from 'ink';
import { render } from 'ink-testing-library';
import { describe, expect, it, vi } from 'vitest';
import { applyNoColor } from '../../bin/no-color.js';
import {
  ENTER_ALT_SCREEN,
  LEAVE_ALT_SCREEN,
  openTerminalSession,
  rootHeight,
  terminalSize,
  useTerminalSize,
} from '../../screens/terminal.js';
import { lastFrameStripped, waitForText } from '../helpers/ink.js';
import { FakeProcess, FakeTty } from '../helpers/fake-terminal.js';


describe('applyNoColor', () => {
  it('maps NO_COLOR to FORCE_COLOR=0 for chalk', () => {
    const env: NodeJS.ProcessEnv = { NO_COLOR: '1' };
    expect(applyNoColor(env)).toBe(true);
    expect(env['FORCE_COLOR']).toBe('0');
  });

  it('leaves an explicit FORCE_COLOR alone, and ignores an empty NO_COLOR', () => {
    const explicit: NodeJS.ProcessEnv = { NO_COLOR: '1', FORCE_COLOR: '3' };
    expect(applyNoColor(explicit)).toBe(false);
    expect(explicit['FORCE_COLOR']).toBe('3');
    const empty: NodeJS.ProcessEnv = { NO_COLOR: '' };
    expect(applyNoColor(empty)).toBe(false);
    expect(empty['FORCE_COLOR']).toBeUndefined();
  });

  it('terminal.ts does not import Ink at run time (it must be loadable before chalk)', () => {
    const src = readFileSync(new URL('../../screens/terminal.ts', import.meta.url), 'utf8');
    expect(src).not.toMatch(/^import (?!type )[^;]*from ['"](ink|chalk)['"]/m);
  });
});

describe('terminal size', () => {
  it('falls back to 80×24 for what the stream does not report', () => {
    expect(terminalSize({ columns: 100 })).toEqual({ columns: 100, rows: 24 });
    expect(terminalSize({})).toEqual({ columns: 80, rows: 24 });
    expect(terminalSize({ columns: 0, rows: 0 })).toEqual({ columns: 80, rows: 24 });
  });

  it('the root box is one row shorter than the terminal', () => {
    expect(rootHeight(24)).toBe(23);
    expect(rootHeight(1)).toBe(1);
  });

  it('useTerminalSize reads ink-testing-library’s stdout (no rows → 24)', () => {
    function Size() {
      const { stdout } = useStdout();
      const s = useTerminalSize(stdout);
      return <Text>{`${s.columns}x${s.rows}`}</Text>;
    }
    expect(lastFrameStripped(render(<Size />))).toBe('100x24');
  });

  it('useTerminalSize re-renders on resize', async () => {
    const tty = new FakeTty(true, 120, 40);
    function Size() {
      const s = useTerminalSize(tty);
      return <Text>{`${s.columns}x${s.rows}`}</Text>;
    }
    const i = render(<Size />);
    expect(lastFrameStripped(i)).toBe('120x40');
    tty.columns = 90;
    tty.rows = 30;
    tty.emit('resize');
    await waitForText(i, '90x30');
    i.unmount();
    expect(tty.listenerCount('resize')).toBe(0);
  });
});

describe('openTerminalSession', () => {
  it('enters the alternate screen on a TTY and leaves it once on close', () => {
    const tty = new FakeTty(true);
    const proc = new FakeProcess();
    const session = openTerminalSession({ stdout: tty, process: proc });
    expect(tty.written).toEqual([ENTER_ALT_SCREEN]);
    session.restore();
    session.close();
    expect(tty.written.filter((w) => w === LEAVE_ALT_SCREEN)).toHaveLength(1);
    expect(proc.eventNames()).toEqual([]);
  });

  it('never writes screen switches to a pipe', () => {
    const pipe = new FakeTty(false);
    const session = openTerminalSession({ stdout: pipe, process: new FakeProcess() });
    session.close();
    expect(pipe.written).toEqual([]);
    expect(session.alternateScreen).toBe(false);
  });

  it('restores on SIGTERM and exits 143, or hands the signal to onSignal', () => {
    const tty = new FakeTty(true);
    const proc = new FakeProcess();
    openTerminalSession({ stdout: tty, process: proc });
    proc.emit('SIGTERM');
    expect(tty.written).toContain(LEAVE_ALT_SCREEN);
    expect(proc.exit).toHaveBeenCalledWith(143);

    const tty2 = new FakeTty(true);
    const proc2 = new FakeProcess();
    const onSignal = vi.fn();
    openTerminalSession({ stdout: tty2, process: proc2, onSignal });
    proc2.emit('SIGINT');
    expect(tty2.written).toContain(LEAVE_ALT_SCREEN);
    expect(onSignal).toHaveBeenCalledWith('SIGINT');
    expect(proc2.exit).not.toHaveBeenCalled();
  });

  it('on SIGHUP (the terminal is gone): writes nothing more to it, ignores its write errors, and never exit()s', () => {
    const tty = new FakeTty(true);
    const proc = new FakeProcess();
    const onSignal = vi.fn();
    const quiet = { stdin: new FakeTty(true), stderr: new FakeTty(true) };
    const session = openTerminalSession({ stdout: tty, ...quiet, process: proc, onSignal });
    proc.emit('SIGHUP');
    session.close();
    expect(tty.written).toEqual([ENTER_ALT_SCREEN]);
    expect(onSignal).toHaveBeenCalledWith('SIGHUP');
    expect(session.hungUp).toBe(true);
    // A late write error (EIO) is handled, not thrown as an unhandled 'error' event.
    expect(tty.listenerCount('error')).toBeGreaterThan(0);

    // Without onSignal: die by the signal (Node's exit would assert on the dead TTY).
    const proc2 = new FakeProcess();
    openTerminalSession({ stdout: new FakeTty(true), ...quiet, process: proc2 });
    proc2.emit('SIGHUP');
    expect(proc2.exit).not.toHaveBeenCalled();
    expect(proc2.kill).toHaveBeenCalledWith(4242, 'SIGHUP');
  });

  it('a write failing with EIO (the terminal dropped before the SIGHUP arrived) is the hang-up, not a crash', () => {
    const tty = new FakeTty(true);
    const proc = new FakeProcess();
    const onSignal = vi.fn();
    const session = openTerminalSession({ stdout: tty, stdin: new FakeTty(true), stderr: new FakeTty(true), process: proc, onSignal });
    tty.emit('error', Object.assign(new Error('write EIO'), { code: 'EIO' }));
    proc.emit('SIGHUP'); // arrives afterwards: handled once
    expect(onSignal).toHaveBeenCalledTimes(1);
    expect(onSignal).toHaveBeenCalledWith('SIGHUP');
    expect(session.hungUp).toBe(true);
    expect(tty.written).toEqual([ENTER_ALT_SCREEN]);
  });

  it('on an uncaught exception: leaves the alternate screen first, then prints the error, exits 1', () => {
    const tty = new FakeTty(true);
    const err = new FakeTty(false);
    const proc = new FakeProcess();
    const order: string[] = [];
    tty.write = (d: string) => (order.push(d === LEAVE_ALT_SCREEN ? 'leave' : 'out'), true);
    err.write = (d: string) => (order.push(`err:${d.split('\n')[0]}`), true);
    openTerminalSession({ stdout: tty, stderr: err, process: proc });
    proc.emit('uncaughtException', new Error('database is locked'));
    expect(order.indexOf('leave')).toBeGreaterThan(-1);
    expect(order.indexOf('leave')).toBeLessThan(order.findIndex((o) => o.startsWith('err:Error: database is locked')));
    expect(proc.exit).toHaveBeenCalledWith(1);
  });

  it('restores on process exit', () => {
    const tty = new FakeTty(true);
    const proc = new FakeProcess();
    openTerminalSession({ stdout: tty, process: proc });
    proc.emit('exit', 0);
    expect(tty.written).toContain(LEAVE_ALT_SCREEN);
  });
});
