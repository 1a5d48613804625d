/**
 * Hostile documents through a real `worker --drain` process: each hostile book ends `failed`
 * with its cause, good books beside them complete, and the worker exits 0 (it neither crashes nor
 * wedges). Then the two ways a stage used to take the process with it: a thread that runs out of
 * memory (it dies alone) and an external classifier child (it dies with a SIGKILLed worker).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { initDb, runCli, spawnCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { sampleBook, writeMarkdown, writeTxt } from '../fixtures/books.js';
import { collect, exitOf, pipelines, waitFor, withDb } from './support.js';
import { flateBombPdf, nestedOpfEpub, put, unreferencedBombEpub, writeSparseText, zipBombEpub } from '../ingest/hostile-files.js';

interface ErrorDoc {
  code: string;
  message: string;
  stage: string;
  permanent: boolean;
}

function errorOf(db: string, file: string): { state: string; error: ErrorDoc | null } {
  const p = pipelines(db).find((r) => path.basename(r.source_path) === file);
  if (!p) throw new Error(`no pipeline for ${file}`);
  return { state: p.state, error: p.error_json ? (JSON.parse(p.error_json) as ErrorDoc) : null };
}

function queue(db: string, dir: string): void {
  const q = runCli(['batch-queue', dir, '--db', db]);
  expect(q.code, q.stderr).toBe(0);
}

async function drain(db: string, extraArgs: string[] = []): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = spawnCli(['worker', '--drain', '--db', db, '--poll-interval', '0.05', '--json', ...extraArgs]);
  const out = collect(child);
  const exit = await exitOf(child);
  return { ...exit, stdout: out.stdout(), stderr: out.stderr() };
}

/** Processes in process group `pgid` that are still alive (zombies are dead). */
function groupMembers(pgid: number): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z') out.push({ pid: Number(entry), comm: stat.slice(stat.indexOf('(') + 1, close) });
  }
  return out;
}

function pidsWithArg(arg: string): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(arg)) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe('hostile documents in a real worker', () => {
  it('each hostile book fails with its cause, the good books complete, and the worker exits 0', async () => {
    const dir = tempDir('ap-hostile-worker-');
    const lib = path.join(dir, 'lib');
    fs.mkdirSync(lib);
    put(lib, 'zip-bomb.epub', zipBombEpub(1200));
    put(lib, 'unreferenced-bomb.epub', unreferencedBombEpub(1536));
    put(lib, 'nested-opf.epub', nestedOpfEpub(60_000));
    put(lib, 'flate-bomb.pdf', flateBombPdf(200));
    writeSparseText(path.join(lib, 'huge.txt'), 200);
    writeTxt(lib, sampleBook(3), { fileName: 'good.txt' });
    writeMarkdown(lib, sampleBook(4), { fileName: 'good.md' });
    for (let i = 1; i <= 4; i++) writeTxt(lib, sampleBook(10 + i), { fileName: `fifo-${i}.txt` });
    const db = initDb(path.join(dir, 'pipeline.db'));
    queue(db, lib);
    // Queued as regular files, then replaced by named pipes nobody ever writes to.
    for (let i = 1; i <= 4; i++) {
      const f = path.join(lib, `fifo-${i}.txt`);
      fs.rmSync(f);
      execFileSync('mkfifo', [f]);
    }

    const run = await drain(db);
    expect(run.signal, run.stderr.slice(-2000)).toBeNull();
    expect(run.code, run.stderr.slice(-2000)).toBe(0);

    const failedWith = (file: string, message: string | RegExp, code: string) => {
      const { state, error } = errorOf(db, file);
      expect(state, `${file}: ${JSON.stringify(error)}`).toBe('failed');
      expect(error?.permanent, file).toBe(true);
      expect(error?.code, file).toBe(code);
      if (typeof message === 'string') expect(error?.message, file).toBe(message);
      else expect(error?.message, file).toMatch(message);
    };
    failedWith('zip-bomb.epub', 'epub member OEBPS/ch1.xhtml inflates past 64 MiB (limit)', 'zip_member_too_large');
    failedWith('nested-opf.epub', 'EPUB package document OEBPS/content.opf nests elements deeper than 256 levels (limit)', 'markup_too_deep');
    failedWith('flate-bomb.pdf', /^PDF stream at byte \d+ inflates past 128 MiB \(limit\)$/, 'pdf_stream_too_large');
    failedWith('huge.txt', 'file too large (200 MiB, limit 64 MiB)', 'file_too_large');
    for (let i = 1; i <= 4; i++) {
      failedWith(`fifo-${i}.txt`, `not a regular file: ${path.join(lib, `fifo-${i}.txt`)} is a named pipe (FIFO)`, 'not_a_file');
      expect(errorOf(db, `fifo-${i}.txt`).error?.stage).toBe('hashing');
    }
    for (const good of ['good.txt', 'good.md', 'unreferenced-bomb.epub']) {
      expect(errorOf(db, good).state, JSON.stringify(errorOf(db, good).error)).toBe('pending_approval');
    }
    // Nothing left leased, and each failure was audited with the state change.
    const leased = withDb(db, (d) => (d.prepare('SELECT COUNT(*) AS n FROM pipelines WHERE lease_owner IS NOT NULL').get() as { n: number }).n);
    expect(leased).toBe(0);
  }, 120_000);

  it('a stage thread that runs out of memory dies alone: its book fails with the cause, the next book completes', async () => {
    const dir = tempDir('ap-hostile-oom-');
    const lib = path.join(dir, 'lib');
    fs.mkdirSync(lib);
    // Real text (not a sparse hole), under the text-file limit, but far more than a 48 MB heap
    // can hold while it is decoded, normalized and split.
    const line = 'The harbour lights came on one by one as the boats returned with the evening tide.\n';
    fs.writeFileSync(path.join(lib, 'a-heavy.txt'), `Heavy Book\n\n${line.repeat(Math.ceil((40 * 1024 * 1024) / line.length))}`);
    writeTxt(lib, sampleBook(5), { fileName: 'b-good.txt' });
    const db = initDb(path.join(dir, 'pipeline.db'));
    queue(db, lib);
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(config, JSON.stringify({ worker: { limits: { thread_heap_mb: 48 } } }));

    const run = await drain(db, ['--config', config]);
    expect(run.signal, run.stderr.slice(-2000)).toBeNull();
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const heavy = errorOf(db, 'a-heavy.txt');
    expect(heavy.state).toBe('failed');
    expect(heavy.error).toMatchObject({ code: 'thread_out_of_memory', permanent: true, stage: 'classifying' });
    expect(heavy.error?.message).toBe('stage thread ran out of memory (limit 48 MB) while running extract');
    expect(errorOf(db, 'b-good.txt').state).toBe('pending_approval');
  }, 120_000);
});

