/**
 * Ingestion on real documents (#17), the labelled corpus in test/fixtures/corpus (Debian-packaged
 * manuals, guides, a history and six novels; `.ci/run` installs them).
 *
 * - PDF text extraction side by side with poppler's `pdftotext` on every corpus PDF (27–196
 *   pages): median of 3 runs each of `pdftotext file -`, of `extractPdf` as the worker runs it
 *   (poppler when installed), and one run of the pdfjs fallback. The ratio to pdftotext's time
 *   is the figure; words extracted are compared with pdftotext's count.
 * - Books/s through the whole pipeline (hashing → … → pending_approval) on the corpus with 1 and
 *   2 `worker --drain` processes, each on a fresh database, spawn to last exit.
 * - The offline classifier's accuracy per labelled type and its calibration: of the books it
 *   classified in each confidence band, how many are right.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, type BenchContext, type BenchResult } from '../types.js';
import { createServices } from '../../src/services.js';
import { queueFolder } from '../queue-folder.js';
import { extractBook } from '../../src/ingest/extract.js';
import { extractPdf } from '../../src/ingest/formats/pdf.js';
import { classifyHeuristically, classifyInputFor } from '../../src/ingest/heuristic.js';
import { countWords } from '../../src/ingest/text.js';
import { CORPUS, layOutCorpus, scoreVerdicts, verdictFor } from '../../test/fixtures/corpus/corpus.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(ROOT, 'dist/bin/agentic-pipeline.js');
const RUNS = 3;

function pdftotext(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('pdftotext', ['-q', '-enc', 'UTF-8', file, '-'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`pdftotext exit ${code}`))));
  });
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

const bookWords = (chapters: { text: string }[]) => chapters.reduce((n, c) => n + countWords(c.text), 0);
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

async function pdfSideBySide(ctx: BenchContext, paths: Map<string, string>): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  let worstRatio = 0;
  let worstWords = 0;
  let files = 0;
  let withinTime = 0;
  let withinWords = 0;
  for (const label of CORPUS.filter((l) => l.file.endsWith('.pdf'))) {
    const file = paths.get(label.file)!;
    const ref: number[] = [];
    const ours: number[] = [];
    let refWords = 0;
    let ourWords = 0;
    let pages = 0;
    // Interleaved, so a burst of load from elsewhere on the machine hits both alike.
    for (let i = 0; i < RUNS; i++) {
      const a = await timed(() => pdftotext(file));
      ref.push(a.ms);
      refWords = countWords(a.value);
      const b = await timed(() => extractPdf(file));
      ours.push(b.ms);
      ourWords = bookWords(b.value.chapters);
      pages = Number(b.value.metadata['pages'] ?? 0);
    }
    const fallback = await timed(() => extractPdf(file, { pdfEngine: 'pdfjs' }));
    const fallbackWords = bookWords(fallback.value.chapters);
    const refMs = median(ref);
    const ourMs = median(ours);
    const ratio = ourMs / refMs;
    const wordDiff = (Math.abs(ourWords - refWords) / refWords) * 100;
    const fallbackDiff = (Math.abs(fallbackWords - refWords) / refWords) * 100;
    worstRatio = Math.max(worstRatio, ratio);
    worstWords = Math.max(worstWords, wordDiff);
    files++;
    if (ratio <= 2) withinTime++;
    if (wordDiff <= 2) withinWords++;
    ctx.log(
      `${label.file} (${pages} pages): pdftotext ${refMs.toFixed(0)} ms, ours ${ourMs.toFixed(0)} ms (×${ratio.toFixed(2)}), ` +
        `pdfjs fallback ${fallback.ms.toFixed(0)} ms (×${(fallback.ms / refMs).toFixed(2)}); words ${refWords} / ${ourWords} / ${fallbackWords}`,
    );
    results.push({
      name: `PDF extraction vs pdftotext, ${label.file} (${pages} pages)`,
      value: round(ratio),
      unit: '× pdftotext time',
      goal: '<= 2',
      note:
        `pdftotext ${round(pages / (refMs / 1000), 0)} pages/s, ours ${round(pages / (ourMs / 1000), 0)} pages/s, ` +
        `pdfjs fallback ${round(pages / (fallback.ms / 1000), 0)} pages/s (×${(fallback.ms / refMs).toFixed(1)}); ` +
        `words ${ourWords} vs ${refWords} (${wordDiff.toFixed(2)}%; fallback ${fallbackDiff.toFixed(2)}%)`,
    });
  }
  // #17's bar: within 2x of pdftotext's time, with word counts within 2%, on at least three PDFs.
  results.push({ name: `PDFs extracted within 2x of pdftotext's time (of ${files})`, value: withinTime, unit: 'PDFs', goal: '>= 3', note: `worst ratio ${worstRatio.toFixed(2)}` });
  results.push({ name: `PDFs with word counts within 2% of pdftotext's (of ${files})`, value: withinWords, unit: 'PDFs', goal: '>= 3', note: `worst difference ${worstWords.toFixed(2)}%` });
  return results;
}

function runWorker(db: string): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'worker', '--drain', '--db', db, '--log-level', 'warn', '--poll-interval', '0.05'], {
      stdio: ['ignore', 'ignore', 'ignore'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    child.on('exit', (code) => resolve(code));
  });
}

async function throughput(ctx: BenchContext, dir: string, processes: number): Promise<BenchResult> {
  const db = path.join(ctx.tmpDir, `ingest-${processes}.db`);
  await queueFolder(db, dir);
  const t0 = performance.now();
  const codes = await Promise.all(Array.from({ length: processes }, () => runWorker(db)));
  const seconds = (performance.now() - t0) / 1000;
  const check = createServices(db);
  let done = 0;
  let failed = 0;
  try {
    done = (check.db.prepare(`SELECT COUNT(*) AS n FROM pipelines WHERE state = 'pending_approval'`).get() as { n: number }).n;
    failed = (check.db.prepare(`SELECT COUNT(*) AS n FROM pipelines WHERE state <> 'pending_approval'`).get() as { n: number }).n;
  } finally {
    check.close();
  }
  const label = `${processes} process${processes > 1 ? 'es' : ''}`;
  ctx.log(`pipeline, ${label}: ${done}/${CORPUS.length} books to pending_approval in ${seconds.toFixed(2)} s${failed ? `; ${failed} elsewhere` : ''}`);
  return {
    name: `corpus books/s through the whole pipeline, ${label}`,
    value: round(done / seconds),
    unit: 'books/s',
    note: `${done}/${CORPUS.length} real documents to pending_approval (${failed} not), spawn to last exit; exit codes ${codes.join(', ')}`,
  };
}

async function classifierScore(ctx: BenchContext, paths: Map<string, string>): Promise<BenchResult[]> {
  const verdicts = [];
  for (const label of CORPUS) {
    const book = await extractBook(paths.get(label.file)!);
    const c = classifyHeuristically(classifyInputFor(book));
    verdicts.push(verdictFor(label, c.bookType, c.confidence));
    ctx.log(`${label.file}: ${c.bookType} ${c.confidence} (labelled ${label.type}${label.alsoRight ? ` or ${label.alsoRight}` : ''})`);
  }
  const score = scoreVerdicts(verdicts);
  const results: BenchResult[] = [
    { name: `classifier accuracy on the labelled corpus (${score.books} books)`, value: round((score.right / score.books) * 100, 1), unit: '%' },
  ];
  for (const [type, t] of Object.entries(score.byType)) {
    results.push({ name: `classifier accuracy, ${type}`, value: round((t.right / t.books) * 100, 1), unit: '%', note: `${t.right}/${t.books}` });
  }
  for (const band of score.calibration) {
    results.push({
      name: `classifier calibration, confidence ${band.band}`,
      value: band.books ? round((band.right / band.books) * 100, 1) : NaN,
      unit: '% right',
      note: `${band.right}/${band.books} books in the band right`,
      ...(band.min === 0.9 ? { goal: '>= 100' } : {}),
    });
  }
  return results;
}

export default async function ingestSection(ctx: BenchContext): Promise<BenchResult[]> {
  const dir = path.join(ctx.tmpDir, 'corpus');
  const paths = layOutCorpus(dir);
  return [
    ...(await pdfSideBySide(ctx, paths)),
    await throughput(ctx, dir, 1),
    await throughput(ctx, dir, 2),
    ...(await classifierScore(ctx, paths)),
  ];
}
