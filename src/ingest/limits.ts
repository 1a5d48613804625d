/**
 * What one book may make a stage allocate. A hostile file (a zip bomb, a Flate bomb in a PDF, a
 * 200 MB "text" file, an OPF nested 60,000 deep) must fail with its cause named instead of
 * exhausting the worker's memory; these bounds are where that line is drawn. The worker config
 * (`worker.limits`) overrides them; the defaults are generous for real books (a long novel is
 * 1–5 MB of text; the largest EPUB chapters seen are a few MB).
 */

export interface IngestLimits {
  /** One EPUB member may inflate to at most this many bytes. */
  memberMaxBytes: number;
  /** All members read from one EPUB together may inflate to at most this. */
  totalInflatedMaxBytes: number;
  /** Inflated:compressed ratio refused beyond… */
  compressionRatioMax: number;
  /** …once a member has inflated past this many bytes (tiny members compress absurdly well). */
  ratioFloorBytes: number;
  /** TXT/MD/HTML files above this are refused before their text is decoded. */
  textFileMaxBytes: number;
  /** EPUB/PDF files above this are refused before they are read into memory. */
  documentFileMaxBytes: number;
  /** One decoded (Flate) PDF stream may not exceed this… */
  pdfStreamMaxBytes: number;
  /** …nor a PDF's decoded streams together this. */
  pdfStreamsMaxBytes: number;
  /** Pages read from one PDF. */
  pdfMaxPages: number;
  /** Characters of text extracted from one book (any format). */
  textMaxChars: number;
  /** XML/HTML element nesting depth (OPF, nav, NCX, XHTML, HTML). */
  markupMaxDepth: number;
  /** Elements in one XML/HTML document. */
  markupMaxNodes: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_INGEST_LIMITS: IngestLimits = {
  memberMaxBytes: 64 * MiB,
  totalInflatedMaxBytes: 512 * MiB,
  compressionRatioMax: 100,
  ratioFloorBytes: 1 * MiB,
  textFileMaxBytes: 64 * MiB,
  documentFileMaxBytes: 256 * MiB,
  pdfStreamMaxBytes: 128 * MiB,
  pdfStreamsMaxBytes: 512 * MiB,
  pdfMaxPages: 20_000,
  textMaxChars: 32 * MiB,
  markupMaxDepth: 256,
  markupMaxNodes: 1_000_000,
};

/** Fills what a caller left out with the defaults. */
export function ingestLimits(partial?: Partial<IngestLimits>): IngestLimits {
  return { ...DEFAULT_INGEST_LIMITS, ...(partial ?? {}) };
}

/** "64 MiB", "1.5 GiB", "812 KiB": sizes in failure messages. */
export function formatBytes(n: number): string {
  if (n >= 1024 * MiB) return `${trim(n / (1024 * MiB))} GiB`;
  if (n >= MiB) return `${trim(n / MiB)} MiB`;
  if (n >= 1024) return `${trim(n / 1024)} KiB`;
  return `${n} bytes`;
}

function trim(x: number): string {
  return x >= 100 ? String(Math.round(x)) : x.toFixed(1).replace(/\.0$/, '');
}
