/**
 * Terminal lifecycle for `bin/`: colour environment, alternate screen, restoring the terminal on
 * every way out, and the terminal's size.
 *
 * This module must not import Ink (or anything that imports chalk): chalk fixes its colour level
 * the moment it is first imported, and `bin/` maps NO_COLOR (bin/no-color.ts) before the console
 * is loaded by a dynamic import. So the hook below takes the stream as an argument (`useTerminalSize(useStdout().stdout)`)
 * instead of calling Ink's `useStdout` itself.
 */
import fs from 'node:fs';
import { useEffect, useState } from 'react';

export const ENTER_ALT_SCREEN = '\u001b[?1049h';
export const LEAVE_ALT_SCREEN = '\u001b[?1049l';
export const SHOW_CURSOR = '\u001b[?25h';

/** Used when the stream does not say (pipes, ink-testing-library's stdout has no `rows`). */
export const DEFAULT_COLUMNS = 80;
export const DEFAULT_ROWS = 24;

/** The part of a tty stream these helpers use; `process.stdout` and test fakes both fit. */
export interface TerminalStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  readonly rows?: number;
  write(data: string): unknown;
  on?(event: 'resize' | 'error', listener: (err?: unknown) => void): unknown;
  off?(event: 'resize' | 'error', listener: (err?: unknown) => void): unknown;
}

export interface TerminalSize {
  readonly columns: number;
  readonly rows: number;
}

/** Size of `stream`, with 80×24 for whatever it does not report. */
export function terminalSize(stream: Pick<TerminalStream, 'columns' | 'rows'>): TerminalSize {
  const columns = stream.columns !== undefined && stream.columns > 0 ? stream.columns : DEFAULT_COLUMNS;
  const rows = stream.rows !== undefined && stream.rows > 0 ? stream.rows : DEFAULT_ROWS;
  return { columns, rows };
}

/**
 * Height to give the root `<Box>`: one less than the terminal. At `height = rows` Ink clears the
 * whole screen on every frame (flicker over SSH, scrollback wiped); at `rows - 1` it diffs lines.
 */
export function rootHeight(rows: number): number {
  return Math.max(1, rows - 1);
}

/**
 * The terminal size, re-rendering on resize (and only when the size really changed).
 * Pass Ink's stream: `useTerminalSize(useStdout().stdout)`.
 */
export function useTerminalSize(stream: TerminalStream): TerminalSize {
  const [size, setSize] = useState<TerminalSize>(() => terminalSize(stream));
  useEffect(() => {
    const update = (): void => {
      const next = terminalSize(stream);
      setSize((prev) => (prev.columns === next.columns && prev.rows === next.rows ? prev : next));
    };
    update(); // the stream may have changed since the first render
    stream.on?.('resize', update);
    return () => {
      stream.off?.('resize', update);
    };
  }, [stream]);
  return size;
}

/** The process surface `openTerminalSession` uses; `process` fits, tests pass a fake. */
export interface ProcessLike {
  readonly pid: number;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  removeAllListeners(event: string): unknown;
  kill(pid: number, signal: string): unknown;
  exit(code?: number): never | void;
}

/** What `runConsole` returns when the terminal hung up: 128 + SIGHUP, as a shell reports it. */
export const HANGUP_EXIT_CODE = 129;

/**
 * End the process as an untrapped SIGHUP would, after the app has cleaned up. Not `exit()`: at
 * exit Node's ResetStdio restores the termios of every stdio TTY, and on a hung-up TTY that fails
 * with EIO, which Node treats as a fatal assertion ("Assertion failed ... node::ResetStdio", a
 * native stack trace on stderr, abort). Death by the signal skips it.
 */
export function exitByHangup(proc: ProcessLike = process): void {
  // Every SIGHUP listener must go (ours, and Ink's signal-exit if still there), or the signal
  // would be handled again instead of ending the process.
  proc.removeAllListeners('SIGHUP');
  proc.kill(proc.pid, 'SIGHUP');
}

export type ExitSignal = 'SIGTERM' | 'SIGINT' | 'SIGHUP';

const SIGNAL_NUMBERS: Record<ExitSignal, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/**
 * Whether `stderr` writes to the same terminal `stdout` draws on. For the process's own streams
 * the two descriptors are compared by device (`2>log`, `2>/dev/pts/7` and a pipe all differ);
 * for other streams (test fakes) a TTY stderr is taken to be the same terminal.
 */
