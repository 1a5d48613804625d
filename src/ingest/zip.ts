/**
 * A zip reader that inflates only what it is asked for, within a budget. `unzipSync` inflated
 * every member whole before we looked at any of them, so one 4 MB EPUB whose chapter inflated to
 * 1.2 GiB (or an unreferenced 1.5 GB member) took the worker down. Here the central directory is
 * read first (names and sizes, no data), a member is inflated only when the EPUB's own documents
 * reference it, and inflation streams in small pieces with a running byte count that stops it
 * past the member limit, the compression-ratio limit or the book's total.
 */
import { Inflate } from 'fflate';
import { PermanentError } from '../domain/errors.js';
import { formatBytes, type IngestLimits } from './limits.js';

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/**
 * Compressed bytes handed to the inflater at a time. Deflate expands at most ~1032:1, so one
 * push can produce at most ~8 MiB before the counter sees it.
 */
const PUSH_BYTES = 8 * 1024;

const corrupt = (why: string) => new PermanentError(`EPUB is not a valid zip archive (truncated?): ${why}`, 'corrupt_zip');

function u16(b: Uint8Array, at: number): number {
  if (at + 2 > b.length) throw corrupt('record runs past the end of the file');
  return b[at]! | (b[at + 1]! << 8);
}
function u32(b: Uint8Array, at: number): number {
  if (at + 4 > b.length) throw corrupt('record runs past the end of the file');
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
}
function u64(b: Uint8Array, at: number): number {
  return u32(b, at) + u32(b, at + 4) * 0x100000000;
}

const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');

/** The byte budget of one book: shared by every member read from it. */
export class InflateBudget {
  used = 0;
  constructor(readonly limits: Pick<IngestLimits, 'memberMaxBytes' | 'totalInflatedMaxBytes' | 'compressionRatioMax' | 'ratioFloorBytes'>) {}

  /** Throws when `memberBytes` (so far) of `entry` break a bound; `added` more count to the total. */
  check(entry: ZipEntry, memberBytes: number, added: number): void {
    const l = this.limits;
    if (memberBytes > l.memberMaxBytes) {
      throw new PermanentError(`epub member ${entry.name} inflates past ${formatBytes(l.memberMaxBytes)} (limit)`, 'zip_member_too_large');
    }
    if (memberBytes > l.ratioFloorBytes && memberBytes > entry.compressedSize * l.compressionRatioMax) {
      throw new PermanentError(
        `epub member ${entry.name} inflates more than ${l.compressionRatioMax}:1 (${formatBytes(entry.compressedSize)} compressed; limit)`,
        'zip_ratio',
      );
    }
    this.used += added;
    if (this.used > l.totalInflatedMaxBytes) {
      throw new PermanentError(`epub members read inflate past ${formatBytes(l.totalInflatedMaxBytes)} in total (limit)`, 'zip_total_too_large');
    }
  }
}

export class ZipArchive {
  private readonly byName = new Map<string, ZipEntry>();
  private byLowerName: Map<string, ZipEntry> | undefined;

  private constructor(private readonly bytes: Uint8Array) {}

