/**
 * Hostile documents: the worker's peak RSS while it refuses them, next to the limits that bound
 * it. One `worker --drain` process (default config) takes a library of a 1.2 GiB zip bomb, an
 * EPUB with an unreferenced 1.5 GiB member, an OPF nested 60,000 deep, an 800 MiB Flate bomb in a
 * PDF, a 200 MB text file, four FIFOs in queued files' places and 20 good books; a second run
 * takes the 20 good books alone, the baseline. Peak RSS is the child's VmHWM from /proc (the
 * high-water mark, so polling cannot miss the peak as long as the process is alive to be read;
 * the last read is taken right before it exits, once it logs 'worker stopped').
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext, BenchResult } from '../types.js';
import { createServices } from '../../src/services.js';
import { DEFAULT_WORKER_CONFIG } from '../../src/config/worker.js';
import { writeLibrary } from '../../test/fixtures/books.js';
import { flateBombPdf, nestedOpfEpub, put, unreferencedBombEpub, writeSparseText, zipBombEpub } from '../../test/ingest/hostile-files.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(ROOT, 'dist/bin/agentic-pipeline.js');
const GOOD_BOOKS = 20;
const HOSTILE = ['zip-bomb.epub', 'nested-opf.epub', 'flate-bomb.pdf', 'huge.txt', 'fifo-1.txt', 'fifo-2.txt', 'fifo-3.txt', 'fifo-4.txt'];

function vmHwmKb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function cli(args: string[]): void {
  execFileSync(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
}

/** Runs one draining worker; resolves with its exit code and peak RSS in MiB. */
function drain(db: string): Promise<{ code: number | null; peakMb: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'worker', '--drain', '--db', db, '--poll-interval', '0.05'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let peak = 0;
    const sample = () => {
      const kb = child.pid !== undefined ? vmHwmKb(child.pid) : undefined;
      if (kb !== undefined) peak = Math.max(peak, kb);
    };
    const timer = setInterval(sample, 20);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (d.includes('worker stopped')) sample();
    });
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve({ code, peakMb: Math.round(peak / 1024) });
    });
  });
}

function states(db: string): Record<string, { state: string; code: string | null }> {
  const services = createServices(db);
  try {
    const rows = services.db.prepare('SELECT source_path, state, error_json FROM pipelines').all() as { source_path: string; state: string; error_json: string | null }[];
    return Object.fromEntries(rows.map((r) => [path.basename(r.source_path), { state: r.state, code: r.error_json ? (JSON.parse(r.error_json) as { code: string }).code : null }]));
  } finally {
    services.close();
  }
}

function library(dir: string, hostile: boolean): string {
  fs.mkdirSync(dir, { recursive: true });
  writeLibrary(dir, GOOD_BOOKS, { seed: 303, chapters: 3, wordsPerChapter: 300 });
  if (hostile) {
    put(dir, 'zip-bomb.epub', zipBombEpub(1200));
    put(dir, 'unreferenced-bomb.epub', unreferencedBombEpub(1536));
    put(dir, 'nested-opf.epub', nestedOpfEpub(60_000));
    put(dir, 'flate-bomb.pdf', flateBombPdf(800));
    writeSparseText(path.join(dir, 'huge.txt'), 200);
    for (let i = 1; i <= 4; i++) fs.writeFileSync(path.join(dir, `fifo-${i}.txt`), `Placeholder ${i}\n\nA book that will be replaced by a pipe.\n`);
  }
  return dir;
}

async function run(ctx: BenchContext, name: string, hostile: boolean): Promise<{ code: number | null; peakMb: number; states: ReturnType<typeof states> }> {
  const dir = library(path.join(ctx.tmpDir, name, 'lib'), hostile);
  const db = path.join(ctx.tmpDir, name, 'pipeline.db');
  cli(['init', '--db', db]);
  cli(['batch-queue', dir, '--db', db]);
  if (hostile) {
    for (let i = 1; i <= 4; i++) {
      fs.rmSync(path.join(dir, `fifo-${i}.txt`));
      execFileSync('mkfifo', [path.join(dir, `fifo-${i}.txt`)]);
    }
  }
  ctx.log(`${name}: draining`);
  const r = await drain(db);
  return { ...r, states: states(db) };
}

export default async function hostileSection(ctx: BenchContext): Promise<BenchResult[]> {
  const l = DEFAULT_WORKER_CONFIG.limits;
  const limits = `member ${l.epub_member_max_mb} MiB, epub total ${l.epub_total_max_mb} MiB, ratio ${l.compression_ratio_max}:1, pdf stream ${l.pdf_stream_max_mb} MiB (total ${l.pdf_streams_max_mb}), text file ${l.text_file_max_mb} MiB, document ${l.document_file_max_mb} MiB, thread heap ${l.thread_heap_mb} MB`;
  const baseline = await run(ctx, 'baseline', false);
  const hostile = await run(ctx, 'hostile', true);
  const refused = HOSTILE.filter((f) => hostile.states[f]?.state === 'failed').length;
  const goodDone = Object.entries(hostile.states).filter(([f, s]) => !HOSTILE.includes(f) && s.state === 'pending_approval').length;
  const causes = HOSTILE.map((f) => `${f}: ${hostile.states[f]?.code ?? hostile.states[f]?.state}`).join(', ');
  return [
    {
      name: 'worker peak RSS, hostile library (VmHWM)',
      value: hostile.peakMb,
      unit: 'MiB',
      // The documented bound: 512 MiB plus the largest buffer a limit admits (one member or stream).
      goal: `<= ${512 + Math.max(l.epub_member_max_mb, l.pdf_stream_max_mb)}`,
      note: `exit ${hostile.code}; limits: ${limits}`,
    },
    { name: 'worker peak RSS, the same good books alone (VmHWM)', value: baseline.peakMb, unit: 'MiB', note: `exit ${baseline.code}` },
    { name: 'hostile books failed with their cause', value: refused, unit: 'books', goal: `== ${HOSTILE.length}`, note: causes },
    { name: 'good books completed beside them', value: goodDone, unit: 'books', goal: `== ${GOOD_BOOKS + 1}`, note: 'the good library plus the EPUB with an unreferenced 1.5 GiB member' },
  ];
}
