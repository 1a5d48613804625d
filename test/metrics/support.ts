/**
 * For the metrics tests: a bounded HTTP GET over loopback, a strict parser of the Prometheus
 * text format (every line a comment or `name{labels} value`, HELP/TYPE before samples), and
 * reading the bound address from a process's stderr.
 */
import http from 'node:http';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterEach, expect } from 'vitest';
import { exitOf, waitFor } from '../worker/support.js';
import { initDb, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { writeLibrary } from '../fixtures/books.js';

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function request(port: number, path: string, method = 'GET'): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer in 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export interface Scrape {
  samples: Sample[];
  types: Map<string, string>;
  /** The one sample of `name` whose labels include `labels` (throws when none or several). */
  value(name: string, labels?: Record<string, string>): number;
  /** Samples of `name` whose labels include `labels`. */
  all(name: string, labels?: Record<string, string>): Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/gy;

export function parseScrape(text: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      if (types.has(name!)) throw new Error(`TYPE twice for ${name}`);
      types.set(name!, type!);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      LABEL.lastIndex = 0;
      let consumed = 0;
      for (let l = LABEL.exec(m[2]); l; l = LABEL.exec(m[2])) {
        labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
        consumed = LABEL.lastIndex;
      }
      if (consumed !== m[2].length) throw new Error(`bad labels: ${line}`);
    }
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    // Prometheus reads the value with Go's ParseFloat, which takes NaN in any case (prom-client writes 'Nan').
    if (Number.isNaN(value) && m[3]!.toLowerCase() !== 'nan') throw new Error(`bad value: ${line}`);
    const base = m[1]!.replace(/_(bucket|sum|count)$/, '');
    if (!types.has(m[1]!) && !types.has(base)) throw new Error(`sample before its TYPE: ${line}`);
    samples.push({ name: m[1]!, labels, value });
  }
  const all = (name: string, want: Record<string, string> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(want).every(([k, v]) => s.labels[k] === v));
  return {
    samples,
    types,
    all,
    value(name, want = {}) {
      const found = all(name, want);
      if (found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(want)}`);
      return found[0]!.value;
    },
  };
}

/** The port a process said it listens on (serve's stderr line, or the worker's JSON log). */
export async function boundPort(stderr: () => string, child: ChildProcess): Promise<number> {
  const m = await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode} before listening: ${stderr()}`);
    return /http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr());
  }, 'the listening address on stderr');
  return Number(m[1]);
}

/** Polls an async check until it gives a value (a hang guard, not a speed assertion). */
export async function eventually<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Child processes a test started: each still running is killed (and awaited) after the test. */
export function killedAfterEach(): ChildProcess[] {
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGKILL');
        await exitOf(c);
      }
    }
  });
  return children;
}

/** A temp folder with a library of n books, all queued in a fresh database. */
export function queuedLibrary(n: number, seed: number, prefix: string): { dir: string; db: string } {
  const dir = tempDir(prefix);
  writeLibrary(path.join(dir, 'lib'), n, { seed });
  const db = initDb(path.join(dir, 'pipeline.db'));
  const q = runCli(['batch-queue', path.join(dir, 'lib'), '--db', db]);
  expect(q.code, q.stderr).toBe(0);
  return { dir, db };
}
