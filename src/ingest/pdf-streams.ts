/**
 * A budget check on a PDF's Flate streams before pdfjs sees the file. pdfjs inflates a content
 * stream whole into one growing buffer (memory outside the V8 heap, which no thread heap limit
 * bounds): an 800 MB Flate bomb made a worker peak at 1.76 GB. Here every stream whose
 * dictionary names FlateDecode is inflated once in small pieces, counting and discarding the
 * output, and the book is refused as soon as one stream or all of them together pass the limit.
 * Streams cannot live inside object streams, so a scan for the `stream` keyword finds them all;
 * a stream we cannot inflate is left to pdfjs (which reports its own errors).
 */
import { Inflate } from 'fflate';
import { PermanentError } from '../domain/errors.js';
import { formatBytes } from './limits.js';

const PUSH_BYTES = 8 * 1024;
/** How far back from `stream` its dictionary is looked for. */
const DICT_WINDOW = 4096;

export interface PdfStreamBounds {
  streamMaxBytes: number;
  totalMaxBytes: number;
}

export interface PdfStreamTally {
  streams: number;
  inflatedBytes: number;
}

export function checkPdfStreams(bytes: Uint8Array, bounds: PdfStreamBounds, signal?: AbortSignal): PdfStreamTally {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let total = 0;
  let streams = 0;
  let from = 0;
  for (;;) {
    const kw = buf.indexOf('stream', from, 'latin1');
    if (kw < 0) break;
    // "endstream" also contains the keyword.
    if (kw >= 3 && buf.toString('latin1', kw - 3, kw) === 'end') {
      from = kw + 6;
      continue;
    }
    let start = kw + 6;
    if (buf[start] === 0x0d) start++;
    if (buf[start] === 0x0a) start++;
    const end = buf.indexOf('endstream', start, 'latin1');
    const stop = end < 0 ? buf.length : end;
    const dict = buf.toString('latin1', Math.max(from, kw - DICT_WINDOW), kw);
    if (/\/FlateDecode\b|\/Fl\b/.test(dict)) {
      streams++;
      if (signal?.aborted) break;
      let size = 0;
      const inflater = new Inflate((chunk) => {
        size += chunk.length;
        if (size > bounds.streamMaxBytes) {
          throw new PermanentError(`PDF stream at byte ${kw} inflates past ${formatBytes(bounds.streamMaxBytes)} (limit)`, 'pdf_stream_too_large');
        }
        if (total + size > bounds.totalMaxBytes) {
          throw new PermanentError(`PDF streams inflate past ${formatBytes(bounds.totalMaxBytes)} in total (limit)`, 'pdf_streams_too_large');
        }
      });
      // FlateDecode data is zlib-wrapped: a 2-byte header (4 more with a preset dictionary).
      const cmf = bytes[start] ?? 0;
      const flg = bytes[start + 1] ?? 0;
      const zlibHeader = (cmf & 0x0f) === 8 && ((cmf << 8) | flg) % 31 === 0;
      const dataStart = start + (zlibHeader ? (flg & 0x20 ? 6 : 2) : 0);
      try {
        for (let off = dataStart; off < stop; off += PUSH_BYTES) {
          const next = Math.min(off + PUSH_BYTES, stop);
          inflater.push(bytes.subarray(off, next), next >= stop);
        }
      } catch (err) {
        if (err instanceof PermanentError) throw err;
        // Not inflatable by us (a broken stream, or one that ends early): pdfjs decides.
      }
      total += size;
    }
    from = stop;
  }
  return { streams, inflatedBytes: total };
}