describe('worker.limits in the config', () => {
  it('a bad limit is a usage error: one line naming the field, exit 2, nothing processed', () => {
    const dir = tempDir('ap-hostile-config-');
    const lib = path.join(dir, 'lib');
    fs.mkdirSync(lib);
    writeTxt(lib, sampleBook(8), { fileName: 'book.txt' });
    const db = initDb(path.join(dir, 'pipeline.db'));
    queue(db, lib);
    for (const limits of [{ thread_heap_mb: 4 }, { epub_member_max_mb: 0 }, { markup_max_depth: 1.5 }, { zip_bombs: 'allowed' }]) {
      const config = path.join(dir, 'config.json');
      fs.writeFileSync(config, JSON.stringify({ worker: { limits } }));
      const r = runCli(['worker', '--drain', '--db', db, '--config', config]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(/worker\.limits/);
      expect(pipelines(db)[0]!.state).toBe('detected');
    }
  });
});

describe('external classifier children die with the worker', () => {
  it('SIGKILL of the worker takes the classifier command (sh -c "sleep 25") and its children with it', async () => {
    const dir = tempDir('ap-hostile-classifier-');
    const lib = path.join(dir, 'lib');
    fs.mkdirSync(lib);
    writeTxt(lib, sampleBook(6), { fileName: 'book.txt' });
    const db = initDb(path.join(dir, 'pipeline.db'));
    queue(db, lib);
    // A unique $0 for the shell, so this test finds its own process and no one else's.
    const marker = `ap-classifier-${path.basename(dir)}`;
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(config, JSON.stringify({ worker: { classifier: { command: 'sh', args: ['-c', 'sleep 25; echo done', marker], timeoutMs: 60_000 } } }));

    const worker = spawnCli(['worker', '--db', db, '--config', config, '--poll-interval', '0.05']);
    collect(worker);
    // The command's shell is found by its $0; its process group holds it and the sleep.
    const [shell] = await waitFor(() => (pidsWithArg(marker).length > 0 ? pidsWithArg(marker) : undefined), 'the classifier command to start');
    const pgid = Number(fs.readFileSync(`/proc/${shell}/stat`, 'utf8').split(') ')[1]!.split(' ')[2]);
    await waitFor(() => groupMembers(pgid).some((p) => p.comm === 'sleep'), 'the sleep to start');
    expect(pgid).not.toBe(worker.pid);

    worker.kill('SIGKILL');
    expect((await exitOf(worker)).signal).toBe('SIGKILL');
    // Bounded poll (a hang guard, not a timing assertion): every process of the group is gone.
    await waitFor(() => groupMembers(pgid).length === 0, `process group ${pgid} to die (left: ${JSON.stringify(groupMembers(pgid))})`, 15_000);
  }, 60_000);

  it('a worker that is stopped (SIGTERM) kills the running classifier group and exits 0', async () => {
    const dir = tempDir('ap-hostile-classifier-');
    const lib = path.join(dir, 'lib');
    fs.mkdirSync(lib);
    writeTxt(lib, sampleBook(7), { fileName: 'book.txt' });
    const db = initDb(path.join(dir, 'pipeline.db'));
    queue(db, lib);
    const marker = `ap-classifier-term-${path.basename(dir)}`;
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(config, JSON.stringify({ worker: { shutdown_grace_ms: 200, classifier: { command: 'sh', args: ['-c', 'sleep 25; echo done', marker], timeoutMs: 60_000 } } }));

    const worker = spawnCli(['worker', '--db', db, '--config', config, '--poll-interval', '0.05']);
    collect(worker);
    const [shell] = await waitFor(() => (pidsWithArg(marker).length > 0 ? pidsWithArg(marker) : undefined), 'the classifier command to start');
    const pgid = Number(fs.readFileSync(`/proc/${shell}/stat`, 'utf8').split(') ')[1]!.split(' ')[2]);
    worker.kill('SIGTERM');
    expect(await exitOf(worker)).toEqual({ code: 0, signal: null });
    await waitFor(() => groupMembers(pgid).length === 0, `process group ${pgid} to die`, 15_000);
    expect(pipelines(db)[0]!.state).toBe('detected');
  }, 60_000);
});
