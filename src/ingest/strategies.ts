/**
 * Processing strategies are data: the built-in set below has exactly the shape a user's JSON
 * file would, and both go through the same zod schema.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { InputError } from '../domain/errors.js';
import { BOOK_TYPES, type BookType } from '../domain/states.js';
import { CHAPTER_MODES, type Strategy } from './types.js';

const share = z.number().min(0).max(1);

export const StrategySchema = z
  .object({
    name: z.string().min(1),
    description: z.string().default(''),
    chunkWords: z.number().int().min(20).max(10_000),
    overlapWords: z.number().int().min(0),
    chapterMode: z.enum(CHAPTER_MODES),
    minChapterWords: z.number().int().min(0).default(0),
    validation: z.object({
      minChapters: z.number().int().min(0),
      minWords: z.number().int().min(0),
      maxDuplicateChunkShare: share,
      minSourceKeptShare: share,
    }),
    fallback: z.string().min(1).nullable().default(null),
  })
  // The chunker advances by at least half a chunk; more overlap would re-embed most of the book.
  .refine((s) => s.overlapWords < s.chunkWords / 2, { message: 'overlapWords must be less than half of chunkWords', path: ['overlapWords'] });

export const StrategySetSchema = z
  .object({
    /** Used for `unknown` books and whenever classification confidence is low. */
    conservative: z.string().min(1),
    // Types not listed use the conservative strategy.
    byType: z.partialRecord(z.enum(BOOK_TYPES), z.string().min(1)),
    strategies: z.array(StrategySchema).min(1),
  })
  .superRefine((set, ctx) => {
    const names = new Set<string>();
    for (const s of set.strategies) {
      if (names.has(s.name)) ctx.addIssue({ code: 'custom', message: `duplicate strategy name '${s.name}'`, path: ['strategies'] });
      names.add(s.name);
    }
    const check = (name: string | null, where: (string | number)[]) => {
      if (name !== null && !names.has(name)) ctx.addIssue({ code: 'custom', message: `unknown strategy '${name}'`, path: where });
    };
    check(set.conservative, ['conservative']);
    for (const [type, name] of Object.entries(set.byType)) check(name, ['byType', type]);
    set.strategies.forEach((s, i) => check(s.fallback, ['strategies', i, 'fallback']));
  });

export type StrategySet = z.infer<typeof StrategySetSchema>;

