/**
 * The pluggable embedder (#17): an external command speaking JSON replaces the built-in
 * hashing embedder by configuration, in batches, with the vector dimension checked and stored.
 * The command is a real process (a small Node script written by the test).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/domain/errors.js';
import { ExternalCommandEmbedder } from '../../src/ingest/external-embedder.js';
import { embeddingFromBytes } from '../../src/db/embedding-bytes.js';
import { createServices, type Services } from '../../src/services.js';
import { Worker } from '../../src/worker/worker.js';
import { WorkerConfigSchema, type WorkerConfigInput } from '../../src/config/worker.js';
import { sampleBook, writeTxt } from '../fixtures/books.js';
import { useTempDir } from './helpers.js';

const dir = useTempDir('external-embedder-');
const log = join(dir, 'runs.log');
// Answers each text with [its length, 1, 0, 0, …]; DIMS overrides the requested dimension.
const script = join(dir, 'embed.mjs');
writeFileSync(
  script,
  `import { appendFileSync } from 'node:fs';
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  const { dims, texts } = JSON.parse(input);
  appendFileSync(${JSON.stringify(log)}, texts.length + '\\n');
  const n = Number(process.env.DIMS || dims);
  const vectors = texts.map((t) => Array.from({ length: n }, (_, i) => (i === 0 ? t.length : i === 1 ? 1 : 0)));
  process.stdout.write(JSON.stringify({ vectors }));
});
`,
);
const runs = () => readFileSync(log, 'utf8').trim().split('\n').map(Number);

describe('ExternalCommandEmbedder', () => {
  afterEach(() => writeFileSync(log, ''));

  it('sends the texts in batches and returns one vector per text, in order', async () => {
    writeFileSync(log, '');
    const embedder = new ExternalCommandEmbedder({ command: [process.execPath, script], dims: 8, batchSize: 2 });
    const texts = ['a', 'bb', 'ccc', 'dddd', 'eeeee'];
    const vectors = await embedder.embed(texts);
    expect(runs()).toEqual([2, 2, 1]);
    expect(vectors.map((v) => [v.length, v[0]])).toEqual(texts.map((t) => [8, t.length]));
  });

  it('refuses an answer in another dimension, naming both sizes', async () => {
    const embedder = new ExternalCommandEmbedder({ command: [process.execPath, script], dims: 8, env: { DIMS: '4' } });
    const err = await embedder.embed(['one text']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).code).toBe('embedder_dims');
    expect((err as Error).message).toBe('external embedder returned a vector of dimension 4 for text 0, configured dims is 8');
  });
});

describe('a worker configured with an external embedder', () => {
  const open: Services[] = [];
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });

  let runsSoFar = 0;
  async function throughEmbedding(config: WorkerConfigInput) {
    const n = runsSoFar++;
    const services = createServices(join(dir, `pipeline-${n}.db`));
    open.push(services);
    const file = writeTxt(join(dir, `books-${n}`), sampleBook(4, 'fiction', 3));
    const id = (await services.enqueuer.enqueueFile(file, { actor: 'human:tester' })).pipeline.id;
    const drain = async () => {
      const w = new Worker(services, { drain: true, pollIntervalMs: 20, config: WorkerConfigSchema.parse(config) });
      await w.start();
      await w.finished;
    };
    await drain();
    services.actions.approve(id, 'human:tester', { reason: 'test' });
    await drain();
    return { services, id };
  }

  it('stores its vectors and records its name and dimension', async () => {
    const { services, id } = await throughEmbedding({ embedder: { command: process.execPath, args: [script], dims: 12, batch_size: 3 } });
    const p = services.pipelines.require(id);
    expect(p.state, p.error_json ?? '').toBe('complete');
    const result = JSON.parse(p.result_json!) as { embedding: { embedder: string; dims: number; chunks: number } };
    expect(result.embedding).toMatchObject({ embedder: `external:${process.execPath} ${script}`.slice(0, 'external:'.length + 60), dims: 12 });
    const rows = services.db.prepare('SELECT text, embedding FROM chunks WHERE pipeline_id = ? ORDER BY ord').all(id) as { text: string; embedding: Buffer }[];
    expect(rows.length).toBe(result.embedding.chunks);
    for (const r of rows) {
      const v = embeddingFromBytes(new Uint8Array(r.embedding));
      expect([v.length, v[0]]).toEqual([12, r.text.length]);
    }
  });

  it('fails the book, storing no vectors, when the command answers in the wrong dimension', async () => {
    const { services, id } = await throughEmbedding({ embedder: { command: process.execPath, args: [script], dims: 12, env: { DIMS: '5' } } });
    const p = services.pipelines.require(id);
    expect(p.state).toBe('failed');
    expect(JSON.parse(p.error_json!)).toMatchObject({ code: 'embedder_dims' });
    const embedded = services.db.prepare('SELECT COUNT(*) AS n FROM chunks WHERE pipeline_id = ? AND embedding IS NOT NULL').get(id) as { n: number };
    expect(embedded.n).toBe(0);
  });
});
