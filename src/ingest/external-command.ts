/**
 * One run of a site-provided command that speaks JSON (the external classifier and embedder):
 * input on stdin, the command's stdout back on exit 0. Everything that can go wrong with the
 * process itself — it cannot start, hangs past its timeout, prints without end, exits non-zero,
 * or the stage is cancelled — is handled here once, so both commands get the same guarantees.
 * Each failure is a TransientError (a model loading or a service briefly down should be
 * retried), coded `<code>_spawn`, `_timeout`, `_output` or `_exit`; what the output means is the
 * caller's to judge.
 *
 * Every command runs under a watchdog shell, as the leader of its own process group. fd 3 is a
 * pipe from this process that is never written to: when we die, even by SIGKILL (no handler of
 * ours runs then), the kernel closes it, `read` sees EOF and the whole group is killed, so a
 * command never outlives its worker. On a normal exit the watcher is stopped and the command's
 * status passed on. A command that moves itself into another process group (setsid) escapes
 * this; a classifier or embedder should not.
 */
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { TransientError } from '../domain/errors.js';

const WATCHDOG_SCRIPT = [
  '{ read -r _ <&3; kill -9 0; } </dev/null >/dev/null 2>&1 &',
  'w=$!',
  'exec 3<&-',
  '"$@"',
  's=$?',
  'kill $w 2>/dev/null',
  'exit $s',
].join('\n');

/** Process groups of running commands, killed if this process exits while they run. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;
function trackGroup(pid: number): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // 'exit' handlers must be synchronous; process.kill is.
    process.on('exit', () => {
      for (const g of liveGroups) killGroup(g);
    });
  }
  liveGroups.add(pid);
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** "killed by SIGKILL" for a shell's 128+n status, else "exited with code n". */
function describeExit(code: number | null, sig: NodeJS.Signals | null): string {
  if (sig) return `was killed by ${sig}`;
  if (code !== null && code > 128) {
    const name = Object.entries(osConstants.signals).find(([, n]) => n === code - 128)?.[0];
    if (name) return `was killed by ${name}`;
  }
  return `exited with code ${code}`;
}

export interface ExternalRun {
  /** How errors name the command: "external classifier". */
  label: string;
  /** Error code prefix: "classifier" gives classifier_timeout, classifier_exit, … */
  code: string;
  /** The program and its arguments; a string is a shell command line. */
  command: string | readonly string[];
  input: string;
  timeoutMs: number;
  /** Caps what a misbehaving command can make us buffer. */
  maxOutputBytes: number;
  env?: Record<string, string> | undefined;
  cwd?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** Runs the command once; resolves with its stdout when it exits 0. */
export function runExternalCommand(run: ExternalRun): Promise<string> {
  const argv = typeof run.command === 'string' ? ['/bin/sh', '-c', run.command] : [...run.command];
  const posix = process.platform !== 'win32';
  const { signal } = run;

  return new Promise<string>((resolve, reject) => {
    // Own process group (detached), so a kill reaches whatever the command started; on POSIX
    // under the watchdog, so the group also dies with this process.
    const child = posix
      ? spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, `agentic-pipeline-${run.code}`, ...argv], {
          detached: true,
          stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
          cwd: run.cwd,
          env: { ...process.env, ...run.env },
        })
      : spawn(argv[0] ?? '', argv.slice(1), {
          shell: typeof run.command === 'string',
          stdio: ['pipe', 'pipe', 'pipe'],
          cwd: run.cwd,
          env: { ...process.env, ...run.env },
        });
    const group = posix ? child.pid : undefined;
    if (group !== undefined) trackGroup(group);
    // The watchdog's lifeline: never written, only closed (by our exit).
    const lifeline = child.stdio[3];
    lifeline?.on('error', () => undefined);
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let settled = false;
    const finish = (err: unknown, stdout?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (group !== undefined) liveGroups.delete(group);
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(stdout!);
    };
    // The group, not just the shell: what the command started dies too.
    const kill = () => {
      if (group !== undefined) killGroup(group);
      else if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const timer = setTimeout(() => {
      kill();
      finish(new TransientError(`${run.label} timed out after ${run.timeoutMs} ms (killed)`, `${run.code}_timeout`));
    }, run.timeoutMs);
    const onAbort = () => {
      kill();
      finish(signal?.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted', 'AbortError'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    child.on('error', (err) => finish(new TransientError(`${run.label} could not be started: ${err.message}`, `${run.code}_spawn`)));
    child.stdout.on('data', (c: Buffer) => {
      size += c.length;
      if (size > run.maxOutputBytes) {
        kill();
        finish(new TransientError(`${run.label} printed more than ${run.maxOutputBytes} bytes`, `${run.code}_output`));
      } else chunks.push(c);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-2000);
    });
    // A command that exits without reading stdin closes the pipe; its exit status tells the story.
    child.stdin.on('error', () => undefined);
    child.stdin.end(run.input);

    child.on('close', (code, sig) => {
      lifeline?.destroy();
      if (settled) return;
      if (code !== 0) {
        const tail = stderr.trim().split('\n').slice(-3).join(' | ');
        finish(new TransientError(`${run.label} ${describeExit(code, sig)}${tail ? `: ${tail}` : ''}`, `${run.code}_exit`));
        return;
      }
      finish(null, Buffer.concat(chunks).toString('utf8'));
    });
  });
}