/** Built-in strategies, as plain JSON-compatible data. */
export const DEFAULT_STRATEGY_DATA = {
  conservative: 'conservative',
  byType: {
    technical_tutorial: 'technical',
    technical_reference: 'reference',
    textbook: 'textbook',
    narrative_nonfiction: 'narrative',
    fiction: 'fiction',
    periodical: 'periodical',
    research_collection: 'research',
    travel_guide: 'travel',
    unknown: 'conservative',
  },
  strategies: [
    {
      name: 'technical',
      description: 'Tutorials: mid-size chunks so a code listing stays with the prose that explains it.',
      chunkWords: 350,
      overlapWords: 60,
      chapterMode: 'per_chapter',
      minChapterWords: 0,
      validation: { minChapters: 2, minWords: 300, maxDuplicateChunkShare: 0.1, minSourceKeptShare: 0.9 },
      fallback: 'conservative',
    },
    {
      name: 'reference',
      description: 'Reference works: small chunks, one entry or two each, for precise lookups.',
      chunkWords: 220,
      overlapWords: 30,
      chapterMode: 'per_chapter',
      minChapterWords: 0,
      validation: { minChapters: 2, minWords: 300, maxDuplicateChunkShare: 0.15, minSourceKeptShare: 0.9 },
      fallback: 'conservative',
    },
    {
      name: 'textbook',
      description: 'Textbooks: sections merged when tiny (exercise lists), medium chunks.',
      chunkWords: 400,
      overlapWords: 60,
      chapterMode: 'merge_short',
      minChapterWords: 120,
      validation: { minChapters: 2, minWords: 400, maxDuplicateChunkShare: 0.1, minSourceKeptShare: 0.9 },
      fallback: 'conservative',
    },
    {
      name: 'narrative',
      description: 'Narrative non-fiction: long chunks that keep an argument or episode together.',
      chunkWords: 500,
      overlapWords: 80,
      chapterMode: 'per_chapter',
      minChapterWords: 0,
      validation: { minChapters: 2, minWords: 400, maxDuplicateChunkShare: 0.05, minSourceKeptShare: 0.9 },
      fallback: 'conservative',
    },
    {
      name: 'fiction',
      description: 'Fiction: long chunks with generous overlap so scenes and dialogue are not cut mid-exchange.',
      chunkWords: 600,
      overlapWords: 100,
      chapterMode: 'per_chapter',
      minChapterWords: 0,
      validation: { minChapters: 2, minWords: 400, maxDuplicateChunkShare: 0.05, minSourceKeptShare: 0.9 },
      fallback: 'conservative',
    },
    {
      name: 'periodical',
      description: 'Periodicals: short articles merged, small chunks; mastheads repeat, so duplicates are tolerated more.',
      chunkWords: 300,
      overlapWords: 40,
      chapterMode: 'merge_short',
      minChapterWords: 80,
      validation: { minChapters: 1, minWords: 300, maxDuplicateChunkShare: 0.2, minSourceKeptShare: 0.85 },
      fallback: 'conservative',
    },
    {
      name: 'research',
      description: 'Research collections: one paper per chapter, medium chunks.',
      chunkWords: 400,
      overlapWords: 60,
      chapterMode: 'per_chapter',
      minChapterWords: 0,
      validation: { minChapters: 2, minWords: 400, maxDuplicateChunkShare: 0.1, minSourceKeptShare: 0.9 },
      fallback: 'conservative',
    },
    {
      name: 'travel',
      description: 'Travel guides: small chunks, one place or practical topic each.',
      chunkWords: 250,
      overlapWords: 40,
      chapterMode: 'per_chapter',
      minChapterWords: 0,
      validation: { minChapters: 2, minWords: 300, maxDuplicateChunkShare: 0.1, minSourceKeptShare: 0.9 },
      fallback: 'conservative',
    },
    {
      name: 'conservative',
      description: 'When the type is unknown or uncertain: medium chunks, short chapters merged, relaxed rules.',
      chunkWords: 300,
      overlapWords: 50,
      chapterMode: 'merge_short',
      minChapterWords: 60,
      validation: { minChapters: 1, minWords: 100, maxDuplicateChunkShare: 0.25, minSourceKeptShare: 0.8 },
      fallback: 'whole_book',
    },
    {
      name: 'whole_book',
      description: 'Last resort: ignores chapter structure entirely and chunks the text as one stream.',
      chunkWords: 300,
      overlapWords: 50,
      chapterMode: 'whole_book',
      minChapterWords: 0,
      validation: { minChapters: 1, minWords: 50, maxDuplicateChunkShare: 0.4, minSourceKeptShare: 0.7 },
      fallback: null,
    },
  ],
} as const;

/** Validates strategy data from any source; throws `InputError` listing every problem. */
export function parseStrategySet(data: unknown, origin = 'strategy set'): StrategySet {
  const result = StrategySetSchema.safeParse(data);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new InputError(`invalid ${origin}: ${issues}`);
  }
  return result.data;
}

export const DEFAULT_STRATEGIES: StrategySet = parseStrategySet(DEFAULT_STRATEGY_DATA, 'built-in strategies');

/** Loads a user's strategies JSON file (same shape as `DEFAULT_STRATEGY_DATA`). */
export async function loadStrategySet(path: string): Promise<StrategySet> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read strategies file ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new InputError(`strategies file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseStrategySet(json, `strategies file ${path}`);
}

export function getStrategy(name: string, set: StrategySet = DEFAULT_STRATEGIES): Strategy {
  const found = set.strategies.find((s) => s.name === name);
  if (!found) throw new InputError(`unknown strategy '${name}' (known: ${set.strategies.map((s) => s.name).join(', ')})`);
  return found;
}

export const DEFAULT_LOW_CONFIDENCE_THRESHOLD = 0.5;

export interface SelectOptions {
  /** Confidence strictly below this picks the conservative strategy. */
  lowConfidenceThreshold?: number;
  strategies?: StrategySet;
}

export function selectStrategy(bookType: BookType, confidence: number, options: SelectOptions = {}): Strategy {
  const set = options.strategies ?? DEFAULT_STRATEGIES;
  const threshold = options.lowConfidenceThreshold ?? DEFAULT_LOW_CONFIDENCE_THRESHOLD;
  // A guessed type with the wrong strategy can fail validation for the wrong reasons.
  if (!(confidence >= threshold)) return getStrategy(set.conservative, set);
  return getStrategy(set.byType[bookType] ?? set.conservative, set);
}

/**
 * The strategy for the single re-run after validation fails, or null when there is none and the
 * book should fail. Never returns the strategy it was given.
 */
export function fallbackStrategy(strategy: Strategy, set: StrategySet = DEFAULT_STRATEGIES): Strategy | null {
  if (strategy.fallback === null || strategy.fallback === strategy.name) return null;
  return getStrategy(strategy.fallback, set);
}
