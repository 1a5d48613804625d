import { describe, expect, it } from 'vitest';
import { TransientError } from '../../src/domain/errors.js';
import {
  ExternalCommandClassifier,
  classifyHeuristically,
  classifyInputFor,
  createClassifier,
  extractBook,
  sampleText,
  type ClassifyInput,
} from '../../src/ingest/index.js';
import { GENRES, createRng, generateBook, writeLibrary } from '../fixtures/books.js';
import { useTempDir } from './helpers.js';

const dir = useTempDir('classify-');

function inputFor(genre: (typeof GENRES)[number], seed: number, title = 'Untitled'): ClassifyInput {
  const book = generateBook(genre, createRng(seed), { chapters: 3, wordsPerChapter: 300 });
  return { title, author: null, format: 'txt', sample: book.chapters.map((c) => c.text).join('\n\n') };
}

describe('heuristic classifier', () => {
  for (const genre of GENRES) {
    it(`recognises ${genre} from the text alone, with confidence and reasons`, () => {
      for (const seed of [1, 2, 3]) {
        const result = classifyHeuristically(inputFor(genre, seed));
        expect(result.bookType).toBe(genre);
        expect(result.confidence).toBeGreaterThanOrEqual(0.6);
        expect(result.confidence).toBeLessThanOrEqual(1);
        expect(result.reasons.length).toBeGreaterThan(0);
      }
    });
  }

  it('classifies every book of a mixed library (all formats) as the genre it was written as', async () => {
    const entries = writeLibrary(dir, 16, { seed: 5 });
    for (const e of entries) {
      const book = await extractBook(e.path);
      const result = await createClassifier({ kind: 'heuristic' }).classify(classifyInputFor(book));
      expect({ path: e.path, type: result.bookType }).toEqual({ path: e.path, type: e.genre });
    }
  });

  it('says unknown, with low confidence, when there are no genre signals', () => {
    const result = classifyHeuristically({ title: 'Notes', author: null, format: 'txt', sample: 'lorem ipsum dolor sit amet '.repeat(60) });
    expect(result.bookType).toBe('unknown');
    expect(result.confidence).toBeLessThan(0.5);
    expect(result.reasons.join(' ')).toMatch(/no genre signals/);
  });

  it('is less confident when a text mixes two genres than when it is clearly one', () => {
    const pure = classifyHeuristically(inputFor('travel_guide', 9));
    const mixed = classifyHeuristically({
      ...inputFor('travel_guide', 9),
      sample: `${inputFor('travel_guide', 9).sample}\n\n${inputFor('fiction', 9).sample}`,
    });
    expect(mixed.confidence).toBeLessThan(pure.confidence);
  });

  it('explains code-heavy text with a code-lines reason', () => {
    const result = classifyHeuristically(inputFor('technical_tutorial', 4));
    expect(result.reasons.join(' | ')).toMatch(/code-like lines/);
  });

  it('samples from the start, middle and end of a long book', () => {
    const chapters = ['START '.repeat(5000), 'MIDDLE '.repeat(5000), 'END '.repeat(5000)].map((text, order) => ({ title: `c${order}`, text, order }));
    const sample = sampleText({ chapters }, 4000);
    expect(sample.length).toBeLessThanOrEqual(4000 + 10);
    expect(sample).toContain('START');
    expect(sample).toContain('MIDDLE');
    expect(sample).toContain('END');
  });
});

const input: ClassifyInput = { title: 'Lisbon Days', author: 'A. Writer', format: 'epub', sample: 'hotel itinerary' };
const node = (script: string) => [process.execPath, '-e', script];

describe('ExternalCommandClassifier', () => {
  it('sends title/author/format/sample as JSON on stdin and reads the verdict from stdout', async () => {
    const script = `let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const i=JSON.parse(s);
      console.log(JSON.stringify({book_type:'travel_guide',confidence:0.8,reasons:['saw '+i.title+' by '+i.author+' ('+i.format+'): '+i.sample]}))})`;
    const result = await new ExternalCommandClassifier({ command: node(script) }).classify(input);
    expect(result).toEqual({ bookType: 'travel_guide', confidence: 0.8, reasons: ['saw Lisbon Days by A. Writer (epub): hotel itinerary'] });
  });

  it('runs a shell command line given as a string', async () => {
    const cmd = `"${process.execPath}" -e "console.log(JSON.stringify({book_type:'fiction',confidence:0.4}))"`;
    const result = await createClassifier({ kind: 'external', command: cmd }).classify(input);
    expect(result).toEqual({ bookType: 'fiction', confidence: 0.4, reasons: [] });
  });

  it('turns output that is not JSON into a TransientError quoting it', async () => {
    const err = await new ExternalCommandClassifier({ command: node(`console.log('I think it is fiction')`) }).classify(input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toMatch(/printed invalid JSON: 'I think it is fiction'/);
  });

  it('turns JSON of the wrong shape into a TransientError naming the bad field', async () => {
    const script = `console.log(JSON.stringify({book_type:'cookbook',confidence:1.5}))`;
    const err = await new ExternalCommandClassifier({ command: node(script) }).classify(input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toMatch(/not valid: .*book_type.*confidence/);
  });

  it('reports a failing command with its exit code and stderr', async () => {
    const err = await new ExternalCommandClassifier({ command: node(`console.error('model not loaded');process.exit(3)`) }).classify(input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toMatch(/exited with code 3: model not loaded/);
  });

  it('kills a command that runs past its timeout', async () => {
    const marker = `${dir}/still-running`;
    const script = `setTimeout(()=>require('fs').writeFileSync(${JSON.stringify(marker)},'x'),1500)`;
    const err = await new ExternalCommandClassifier({ command: node(script), timeoutMs: 200 }).classify(input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toMatch(/timed out after 200 ms/);
    await new Promise((r) => setTimeout(r, 2000));
    const { existsSync } = await import('node:fs');
    expect(existsSync(marker)).toBe(false);
  });

  it('kills the command and rejects when the caller aborts', async () => {
    const controller = new AbortController();
    const pending = new ExternalCommandClassifier({ command: node('setTimeout(()=>{},10000)'), timeoutMs: 20_000 }).classify(input, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('worker shutting down')), 100);
    await expect(pending).rejects.toThrow(/worker shutting down/);
  });

  it('reports a command that does not exist', async () => {
    await expect(new ExternalCommandClassifier({ command: ['/nonexistent/classifier-bin'] }).classify(input)).rejects.toThrow(TransientError);
  });

  it('rejects an invalid config', () => {
    expect(() => createClassifier({ kind: 'external', command: '' } as never)).toThrow();
  });
});
