/**
 * PDF text through poppler (`pdfinfo` + `pdftohtml -xml`) when it is installed: about 5–10x
 * faster than pdfjs on real books, and pdftohtml's XML carries what chapter detection needs
 * besides the text — each line's type size and the outline with page numbers — so one run
 * replaces pdfjs entirely. Not installed → null, and the caller falls back to pdfjs.
 *
 * Bounded like the pdfjs path: the page limit is checked (pdfinfo) before any text is made,
 * output past the text limit kills the process, the stage's signal kills it, and so does a
 * wall-clock cap for a file that makes poppler spin.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Parser } from 'htmlparser2';
import { PermanentError } from '../domain/errors.js';
import type { IngestLimits } from './limits.js';
import { throwIfAborted } from './text.js';

/** One printed line: its text, its type size, and the vertical gap above it (0 at a page top). */
export interface PdfLine {
  text: string;
  size: number;
  gapBefore: number;
}

/** What a PDF reader hands the chapter logic, whichever engine read it. */
export interface ReadPdf {
  numPages: number;
  /** Info dictionary entries, keys lower-cased (title, author, subject, keywords, creator…). */
  info: Record<string, string>;
  pages: PdfLine[][];
  /** Top-level bookmarks, 0-based pages. */
  outline: { title: string; page: number }[];
}

/** A poppler run that takes longer than this is treated as a hostile file. */
export const POPPLER_TIMEOUT_MS = 120_000;

class NotInstalled extends Error {}

interface RunOptions {
  signal?: AbortSignal | undefined;
  maxOutputBytes: number;
  what: string;
}

