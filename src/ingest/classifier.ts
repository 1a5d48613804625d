/**
 * Book-type classification. The built-in classifier is an offline heuristic: keyword and feature
 * rates per 1,000 words of a sample, plus hints from title/metadata, scored per type. A site can
 * swap in its own model through `ExternalCommandClassifier` without touching the pipeline.
 */
import { spawn } from 'node:child_process';
import { z } from 'zod';
import { PermanentError, TransientError } from '../domain/errors.js';
import { BOOK_TYPES, type BookType } from '../domain/states.js';
import { countWords, throwIfAborted } from './text.js';
import type { Classification, ClassifyInput, Classifier, ExtractedBook, StageOptions } from './types.js';

/** Enough text to be representative, small enough to hand to an external model on stdin. */
export const DEFAULT_SAMPLE_CHARS = 12_000;

/**
 * Takes slices from the start, middle and end of the book: openings alone mislead (a tutorial's
 * preface reads like narrative; a novel's first page may be a map or epigraph).
 */
export function sampleText(book: Pick<ExtractedBook, 'chapters'>, maxChars = DEFAULT_SAMPLE_CHARS): string {
  const full = book.chapters.map((c) => c.text).join('\n\n');
  if (full.length <= maxChars) return full;
  const slices = 4;
  const size = Math.floor(maxChars / slices);
  const parts: string[] = [];
  for (let i = 0; i < slices; i++) {
    const start = Math.floor(((full.length - size) * i) / (slices - 1));
    parts.push(full.slice(start, start + size));
  }
  return parts.join('\n\n');
}

export function classifyInputFor(book: ExtractedBook, maxChars = DEFAULT_SAMPLE_CHARS): ClassifyInput {
  return { title: book.title, author: book.author, format: book.format, sample: sampleText(book, maxChars), metadata: book.metadata };
}

type ScoredType = Exclude<BookType, 'unknown'>;

interface Feature {
  label: string;
  pattern: RegExp;
  weight: number;
}

const kw = (label: string, pattern: RegExp, weight = 1): Feature => ({ label, pattern, weight });