  /** Reads the central directory (no member data); a broken one is a corrupt_zip failure. */
  static open(bytes: Uint8Array): ZipArchive {
    const zip = new ZipArchive(bytes);
    zip.readDirectory();
    return zip;
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  /** The entry at `path`; some producers differ in case between the OPF and the zip. */
  find(path: string): ZipEntry | undefined {
    const exact = this.byName.get(path);
    if (exact) return exact;
    this.byLowerName ??= new Map([...this.byName].map(([k, v]) => [k.toLowerCase(), v]));
    return this.byLowerName.get(path.toLowerCase());
  }

  /** The member's bytes, inflated within `budget`. */
  read(entry: ZipEntry, budget: InflateBudget): Uint8Array {
    if (entry.flags & 1) throw new PermanentError(`epub member ${entry.name} is encrypted`, 'encrypted_epub');
    // Refuse on the declared size before inflating anything; the running count below is what
    // holds when the declaration lies.
    if (entry.size > budget.limits.memberMaxBytes) budget.check(entry, entry.size, 0);
    const b = this.bytes;
    const at = entry.localOffset;
    if (u32(b, at) !== 0x04034b50) throw corrupt(`no local header for ${entry.name}`);
    const start = at + 30 + u16(b, at + 26) + u16(b, at + 28);
    const end = start + entry.compressedSize;
    if (end > b.length) throw corrupt(`member ${entry.name} runs past the end of the file`);
    const data = b.subarray(start, end);
    if (entry.method === 0) {
      budget.check(entry, data.length, data.length);
      return data;
    }
    if (entry.method !== 8) throw new PermanentError(`epub member ${entry.name} uses unsupported compression method ${entry.method}`, 'corrupt_zip');

    const parts: Uint8Array[] = [];
    let total = 0;
    let done = false;
    const inflater = new Inflate((chunk, final) => {
      total += chunk.length;
      budget.check(entry, total, chunk.length);
      if (chunk.length > 0) parts.push(chunk);
      if (final) done = true;
    });
    try {
      for (let off = 0; off < data.length && !done; off += PUSH_BYTES) {
        const last = off + PUSH_BYTES >= data.length;
        inflater.push(data.subarray(off, Math.min(off + PUSH_BYTES, data.length)), last);
      }
      if (data.length === 0) inflater.push(new Uint8Array(0), true);
    } catch (err) {
      if (err instanceof PermanentError) throw err;
      throw corrupt(`member ${entry.name}: ${(err as Error).message}`);
    }
    if (parts.length === 1) return parts[0]!;
    const out = new Uint8Array(total);
    let pos = 0;
    for (const p of parts) {
      out.set(p, pos);
      pos += p.length;
    }
    return out;
  }

  private readDirectory(): void {
    const b = this.bytes;
    // End of central directory: 22 bytes plus a comment of up to 65,535.
    let eocd = -1;
    for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 0xffff); i--) {
      if (b[i] === 0x50 && b[i + 1] === 0x4b && b[i + 2] === 0x05 && b[i + 3] === 0x06) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw corrupt('no end of central directory record');
    let count = u16(b, eocd + 10);
    let offset = u32(b, eocd + 16);
    if (offset === 0xffffffff || count === 0xffff) {
      const locator = eocd - 20;
      if (locator < 0 || u32(b, locator) !== 0x07064b50) throw corrupt('zip64 locator missing');
      const z64 = u64(b, locator + 8);
      if (u32(b, z64) !== 0x06064b50) throw corrupt('zip64 end record missing');
      count = u64(b, z64 + 32);
      offset = u64(b, z64 + 48);
    }
    let at = offset;
    for (let n = 0; n < count; n++) {
      if (u32(b, at) !== 0x02014b50) throw corrupt('central directory entry missing');
      const flags = u16(b, at + 8);
      const method = u16(b, at + 10);
      let compressedSize = u32(b, at + 20);
      let size = u32(b, at + 24);
      const nameLen = u16(b, at + 28);
      const extraLen = u16(b, at + 30);
      const commentLen = u16(b, at + 32);
      let localOffset = u32(b, at + 42);
      const nameBytes = b.subarray(at + 46, at + 46 + nameLen);
      const name = (flags & 0x800 ? utf8 : latin1).decode(nameBytes);
      // Zip64 extended information: the 64-bit values of whichever fields are saturated.
      const extraEnd = at + 46 + nameLen + extraLen;
      for (let e = at + 46 + nameLen; e + 4 <= extraEnd; ) {
        const id = u16(b, e);
        const len = u16(b, e + 2);
        if (id === 0x0001) {
          let p = e + 4;
          if (size === 0xffffffff) (size = u64(b, p)), (p += 8);
          if (compressedSize === 0xffffffff) (compressedSize = u64(b, p)), (p += 8);
          if (localOffset === 0xffffffff) localOffset = u64(b, p);
        }
        e += 4 + len;
      }
      if (!name.endsWith('/') && !this.byName.has(name)) {
        this.byName.set(name, { name, method, flags, compressedSize, size, localOffset });
      }
      at = extraEnd + commentLen;
    }
  }
}