function run(cmd: string, args: string[], options: RunOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    // Under coreutils' `timeout`, so the cap holds even if the thread that started it is
    // terminated (a cancelled stage): then nothing here is left to enforce a timer.
    const child = spawn('timeout', ['-s', 'KILL', String(POPPLER_TIMEOUT_MS / 1000), cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let tooLarge = false;
    child.stdout.on('data', (c: Buffer) => {
      size += c.length;
      if (size > options.maxOutputBytes) {
        tooLarge = true;
        child.kill('SIGKILL');
      } else chunks.push(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      if (stderr.length < 2000) stderr += c.toString('utf8');
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') reject(new NotInstalled(cmd));
      else reject(err);
    });
    child.on('close', (code, signal) => {
      if (tooLarge) reject(new PermanentError(`PDF text passes ${options.maxOutputBytes} bytes of ${options.what} output (limit)`, 'text_too_large'));
      else if (options.signal?.aborted) reject(options.signal.reason ?? new Error('aborted'));
      else if (code === 127) reject(new NotInstalled(cmd)); // timeout(1): command not found
      else if (signal || code === 137 || code === 124) reject(new PermanentError(`PDF could not be parsed (${cmd} stopped after at most ${POPPLER_TIMEOUT_MS / 1000} s)`, 'corrupt_pdf'));
      else if (code !== 0) {
        if (/incorrect password|encrypted/i.test(stderr)) reject(new PermanentError('PDF is password-protected', 'encrypted_pdf'));
        else reject(new PermanentError(`PDF could not be parsed (${cmd}): ${stderr.trim().split('\n')[0] ?? `exit ${code}`}`, 'corrupt_pdf'));
      } else resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

function parseInfo(text: string): Record<string, string> {
  const info: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z ]+):\s*(.*)$/.exec(line);
    if (m && m[2]!.trim()) info[m[1]!.trim().toLowerCase()] = m[2]!.trim();
  }
  return info;
}

interface TextEl {
  top: number;
  left: number;
  width: number;
  height: number;
  size: number;
  text: string;
}

/** Text elements of one page → lines: elements at (about) the same top join into one line. */
function linesOf(els: readonly TextEl[]): PdfLine[] {
  const lines: PdfLine[] = [];
  let cur: { top: number; right: number; text: string; size: number } | null = null;
  let prevTop: number | null = null;
  for (const e of els) {
    if (!e.text.trim()) continue;
    if (cur && Math.abs(e.top - cur.top) <= Math.max(2, e.height * 0.4)) {
      cur.text += e.left - cur.right > e.size * 0.15 && !/\s$/.test(cur.text) ? ` ${e.text}` : e.text;
      cur.right = e.left + e.width;
      cur.size = Math.max(cur.size, e.size);
      continue;
    }
    if (cur) lines.push({ text: cur.text, size: cur.size, gapBefore: prevTop === null ? 0 : Math.max(0, cur.top - prevTop) });
    if (cur) prevTop = cur.top;
    cur = { top: e.top, right: e.left + e.width, text: e.text, size: e.size };
  }
  if (cur) lines.push({ text: cur.text, size: cur.size, gapBefore: prevTop === null ? 0 : Math.max(0, cur.top - prevTop) });
  return lines;
}

function parseXml(xml: string): Pick<ReadPdf, 'pages' | 'outline'> {
  const fonts = new Map<string, number>();
  const pages: PdfLine[][] = [];
  const outline: { title: string; page: number }[] = [];
  let els: TextEl[] = [];
  let text: TextEl | null = null;
  let outlineDepth = 0;
  let item: { page: number; title: string } | null = null;
  const num = (v: string | undefined) => Number(v ?? 0) || 0;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (name === 'fontspec') fonts.set(attrs['id'] ?? '', num(attrs['size']));
        else if (name === 'page') els = [];
        else if (name === 'text') {
          text = { top: num(attrs['top']), left: num(attrs['left']), width: num(attrs['width']), height: num(attrs['height']), size: fonts.get(attrs['font'] ?? '') ?? num(attrs['height']), text: '' };
        } else if (name === 'outline') outlineDepth++;
        else if (name === 'item' && outlineDepth === 1) item = { page: num(attrs['page']) - 1, title: '' };
      },
      ontext(t) {
        if (text) text.text += t;
        else if (item) item.title += t;
      },
      onclosetag(name) {
        if (name === 'text' && text) {
          els.push(text);
          text = null;
        } else if (name === 'page') pages.push(linesOf(els));
        else if (name === 'outline') outlineDepth--;
        else if (name === 'item' && item) {
          const title = item.title.replace(/\s+/g, ' ').trim();
          if (title && item.page >= 0) outline.push({ title, page: item.page });
          item = null;
        }
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  parser.write(xml);
  parser.end();
  return { pages, outline };
}

/**
 * null when poppler is not installed; otherwise the book, or a PermanentError naming the cause.
 * The processes are started before this returns its promise (the temp file is written
 * synchronously), so the caller's own checks on the bytes overlap poppler's work.
 */
export function readWithPoppler(bytes: Uint8Array, limits: IngestLimits, signal?: AbortSignal): Promise<ReadPdf | null> {
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpdir(), 'agentic-pdf-'));
  } catch (err) {
    return Promise.reject(err);
  }
  const file = join(dir, 'book.pdf');
  // Both at once (each process's start-up is a good part of a short book's time); too many
  // pages stops pdftohtml as soon as pdfinfo says so.
  const stop = new AbortController();
  const xmlSignal = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  let infoRun: Promise<string>;
  let xmlRun: Promise<string>;
  try {
    writeFileSync(file, bytes, { mode: 0o600 });
    infoRun = run('pdfinfo', ['-enc', 'UTF-8', file], { signal, maxOutputBytes: 1 << 20, what: 'pdfinfo' });
    // XML escapes and per-line markup roughly triple the text; the text limit still applies below.
    xmlRun = run('pdftohtml', ['-xml', '-i', '-q', '-nodrm', '-enc', 'UTF-8', '-stdout', file], { signal: xmlSignal, maxOutputBytes: limits.textMaxChars * 4, what: 'pdftohtml' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return Promise.reject(err);
  }
  xmlRun.catch(() => undefined); // awaited below unless pdfinfo fails first
  const finish = async (): Promise<ReadPdf | null> => {
    try {
      const info = parseInfo(await infoRun);
      const numPages = Number(info['pages'] ?? 0);
      if (numPages > limits.pdfMaxPages) throw new PermanentError(`PDF has ${numPages} pages (limit ${limits.pdfMaxPages})`, 'pdf_too_many_pages');
      const xml = await xmlRun;
      throwIfAborted(signal);
      const parsed = parseXml(xml);
      const chars = parsed.pages.reduce((n, p) => n + p.reduce((m, l) => m + l.text.length + 1, 0), 0);
      if (chars > limits.textMaxChars) throw new PermanentError(`PDF text passes ${limits.textMaxChars} characters (limit)`, 'text_too_large');
      return { numPages: numPages || parsed.pages.length, info, ...parsed };
    } catch (err) {
      stop.abort();
      await xmlRun.catch(() => undefined); // gone before its file is removed
      if (err instanceof NotInstalled) return null;
      throw err;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  return finish();
}