/** Word-level signals; every pattern must be global. Weights reflect how specific a cue is. */
const FEATURES: Record<ScoredType, Feature[]> = {
  technical_tutorial: [
    kw('"install"', /\binstall(?:ed|ing|ation)?\b/g, 1.5),
    kw('package managers', /\b(?:npm|pip|yarn|cargo|brew|apt-get)\b/g, 1.5),
    kw('"step N"', /\bstep \d+\b/g, 1.2),
    kw('"let\'s"', /\blet['’]s\b/g, 0.8),
    kw('"you will"', /\byou(?: will|['’]ll)\b/g, 0.6),
    kw('"run the"', /\brun (?:the|this|it|your)\b/g, 1),
    kw('"terminal"', /\b(?:terminal|command line|shell)\b/g, 1),
    kw('"create a file"', /\bcreate a (?:new )?(?:file|project|folder|directory)\b/g, 1.2),
    kw('"tutorial"', /\b(?:tutorial|getting started|hands-on)\b/g, 1.5),
  ],
  technical_reference: [
    kw('"parameters"', /\b(?:parameters?|arguments?)\s*:?/g, 1.2),
    kw('"returns"', /\breturns?\s*:/g, 1.5),
    kw('"default"', /\bdefaults?(?: value)?\s*:/g, 1.2),
    kw('"throws"', /\bthrows?\b/g, 1),
    kw('"see also"', /\bsee also\b/g, 1.5),
    kw('"deprecated"', /\b(?:deprecated|since version)\b/g, 1.5),
    kw('"syntax"', /\b(?:syntax|signature)\b/g, 1),
    kw('"type:"', /\btype\s*:/g, 1),
    kw('"method/property"', /\b(?:method|property|properties|constant)\b/g, 0.5),
  ],
  textbook: [
    kw('"exercise"', /\bexercises?\b/g, 1.5),
    kw('"review questions"', /\b(?:chapter review|review questions|check your understanding)\b/g, 2),
    kw('"learning objectives"', /\blearning objectives?\b/g, 2),
    kw('"key terms"', /\bkey terms\b/g, 1.5),
    kw('"definition N"', /\b(?:definition|theorem|lemma)\b/g, 1),
    kw('"example N.N"', /\b(?:example|figure|table|section) \d+\.\d+\b/g, 1.5),
    kw('"students"', /\bstudents?\b/g, 0.8),
    kw('"summary"', /\bsummary\b/g, 0.6),
  ],
  narrative_nonfiction: [
    kw('years', /\b(?:1[5-9]\d\d|20[0-2]\d)\b/g, 0.7),
    kw('"century"', /\b(?:century|centuries|decades?)\b/g, 1),
    kw('"war"', /\b(?:war|revolution|empire|government)\b/g, 0.6),
    kw('"born"', /\b(?:was born|grew up|died in)\b/g, 1),
    kw('"historians"', /\b(?:historians?|history|archives?|biograph\w*|memoir)\b/g, 1),
    kw('"according to"', /\baccording to\b/g, 0.8),
    kw('"letters"', /\b(?:letters?|diary|diaries)\b/g, 0.6),
  ],
  fiction: [
    kw('"once upon"', /\bonce upon a time\b/g, 3),
    kw('speech verbs', /\b(?:said|asked|whispered|replied|shouted|murmured|cried)\b/g, 1.2),
    kw('"her/his eyes"', /\b(?:her|his|their) (?:eyes|voice|hand|heart|face)\b/g, 1),
    kw('"smiled"', /\b(?:smiled|laughed|sighed|nodded|frowned)\b/g, 1),
    kw('"suddenly"', /\b(?:suddenly|somewhere|silence)\b/g, 0.5),
  ],
  periodical: [
    kw('"issue"', /\bissues? (?:no\.?\s*)?\d+\b|\bin this issue\b/g, 2),
    kw('"volume"', /\b(?:volume|vol\.) \d+\b/g, 2),
    kw('"editor"', /\beditor(?:ial|s)?\b/g, 1.2),
    kw('"subscribe"', /\bsubscri(?:be|ption|bers?)\b/g, 1.5),
    kw('"magazine"', /\b(?:magazine|newsletter|quarterly|monthly|weekly|columnist)\b/g, 1.5),
    kw('"letters to the editor"', /\bletters to the editor\b/g, 2),
  ],
  research_collection: [
    kw('"abstract"', /\babstract\b/g, 2),
    kw('"et al."', /\bet al\b/g, 2),
    kw('"doi"', /\bdoi\b/g, 2),
    kw('"methods/results"', /\b(?:methods|methodology|results|findings|hypothes[ie]s)\b/g, 1),
    kw('"participants"', /\b(?:participants|sample size|respondents)\b/g, 1.2),
    kw('"significant"', /\b(?:statistically significant|significant|p\s*<\s*0?\.\d+)\b/g, 1),
    kw('"proceedings"', /\b(?:proceedings|journal|peer-reviewed|references)\b/g, 1),
    kw('numbered citations', /\[\d{1,3}(?:[,–-]\s*\d{1,3})*\]/g, 1),
  ],
  travel_guide: [
    kw('"itinerary"', /\bitinerar(?:y|ies)\b/g, 2),
    kw('"hotel"', /\b(?:hotels?|hostels?|guesthouses?|b&b)\b/g, 1.5),
    kw('"museum"', /\b(?:museums?|galleries|cathedral|old town|sights?)\b/g, 0.8),
    kw('"getting there"', /\b(?:getting there|getting around|where to stay|where to eat|best time to visit)\b/g, 2),
    kw('"opening hours"', /\b(?:opening hours|admission|open daily|tickets?)\b/g, 1.2),
    kw('transport', /\b(?:airport|ferry|train station|bus station|day trip)\b/g, 1),
    kw('prices', /[€£$]\s?\d+/g, 0.8),
    kw('"km"', /\b\d+\s?km\b/g, 1),
    kw('"restaurant"', /\b(?:restaurants?|cafés?|cafes?|beach(?:es)?)\b/g, 0.7),
  ],
};

const TITLE_HINTS: Record<ScoredType, RegExp> = {
  technical_tutorial: /\b(?:learn\w*|tutorial|hands-on|getting started|step by step|beginners?|cookbook|in action|build\w*)\b/i,
  technical_reference: /\b(?:reference|handbook|manual|api|specification|documentation|pocket guide)\b/i,
  textbook: /\b(?:introduction to|principles of|fundamentals of|elements of|textbook|course in)\b/i,
  narrative_nonfiction: /\b(?:history|life of|biography|memoir|true story|story of|chronicle)\b/i,
  fiction: /\b(?:a novel|tales?|stories|saga)\b/i,
  periodical: /\b(?:magazine|quarterly|monthly|weekly|gazette|digest|newsletter|issue \d+|vol(?:ume|\.)\s*\d+)\b/i,
  research_collection: /\b(?:proceedings|studies in|papers|research|working papers|collected essays)\b/i,
  travel_guide: /\b(?:travel\w*|guide to|trips?|itinerar\w*|walking|explore|visiting|city guide)\b/i,
};

/** Lines that look like source code or shell commands, a strong tutorial/reference cue. */
const CODE_LINE =
  /^\s*(?:\$ \S|>>> |(?:function|const|let|var|def|class|import|from|return|public|private|fn|func|package)\b.*|.*[;{}]\s*$|.*=>.*|[a-z_][\w.]*\(.*\)\s*;?\s*$|```)/;

const QUOTE = /[“”"]/g;

/** Below this top score nothing is recognisable: `unknown`. */
const MIN_SCORE = 1.2;

function ratePer1000(count: number, words: number): number {
  return (count * 1000) / Math.max(words, 300);
}

export function classifyHeuristically(input: ClassifyInput): Classification {
  const text = input.sample;
  const lower = text.toLowerCase();
  const words = countWords(text);
  const scores = new Map<ScoredType, number>();
  const why = new Map<ScoredType, { amount: number; reason: string }[]>();
  const add = (type: ScoredType, amount: number, reason: string) => {
    if (amount <= 0) return;
    scores.set(type, (scores.get(type) ?? 0) + amount);
    const list = why.get(type) ?? [];
    list.push({ amount, reason });
    why.set(type, list);
  };

  for (const [type, features] of Object.entries(FEATURES) as [ScoredType, Feature[]][]) {
    for (const f of features) {
      const count = lower.match(f.pattern)?.length ?? 0;
      if (count === 0) continue;
      // log damping: one cue repeated fifty times must not outvote five different cues
      add(type, f.weight * Math.log1p(ratePer1000(count, words)), `${f.label} ×${count}`);
    }
  }

  const lines = text.split('\n').filter((l) => l.trim().length > 0);
  const codeLines = lines.filter((l) => CODE_LINE.test(l)).length;
  const codeShare = lines.length > 0 ? codeLines / lines.length : 0;
  if (codeLines >= 3) {
    const amount = 6 * Math.min(codeShare, 0.5) + Math.log1p(ratePer1000(codeLines, words));
    add('technical_tutorial', amount, `${codeLines} code-like lines (${Math.round(codeShare * 100)}% of lines)`);
    add('technical_reference', amount * 0.7, `${codeLines} code-like lines`);
  }

  const quotes = text.match(QUOTE)?.length ?? 0;
  const quoteRate = ratePer1000(quotes, words);
  if (quoteRate >= 4) {
    add('fiction', 1.5 * Math.log1p(quoteRate / 2), `dialogue quote density ${quoteRate.toFixed(1)} per 1000 words`);
  }

  const hintText = [input.title, input.metadata?.['subject'], input.metadata?.['description'], input.metadata?.['keywords']]
    .filter(Boolean)
    .join(' ');
  for (const [type, re] of Object.entries(TITLE_HINTS) as [ScoredType, RegExp][]) {
    const m = re.exec(hintText);
    if (m) add(type, 1.5, `title/metadata mentions "${m[0]}"`);
  }

  const ranked = [...scores.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const [first, second] = ranked;
  if (!first || first[1] < MIN_SCORE) {
    return {
      bookType: 'unknown',
      confidence: 0.2,
      reasons: [first ? `weak signals only (best: ${first[0]} ${first[1].toFixed(1)})` : 'no genre signals in the sample', `${words} words sampled`],
    };
  }
  const top = first[1];
  const runnerUp = second?.[1] ?? 0;
  // Confidence grows with the strength of the evidence and with its margin over the runner-up.
  const strength = 1 - Math.exp(-top / 5);
  const margin = (top - runnerUp) / top;
  const confidence = Math.round(Math.min(0.97, Math.max(0.05, strength * (0.3 + 0.7 * margin))) * 100) / 100;
  // Strongest evidence first, so the reasons an operator sees are the ones that decided it.
  const reasons = [...(why.get(first[0]) ?? [])].sort((a, b) => b.amount - a.amount).slice(0, 6).map((w) => w.reason);
  if (second) reasons.push(`runner-up ${second[0]} (${second[1].toFixed(1)} vs ${top.toFixed(1)})`);
  if (words < 200) reasons.push(`short sample (${words} words)`);
  return { bookType: first[0], confidence, reasons };
}

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
    const [file, args, shell] =
      typeof this.options.command === 'string'
        ? [this.options.command, [] as string[], true]
        : [this.options.command[0] ?? '', this.options.command.slice(1), false];

    return new Promise<Classification>((resolve, reject) => {
      // Own process group, so a timeout also kills whatever a shell command started.
      const child = spawn(file, args, {
        shell,
        detached: process.platform !== 'win32',
        stdio: ['pipe', 'pipe', 'pipe'],
        cwd: this.options.cwd,
        env: { ...process.env, ...this.options.env },
      });
      let stdout = '';
      let stderr = '';
      let settled = false;
      const finish = (err: unknown, value?: Classification) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(value!);
      };
      const kill = () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        try {
          if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
          else child.kill('SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
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
        if (settled) return;
        const tail = stderr.trim().split('\n').slice(-3).join(' | ');
        if (code !== 0) {
          const how = sig ? `was killed by ${sig}` : `exited with code ${code}`;
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