export function stderrSharesTerminal(stdout: Pick<TerminalStream, 'isTTY'>, stderr: Pick<TerminalStream, 'isTTY'>): boolean {
  if (stdout.isTTY !== true || stderr.isTTY !== true) return false;
  if (stdout !== process.stdout || stderr !== process.stderr) return true;
  try {
    const out = fs.fstatSync(1);
    const err = fs.fstatSync(2);
    return out.dev === err.dev && out.ino === err.ino && out.rdev === err.rdev;
  } catch {
    return true;
  }
}

/** One or more terminal control sequences (CSI, OSC, or a two-byte ESC sequence such as ESC 7) and nothing else. */
const CONTROL_ONLY = /^(?:\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[0-Z\\-~])+$/;

/** Whether `chunk` (as given to `write`) consists only of terminal control sequences. */
export function isControlOnly(chunk: unknown): boolean {
  if (typeof chunk === 'string') return chunk !== '' && CONTROL_ONLY.test(chunk);
  if (chunk instanceof Uint8Array) return chunk.length > 0 && chunk.length <= 256 && chunk[0] === 0x1b && CONTROL_ONLY.test(Buffer.from(chunk).toString('latin1'));
  return false;
}

type WriteFn = (chunk: unknown, ...rest: unknown[]) => boolean;
const guarded = new WeakSet<object>();

/**
 * Make `stream` drop writes that are nothing but terminal control sequences; every other write
 * (error messages, warnings) passes unchanged. For a stderr that is not the terminal the console
 * draws on (a log file, a pipe, another terminal).
 *
 * Why: Ink hides the cursor through cli-cursor, whose restore-cursor@4 registers a signal-exit
 * handler (alwaysLast) that writes `ESC[?25h` to `process.stderr` — whatever stderr is — when the
 * process exits or takes a signal. On a redirected stderr that is a stray escape in the log. Our
 * own restore shows the cursor on stdout (`restore`), so nothing is lost. The handler runs after
 * every 'exit' listener, so the guard stays for the rest of the process (idempotent).
 */
export function keepControlSequencesOff(stream: Pick<TerminalStream, 'write'>): void {
  if (guarded.has(stream)) return;
  guarded.add(stream);
  const target = stream as unknown as { write: WriteFn };
  const write = target.write;
  target.write = function guardedWrite(this: unknown, chunk: unknown, ...rest: unknown[]): boolean {
    if (!isControlOnly(chunk)) return write.call(this, chunk, ...rest);
    const callback = rest.find((a): a is () => void => typeof a === 'function');
    if (callback) queueMicrotask(callback);
    return true;
  };
}

export interface TerminalSessionOptions {
  readonly stdout: TerminalStream;
  readonly stderr?: Pick<TerminalStream, 'write' | 'on' | 'isTTY'>;
  /**
   * Whether stderr goes to the terminal stdout draws on (default: `stderrSharesTerminal`). When
   * it does not, and stdout is a terminal, control sequences are kept off stderr
   * (`keepControlSequencesOff`): the console writes them only to the terminal it draws on.
   */
  readonly stderrIsTerminal?: boolean;
  /** The keyboard side of the terminal (default `process.stdin`); only its errors are used. */
  readonly stdin?: Pick<TerminalStream, 'on' | 'off'>;
  /** Default: whether `stdout` is a TTY. Never switch screens on a pipe. */
  readonly alternateScreen?: boolean;
  readonly process?: ProcessLike;
  /**
   * Called on SIGTERM/SIGINT/SIGHUP after the terminal is restored. Give it the app's single
   * exit path (unmount Ink, stop pollers, close the database, then exit). Without it the
   * process exits at once with 128 + the signal number.
   */
  readonly onSignal?: (signal: ExitSignal) => void;
}

export interface TerminalSession {
  /** Whether the alternate screen was entered. */
  readonly alternateScreen: boolean;
  /** Leave the alternate screen and show the cursor. Safe to call more than once. */
  restore(): void;
  /** Restore, and remove the process handlers. Call on the normal exit path. */
  close(): void;
  /** Whether the terminal hung up (SIGHUP: the SSH connection or the tmux session went away). */
  readonly hungUp: boolean;
  /** After a hang-up, once the app has cleaned up: `exitByHangup`. */
  exitAfterHangup(): void;
}

