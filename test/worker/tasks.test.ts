/**
 * The pool's task functions load each format's extractor lazily; they must give exactly what the
 * ingest library's eager `extractorFor` gives, and the hash task exactly `hashFile`.
 */
import { describe, expect, it } from 'vitest';
import { TASKS, loadExtractor } from '../../src/worker/tasks.js';
import { InlineRunner } from '../../src/worker/pool.js';
import { extractorFor } from '../../src/ingest/extract.js';
import { detectFormat } from '../../src/ingest/detect.js';
import { hashFile } from '../../src/ingest/hash.js';
import { BOOK_FORMATS } from '../../src/ingest/types.js';
import { tempDir } from '../helpers/tmp.js';
import { writeLibrary } from '../fixtures/books.js';

describe('worker tasks', () => {
  it('extract and hash give the same results as the eager ingest functions, for every format', async () => {
    const dir = tempDir('tasks-');
    const entries = writeLibrary(dir, 10, { seed: 7, chapters: 2, wordsPerChapter: 80 });
    expect(new Set(entries.map((e) => e.format)).size).toBe(BOOK_FORMATS.length);
    for (const e of entries) {
      const format = await detectFormat(e.path);
      expect(await TASKS.hash({ path: e.path })).toEqual({ ...(await hashFile(e.path)), format });
      const eager = await extractorFor(format).extract(e.path, { fileName: e.path.split('/').pop()! });
      expect(await TASKS.extract({ path: e.path, format })).toEqual(eager);
      expect(await TASKS.extract({ path: e.path })).toEqual(eager);
    }
  });

  it('loads each extractor once and maps every format to its own extractor', async () => {
    for (const f of BOOK_FORMATS) {
      const a = await loadExtractor(f);
      expect(a).toBe(await loadExtractor(f));
      expect(a).toBe(extractorFor(f));
    }
  });

  it('InlineRunner runs a task on the calling thread', async () => {
    const r = new InlineRunner();
    const [v] = await r.run('embed', { texts: ['hello world'], dims: 8 });
    expect(v).toBeInstanceOf(Float32Array);
    expect(v!.length).toBe(8);
  });
});
