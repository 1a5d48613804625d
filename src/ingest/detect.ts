/**
 * Format detection. Magic bytes win over the extension, because a mislabelled file must fail
 * with a clear cause rather than deep inside the wrong extractor.
 */
import { basename, extname } from 'node:path';
import { PermanentError } from '../domain/errors.js';
import type { BookFormat, StageOptions } from './types.js';
import { throwIfAborted } from './text.js';
import { openRegularFile } from './regular-file.js';

/** Enough for the zip local header of `mimetype`, a late %PDF header, and a text sniff. */
const SNIFF_BYTES = 8192;

const EXTENSION_FORMATS: Record<string, BookFormat> = {
  '.epub': 'epub',
  '.pdf': 'pdf',
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.html': 'html',
  '.htm': 'html',
  '.xhtml': 'html',
  '.txt': 'txt',
  '.text': 'txt',
};

const KNOWN_BINARY: { name: string; test: (b: Uint8Array) => boolean }[] = [
  { name: 'JPEG image', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { name: 'PNG image', test: (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47]) },
  { name: 'GIF image', test: (b) => startsWith(b, [0x47, 0x49, 0x46, 0x38]) },
  { name: 'legacy MS Office document', test: (b) => startsWith(b, [0xd0, 0xcf, 0x11, 0xe0]) },
  { name: 'gzip archive', test: (b) => b[0] === 0x1f && b[1] === 0x8b },
  { name: 'RTF document', test: (b) => startsWith(b, [0x7b, 0x5c, 0x72, 0x74, 0x66]) },
];

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.every((v, i) => bytes[i] === v);
}

function isZip(bytes: Uint8Array): boolean {
  return startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]);
}

/** The EPUB OCF rule: first zip entry is an uncompressed `mimetype` holding the media type. */
function isEpubZip(bytes: Uint8Array): boolean {
  if (!isZip(bytes)) return false;
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(bytes.length, 200)));
  return head.includes('mimetypeapplication/epub+zip');
}

function zipFlavour(bytes: Uint8Array): string {
  const head = new TextDecoder('latin1').decode(bytes);
  if (head.includes('word/')) return 'a Word document';
  if (head.includes('xl/')) return 'an Excel workbook';
  if (head.includes('ppt/')) return 'a PowerPoint deck';
  return 'a zip archive that is not an EPUB';
}

function hasPdfHeader(bytes: Uint8Array): boolean {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(bytes.length, 1024)));
  return head.includes('%PDF-');
}

/** NUL bytes or a high share of control characters mean binary, whatever the name says. */
function looksLikeText(bytes: Uint8Array): boolean {
  let control = 0;
  for (const b of bytes) {
    if (b === 0) return false;
    if (b < 9 || (b > 13 && b < 32)) control++;
  }
  return control <= bytes.length * 0.02;
}

function sniffTextFormat(bytes: Uint8Array): BookFormat {
  const head = new TextDecoder('utf-8').decode(bytes).trimStart().slice(0, 512).toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html') || (head.startsWith('<?xml') && head.includes('<html'))) {
    return 'html';
  }
  return 'txt';
}

/**
 * Decide a format from the first bytes of a file (at least `SNIFF_BYTES` when available) and
 * its name. Throws `PermanentError` naming why the file cannot be ingested.
 */
export function detectFormatFromBytes(head: Uint8Array, fileName: string, totalSize = head.length): BookFormat {
  if (totalSize === 0 || head.length === 0) throw new PermanentError('file is empty (0 bytes)', 'empty_file');
  const ext = extname(fileName).toLowerCase();
  const byExtension = EXTENSION_FORMATS[ext];

  if (isEpubZip(head)) return 'epub';
  if (hasPdfHeader(head)) return 'pdf';
  if (isZip(head)) {
    // An EPUB whose mimetype entry is missing or misplaced is still worth opening: the extractor
    // will say precisely what is broken.
    if (byExtension === 'epub') return 'epub';
    throw new PermanentError(`unsupported format: ${basename(fileName)} is ${zipFlavour(head)}`, 'unsupported_format');
  }

  if (byExtension === 'epub') throw new PermanentError(`file named ${ext} is not an EPUB (not a zip archive)`, 'format_mismatch');
  if (byExtension === 'pdf') throw new PermanentError(`file named ${ext} is not a PDF (no %PDF header)`, 'format_mismatch');

  const binary = KNOWN_BINARY.find((k) => k.test(head));
  if (binary) throw new PermanentError(`unsupported format: ${basename(fileName)} is a ${binary.name}`, 'unsupported_format');

  if (byExtension) {
    if (!looksLikeText(head)) throw new PermanentError(`file named ${ext} is not text (binary data)`, 'format_mismatch');
    return byExtension;
  }
  if (ext !== '') throw new PermanentError(`unsupported file type ${ext} (supported: epub, pdf, md, html, txt)`, 'unsupported_format');
  if (!looksLikeText(head)) throw new PermanentError('unsupported format: binary file with no extension', 'unsupported_format');
  return sniffTextFormat(head);
}

/** Reads only the head of the file, so detection stays cheap on large books. */
export async function detectFormat(path: string, options: StageOptions = {}): Promise<BookFormat> {
  throwIfAborted(options.signal);
  const { handle, stat } = await openRegularFile(path);
  try {
    const buf = new Uint8Array(Math.min(SNIFF_BYTES, stat.size));
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    throwIfAborted(options.signal);
    return detectFormatFromBytes(buf.subarray(0, bytesRead), basename(path), stat.size);
  } finally {
    await handle.close();
  }
}
