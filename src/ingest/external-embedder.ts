/**
 * A site-provided embedder: an external command speaking JSON, like the external classifier.
 * One run per batch: `{"dims": N, "texts": [...]}` on stdin, `{"vectors": [[...], ...]}` on
 * stdout, one vector per text in order. Every vector must have exactly `dims` finite numbers:
 * a model that answers in another dimension would silently mix incomparable vectors in the
 * library, so that is a permanent failure naming both sizes. A command that fails, hangs or
 * cannot start is transient (a model loading, a service briefly down): the book is retried.
 *
 * The command runs through runExternalCommand: its own process group under a watchdog, killed
 * whole on timeout, abort, our exit, or our death by SIGKILL.
 */
import { PermanentError } from '../domain/errors.js';
import { runExternalCommand } from './external-command.js';
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

  private async runBatch(texts: readonly string[], signal?: AbortSignal): Promise<unknown> {
    const stdout = await runExternalCommand({
      label: 'external embedder',
      code: 'embedder',
      command: this.options.command,
      input: JSON.stringify({ dims: this.dims, texts }),
      timeoutMs: this.timeoutMs,
      maxOutputBytes: MAX_OUTPUT_BYTES,
      env: this.options.env,
      cwd: this.options.cwd,
      signal,
    });
    try {
      return JSON.parse(stdout);
    } catch {
      throw new PermanentError('external embedder printed something that is not JSON', 'embedder_output');
    }
  }
}
