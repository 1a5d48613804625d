/**
 * Book-type classification. The built-in classifier is an offline heuristic: keyword and feature
 * rates per 1,000 words of a sample, plus hints from title/metadata, scored per type. A site can
 * swap in its own model through `ExternalCommandClassifier` without touching the pipeline.
 */
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { z } from 'zod';
import { PermanentError, TransientError } from '../domain/errors.js';
import { BOOK_TYPES } from '../domain/states.js';
import { throwIfAborted } from './text.js';
import { classifyHeuristically } from './heuristic.js';
import type { Classification, ClassifyInput, Classifier, StageOptions } from './types.js';

export { DEFAULT_SAMPLE_CHARS, sampleText, classifyInputFor, classifyHeuristically } from './heuristic.js';

export class HeuristicClassifier implements Classifier {
  readonly name = 'heuristic';
  async classify(input: ClassifyInput, options: StageOptions = {}): Promise<Classification> {
    throwIfAborted(options.signal);
    return classifyHeuristically(input);
  }
}

const ExternalOutput = z.object({
  book_type: z.enum(BOOK_TYPES),
  confidence: z.number().min(0).max(1),
  reasons: z.array(z.string()).default([]),
});

export interface ExternalCommandOptions {
  /** A program and its arguments, or a shell command line. */
  command: string | readonly string[];
  timeoutMs?: number;
  env?: Record<string, string>;
  cwd?: string;
}

/**
 * Every external command runs under this watchdog shell, as the leader of its own process group.
 * fd 3 is a pipe from the worker that is never written to: when the worker dies, even by
 * SIGKILL (no handler of ours runs then), the kernel closes it, `read` sees EOF and the whole
 * group is killed, so a classifier never outlives its worker. On a normal exit the watcher is
 * stopped and the command's status passed on. A command that moves itself into another process
 * group (setsid) escapes this; a classifier should not.
 */
const WATCHDOG_SCRIPT = [
  '{ read -r _ <&3; kill -9 0; } </dev/null >/dev/null 2>&1 &',
  'w=$!',
  'exec 3<&-',
  '"$@"',
  's=$?',
  'kill $w 2>/dev/null',
  'exit $s',
].join('\n');

/** Process groups of running commands, killed if the worker exits while they run. */
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

/** Caps what a misbehaving command can make us buffer. */
const MAX_OUTPUT_BYTES = 1 << 20;
export const DEFAULT_CLASSIFIER_TIMEOUT_MS = 30_000;

/**
 * Runs a site-provided classifier: JSON {title, author, format, sample} on stdin, JSON
 * {book_type, confidence, reasons} on stdout. Any failure of the command is transient: the
 * model may be loading, rate-limited or briefly broken, and the book should be retried.
 */
export class ExternalCommandClassifier implements Classifier {
  readonly name: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: ExternalCommandOptions) {
    const cmd = typeof options.command === 'string' ? options.command : options.command.join(' ');
    if (cmd.trim().length === 0) throw new PermanentError('external classifier command is empty', 'bad_config');
    this.name = `external:${cmd.slice(0, 60)}`;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CLASSIFIER_TIMEOUT_MS;
  }

  classify(input: ClassifyInput, options: StageOptions = {}): Promise<Classification> {
    const signal = options.signal;
    throwIfAborted(signal);
    const payload = JSON.stringify({ title: input.title, author: input.author, format: input.format, sample: input.sample });
    const argv =
      typeof this.options.command === 'string' ? ['/bin/sh', '-c', this.options.command] : [...this.options.command];
    const posix = process.platform !== 'win32';

    return new Promise<Classification>((resolve, reject) => {
      // Own process group (detached), so a kill reaches whatever the command started; on POSIX
      // under the watchdog, so the group also dies with this process.
      const child = posix
        ? spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'agentic-pipeline-classifier', ...argv], {
            detached: true,
            stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
            cwd: this.options.cwd,
            env: { ...process.env, ...this.options.env },
          })
        : spawn(argv[0] ?? '', argv.slice(1), {
            shell: typeof this.options.command === 'string',
            stdio: ['pipe', 'pipe', 'pipe'],
            cwd: this.options.cwd,
            env: { ...process.env, ...this.options.env },
          });
      const group = posix ? child.pid : undefined;
      if (group !== undefined) trackGroup(group);
      // The watchdog's lifeline: never written, only closed (by our exit).
      const lifeline = child.stdio[3];
      lifeline?.on('error', () => undefined);
      let stdout = '';
      let stderr = '';
      let settled = false;
      const finish = (err: unknown, value?: Classification) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (group !== undefined) liveGroups.delete(group);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(value!);
      };
      // The group, not just the shell: what the command started dies too.
      const kill = () => {
        if (group !== undefined) killGroup(group);
        else if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      };
      const timer = setTimeout(() => {
        kill();
        finish(new TransientError(`external classifier timed out after ${this.timeoutMs} ms (killed)`, 'classifier_timeout'));
      }, this.timeoutMs);
      const onAbort = () => {
        kill();
        finish(signal?.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted', 'AbortError'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });

      child.on('error', (err) =>
        finish(new TransientError(`external classifier could not be started: ${err.message}`, 'classifier_spawn')),
      );
      child.stdout.setEncoding('utf8');
      child.stderr.setEncoding('utf8');
      child.stdout.on('data', (d: string) => {
        stdout += d;
        if (stdout.length > MAX_OUTPUT_BYTES) {
          kill();
          finish(new TransientError(`external classifier printed more than ${MAX_OUTPUT_BYTES} bytes`, 'classifier_output'));
        }
      });
      child.stderr.on('data', (d: string) => {
        stderr = (stderr + d).slice(-2000);
      });
      // A command that exits without reading stdin closes the pipe; its exit status tells the story.
      child.stdin.on('error', () => undefined);
      child.stdin.end(payload);

      child.on('close', (code, sig) => {
        lifeline?.destroy();
        if (settled) return;
        const tail = stderr.trim().split('\n').slice(-3).join(' | ');
        if (code !== 0) {
          const how = describeExit(code, sig);
          finish(new TransientError(`external classifier ${how}${tail ? `: ${tail}` : ''}`, 'classifier_exit'));
          return;
        }
        let json: unknown;
        try {
          json = JSON.parse(stdout);
        } catch {
          const shown = stdout.trim().slice(0, 80);
          finish(new TransientError(`external classifier printed invalid JSON: ${shown ? `'${shown}'` : '(no output)'}`, 'classifier_output'));
          return;
        }
        const parsed = ExternalOutput.safeParse(json);
        if (!parsed.success) {
          const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
          finish(new TransientError(`external classifier output is not valid: ${issues}`, 'classifier_output'));
          return;
        }
        finish(null, { bookType: parsed.data.book_type, confidence: parsed.data.confidence, reasons: parsed.data.reasons });
      });
    });
  }
}

export const ClassifierConfigSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('heuristic') }),
  z.object({
    kind: z.literal('external'),
    command: z.union([z.string().min(1), z.array(z.string()).min(1)]),
    timeoutMs: z.number().int().positive().optional(),
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().optional(),
  }),
]);
export type ClassifierConfig = z.infer<typeof ClassifierConfigSchema>;

export function createClassifier(config: ClassifierConfig = { kind: 'heuristic' }): Classifier {
  const parsed = ClassifierConfigSchema.parse(config);
  if (parsed.kind === 'heuristic') return new HeuristicClassifier();
  return new ExternalCommandClassifier(parsed);
}
