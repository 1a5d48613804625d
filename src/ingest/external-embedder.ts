/**
 * A site-provided embedder: an external command speaking JSON, like the external classifier.
 * One run per batch: `{"dims": N, "texts": [...]}` on stdin, `{"vectors": [[...], ...]}` on
 * stdout, one vector per text in order. Every vector must have exactly `dims` finite numbers:
 * a model that answers in another dimension would silently mix incomparable vectors in the
 * library, so that is a permanent failure naming both sizes. A command that fails, hangs or
 * cannot start is transient (a model loading, a service briefly down): the book is retried.
 *
 * The command runs in its own process group, killed whole on timeout, abort, or our exit.
 */
import { spawn } from 'node:child_process';
import { PermanentError, TransientError } from '../domain/errors.js';
import { throwIfAborted } from './text.js';
import type { Embedder, StageOptions } from './types.js';

export interface ExternalEmbedderOptions {
  /** argv: the program and its arguments (no shell). */
  command: readonly string[];
  dims: number;
  /** Texts per run of the command. */
  batchSize?: number;
  timeoutMs?: number;
  env?: Record<string, string>;
  cwd?: string;
}

export const DEFAULT_EMBEDDER_BATCH = 64;
export const DEFAULT_EMBEDDER_TIMEOUT_MS = 60_000;
/** Caps what a misbehaving command can make us buffer (a 64 × 4096 batch is ~5 MB of JSON). */
const MAX_OUTPUT_BYTES = 64 << 20;

const liveGroups = new Set<number>();
let exitHook = false;
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export class ExternalCommandEmbedder implements Embedder {
  readonly name: string;
  readonly dims: number;
  private readonly batchSize: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: ExternalEmbedderOptions) {
    const program = options.command[0] ?? '';
    if (program.trim().length === 0) throw new PermanentError('external embedder command is empty', 'bad_config');
    if (!Number.isInteger(options.dims) || options.dims < 1) throw new PermanentError(`external embedder dims must be a positive integer (got ${options.dims})`, 'bad_config');
    this.dims = options.dims;
    this.batchSize = Math.max(1, options.batchSize ?? DEFAULT_EMBEDDER_BATCH);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_EMBEDDER_TIMEOUT_MS;
    this.name = `external:${options.command.join(' ').slice(0, 60)}`;
  }

  async embed(texts: readonly string[], options: StageOptions = {}): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) {
      throwIfAborted(options.signal);
      const batch = texts.slice(i, i + this.batchSize);
      const vectors = await this.runBatch(batch, options.signal);
      out.push(...this.check(vectors, batch.length, i));
    }
    return out;
  }

  /** The answer's shape, checked before anything is stored. */
  private check(answer: unknown, expected: number, offset: number): Float32Array[] {
    const vectors = (answer as { vectors?: unknown } | null)?.vectors;
    if (!Array.isArray(vectors)) throw new PermanentError(`external embedder answered without a "vectors" array`, 'embedder_output');
    if (vectors.length !== expected) {
      throw new PermanentError(`external embedder returned ${vectors.length} vectors for ${expected} texts`, 'embedder_mismatch');
    }
    return vectors.map((v: unknown, j) => {
      if (!Array.isArray(v) || v.length !== this.dims) {
        const got = Array.isArray(v) ? `${v.length}` : typeof v;
        throw new PermanentError(`external embedder returned a vector of dimension ${got} for text ${offset + j}, configured dims is ${this.dims}`, 'embedder_dims');
      }
      if (!v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw new PermanentError(`external embedder returned a non-numeric or non-finite value in the vector for text ${offset + j}`, 'embedder_output');
      }
      return Float32Array.from(v as number[]);
    });
  }

  private runBatch(texts: readonly string[], signal?: AbortSignal): Promise<unknown> {
    const [program, ...args] = this.options.command;
    return new Promise((resolve, reject) => {
      const child = spawn(program!, args, {
        detached: process.platform !== 'win32',
        stdio: ['pipe', 'pipe', 'pipe'],
        ...(this.options.cwd ? { cwd: this.options.cwd } : {}),
        env: { ...process.env, ...this.options.env },
      });
      const group = process.platform !== 'win32' ? child.pid : undefined;
      if (group !== undefined) {
        if (!exitHook) {
          exitHook = true;
          process.on('exit', () => liveGroups.forEach(killGroup));
        }
        liveGroups.add(group);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let stderr = '';
      let settled = false;
      const kill = () => (group !== undefined ? killGroup(group) : child.kill('SIGKILL'));
      const finish = (err: unknown, value?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (group !== undefined) liveGroups.delete(group);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(value);
      };
      const timer = setTimeout(() => {
        kill();
        finish(new TransientError(`external embedder timed out after ${this.timeoutMs} ms (killed)`, 'embedder_timeout'));
      }, this.timeoutMs);
      const onAbort = () => {
        kill();
        finish(signal?.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted', 'AbortError'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      child.on('error', (err) => finish(new TransientError(`external embedder could not be started: ${err.message}`, 'embedder_spawn')));
      child.stdout.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_OUTPUT_BYTES) {
          kill();
          finish(new TransientError(`external embedder printed more than ${MAX_OUTPUT_BYTES} bytes`, 'embedder_output'));
        } else chunks.push(c);
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
      child.on('close', (code, sig) => {
        if (settled) return;
        if (code !== 0) {
          const last = stderr.trim().split('\n').pop() ?? '';
          finish(new TransientError(`external embedder ${sig ? `was killed by ${sig}` : `exited with code ${code}`}${last ? `: ${last}` : ''}`, 'embedder_failed'));
          return;
        }
        try {
          finish(null, JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          finish(new PermanentError('external embedder printed something that is not JSON', 'embedder_output'));
        }
      });
      child.stdin.on('error', () => undefined); // a command that exits without reading is reported on close
      child.stdin.end(JSON.stringify({ dims: this.dims, texts }));
    });
  }
}
