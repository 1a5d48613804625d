/**
 * Book-type classification. The built-in classifier is an offline heuristic: keyword and feature
 * rates per 1,000 words of a sample, plus hints from title/metadata, scored per type. A site can
 * swap in its own model through `ExternalCommandClassifier` without touching the pipeline.
 */
import { z } from 'zod';
import { PermanentError, TransientError } from '../domain/errors.js';
import { BOOK_TYPES } from '../domain/states.js';
import { throwIfAborted } from './text.js';
import { runExternalCommand } from './external-command.js';
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
    return runExternalCommand({
      label: 'external classifier',
      code: 'classifier',
      command: this.options.command,
      input: payload,
      timeoutMs: this.timeoutMs,
      maxOutputBytes: MAX_OUTPUT_BYTES,
      env: this.options.env,
      cwd: this.options.cwd,
      signal,
    }).then((stdout) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        const shown = stdout.trim().slice(0, 80);
        throw new TransientError(`external classifier printed invalid JSON: ${shown ? `'${shown}'` : '(no output)'}`, 'classifier_output');
      }
      const parsed = ExternalOutput.safeParse(json);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
        throw new TransientError(`external classifier output is not valid: ${issues}`, 'classifier_output');
      }
      return { bookType: parsed.data.book_type, confidence: parsed.data.confidence, reasons: parsed.data.reasons };
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
