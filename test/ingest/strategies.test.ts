import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/domain/errors.js';
import { BOOK_TYPES } from '../../src/domain/states.js';
import {
  DEFAULT_STRATEGIES,
  DEFAULT_STRATEGY_DATA,
  fallbackStrategy,
  getStrategy,
  loadStrategySet,
  parseStrategySet,
  selectStrategy,
} from '../../src/ingest/index.js';
import { useTempDir } from './helpers.js';

const dir = useTempDir('strategies-');

describe('selectStrategy', () => {
  it('picks the type-specific strategy when the classifier is confident', () => {
    expect(selectStrategy('fiction', 0.9).name).toBe('fiction');
    expect(selectStrategy('technical_tutorial', 0.9).name).toBe('technical');
    expect(selectStrategy('travel_guide', 0.5).name).toBe('travel');
  });

  it('picks the conservative strategy below the low-confidence threshold', () => {
    expect(selectStrategy('fiction', 0.49).name).toBe('conservative');
    expect(selectStrategy('fiction', 0.7, { lowConfidenceThreshold: 0.8 }).name).toBe('conservative');
    expect(selectStrategy('fiction', 0.8, { lowConfidenceThreshold: 0.8 }).name).toBe('fiction');
  });

  it('treats unknown and nonsense confidence conservatively', () => {
    expect(selectStrategy('unknown', 0.99).name).toBe('conservative');
    expect(selectStrategy('fiction', Number.NaN).name).toBe('conservative');
  });

  it('has a strategy for every book type, with different chunking for different genres', () => {
    const chosen = BOOK_TYPES.map((t) => selectStrategy(t, 1));
    expect(chosen.every((s) => s.chunkWords > s.overlapWords)).toBe(true);
    expect(selectStrategy('fiction', 1).chunkWords).toBeGreaterThan(selectStrategy('technical_reference', 1).chunkWords);
  });
});

describe('fallbackStrategy', () => {
  it('falls back from a genre strategy to the conservative one, then to whole-book, then to nothing', () => {
    const first = fallbackStrategy(selectStrategy('fiction', 0.9));
    expect(first?.name).toBe('conservative');
    const second = fallbackStrategy(first!);
    expect(second?.name).toBe('whole_book');
    expect(second?.chapterMode).toBe('whole_book');
    expect(fallbackStrategy(second!)).toBeNull();
  });
});

describe('strategy data', () => {
  it('round-trips the built-in set through JSON, as a user file would', async () => {
    const path = join(dir, 'strategies.json');
    writeFileSync(path, JSON.stringify(DEFAULT_STRATEGY_DATA));
    const loaded = await loadStrategySet(path);
    expect(loaded).toEqual(DEFAULT_STRATEGIES);
  });

  it('lets a user file remap a type and omit others (they use the conservative strategy)', () => {
    const set = parseStrategySet({
      conservative: 'safe',
      byType: { fiction: 'novels' },
      strategies: [
        { name: 'safe', chunkWords: 200, overlapWords: 20, chapterMode: 'whole_book', validation: { minChapters: 1, minWords: 1, maxDuplicateChunkShare: 1, minSourceKeptShare: 0 } },
        { name: 'novels', chunkWords: 800, overlapWords: 100, chapterMode: 'per_chapter', validation: { minChapters: 3, minWords: 1000, maxDuplicateChunkShare: 0.05, minSourceKeptShare: 0.95 }, fallback: 'safe' },
      ],
    });
    expect(selectStrategy('fiction', 0.9, { strategies: set }).name).toBe('novels');
    expect(selectStrategy('textbook', 0.9, { strategies: set }).name).toBe('safe');
    expect(fallbackStrategy(getStrategy('novels', set), set)?.name).toBe('safe');
  });

  it('rejects bad data with every problem named', () => {
    const bad = {
      conservative: 'missing',
      byType: { fiction: 'nope' },
      strategies: [{ name: 'x', chunkWords: 100, overlapWords: 60, chapterMode: 'sideways', validation: { minChapters: 1, minWords: 1, maxDuplicateChunkShare: 2, minSourceKeptShare: 0.5 } }],
    };
    let message = '';
    try {
      parseStrategySet(bad, 'test file');
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/^invalid test file/);
    expect(message).toMatch(/chapterMode/);
    expect(message).toMatch(/maxDuplicateChunkShare/);
  });

  it('rejects references to strategies that do not exist and overlap of half a chunk or more', () => {
    const strategy = { name: 'a', chunkWords: 100, overlapWords: 10, chapterMode: 'per_chapter', validation: { minChapters: 1, minWords: 1, maxDuplicateChunkShare: 0.1, minSourceKeptShare: 0.5 } };
    expect(() => parseStrategySet({ conservative: 'a', byType: { fiction: 'b' }, strategies: [strategy] })).toThrow(/unknown strategy 'b'/);
    expect(() => parseStrategySet({ conservative: 'a', byType: {}, strategies: [{ ...strategy, overlapWords: 50 }] })).toThrow(/overlapWords must be less than half/);
  });

  it('reports an unreadable or non-JSON strategies file as user input error', async () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{ not json');
    await expect(loadStrategySet(path)).rejects.toThrow(/is not valid JSON/);
    await expect(loadStrategySet(join(dir, 'absent.json'))).rejects.toThrow(InputError);
  });
});