/**
 * Enter the alternate screen (TTY only) and make sure every way out leaves it: normal exit,
 * SIGTERM/SIGINT, SIGHUP (an SSH disconnect: nothing is written then, the terminal is gone; see
 * `hungUp` and `exitByHangup`), uncaught exceptions and unhandled
 * rejections (restored first, then the error is printed so it stays readable on the normal
 * screen, and the process exits 1).
 *
 * Use: `const session = openTerminalSession({stdout: process.stdout, onSignal})`, then
 * `render(...)`, `await waitUntilExit()`, `session.close()`.
 */
export function openTerminalSession(opts: TerminalSessionOptions): TerminalSession {
  const proc: ProcessLike = opts.process ?? process;
  const useAlt = opts.alternateScreen ?? opts.stdout.isTTY === true;
  const stderr = opts.stderr ?? process.stderr;
  if (opts.stdout.isTTY === true && !(opts.stderrIsTerminal ?? stderrSharesTerminal(opts.stdout, stderr))) {
    keepControlSequencesOff(stderr);
  }
  let restored = false;
  let hungUp = false;

  const restore = (): void => {
    if (restored) return;
    restored = true;
    if (useAlt) opts.stdout.write(LEAVE_ALT_SCREEN);
    if (opts.stdout.isTTY === true) opts.stdout.write(SHOW_CURSOR);
  };

  const onExit = (): void => restore();
  /**
   * The terminal is gone: writing to it (leaving the alternate screen, Ink's last frame, the
   * cursor) fails with EIO, which would surface as an uncaught 'error' and a stack trace. Nobody
   * can see the screen any more, so mark it restored and let those late errors go.
   */
  const ignore = (): void => {};
  const hangUp = (): void => {
    hungUp = true;
    restored = true;
    for (const stream of [opts.stdout, opts.stdin ?? process.stdin, stderr]) stream.on?.('error', ignore);
  };
  const signalHandlers = (Object.keys(SIGNAL_NUMBERS) as ExitSignal[]).map((signal) => {
    const handler = (): void => {
      if (signal === 'SIGHUP') {
        if (hungUp) return; // already seen as a failed write (below)
        hangUp();
      }
      restore();
      if (opts.onSignal) opts.onSignal(signal);
      else if (signal === 'SIGHUP') exitAfterHangup();
      else proc.exit(128 + SIGNAL_NUMBERS[signal]);
    };
    return [signal, handler] as const;
  });
  /**
   * The hang-up can show as a failed write (EIO) before the SIGHUP is delivered: Ink was drawing
   * when the connection dropped. Treat it as the hang-up it is, not as a crash.
   */
  const onSighup = signalHandlers.find(([signal]) => signal === 'SIGHUP')![1];
  const terminalStreams = [opts.stdout, opts.stdin ?? process.stdin];
  const onTerminalError = (err?: unknown): void => {
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'EIO' || code === 'EPIPE' || code === 'ENOTTY') {
      onSighup();
    } else {
      onFatal(err);
    }
  };
  const onFatal = (err: unknown): void => {
    restore();
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    stderr.write(`${text}\n`);
    if (hungUp) exitAfterHangup();
    else proc.exit(1);
  };

  const exitAfterHangup = (): void => exitByHangup(proc);

  if (useAlt) opts.stdout.write(ENTER_ALT_SCREEN);
  proc.on('exit', onExit);
  for (const [signal, handler] of signalHandlers) proc.on(signal, handler);
  proc.on('uncaughtException', onFatal);
  proc.on('unhandledRejection', onFatal);
  for (const stream of terminalStreams) stream.on?.('error', onTerminalError);

  return {
    alternateScreen: useAlt,
    get hungUp() {
      return hungUp;
    },
    exitAfterHangup,
    restore,
    close(): void {
      restore();
      proc.off('exit', onExit);
      for (const [signal, handler] of signalHandlers) proc.off(signal, handler);
      proc.off('uncaughtException', onFatal);
      proc.off('unhandledRejection', onFatal);
      // After a hang-up the streams keep an error listener (`hangUp`): late writes still fail.
      for (const stream of terminalStreams) stream.off?.('error', onTerminalError);
    },
  };
}
