/**
 * Hostile documents, built in the test that uses them: zip and Flate bombs, an EPUB whose OPF
 * nests 60,000 elements, a sparse 200 MB "text" file. The bombs are made without ever holding
 * their inflated size: one megabyte of a byte, deflated with a full flush (byte-aligned, window
 * reset), is a block that can be repeated any number of times, then closed by an empty final
 * block. 1.2 GiB of zeros costs ~1.2 MB of file and no time.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { deflateSync, strToU8 } from 'fflate';

const MiB = 1024 * 1024;

/** Raw deflate data that inflates to `mib` MiB of `byte`. */
export function deflateBomb(mib: number, byte = 0): Uint8Array {
  const block = zlib.deflateRawSync(Buffer.alloc(MiB, byte), { finishFlush: zlib.constants.Z_FULL_FLUSH, level: 9 });
  const final = zlib.deflateRawSync(Buffer.alloc(0));
  const out = Buffer.alloc(block.length * mib + final.length);
  for (let i = 0; i < mib; i++) block.copy(out, i * block.length);
  final.copy(out, block.length * mib);
  return out;
}

export interface ZipMember {
  name: string;
  /** Stored as is (method 0)… */
  stored?: Uint8Array;
  /** …or deflated by us… */
  text?: string;
  /** …or raw deflate data given by the caller, with the size the directory declares. */
  raw?: { deflated: Uint8Array; declaredSize: number };
}

/** A minimal zip writer (CRCs left 0: no reader here checks them, and a bomb's would cost its size). */
export function buildZip(members: readonly ZipMember[]): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, 'utf8');
    let method = 8;
    let data: Uint8Array;
    let size: number;
    if (m.stored) {
      method = 0;
      data = m.stored;
      size = m.stored.length;
    } else if (m.raw) {
      data = m.raw.deflated;
      size = m.raw.declaredSize;
    } else {
      const bytes = strToU8(m.text ?? '');
      data = deflateSync(bytes);
      size = bytes.length;
    }
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(size >>> 0, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(size >>> 0, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    centrals.push(central, name);
    offset += 30 + name.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const CONTAINER = `<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>`;

export function opf(chapters: readonly string[], extraManifest = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">x</dc:identifier><dc:title>Hostile</dc:title></metadata>
  <manifest>${chapters.map((c, i) => `<item id="c${i}" href="${c}" media-type="application/xhtml+xml"/>`).join('')}${extraManifest}</manifest>
  <spine>${chapters.map((_, i) => `<itemref idref="c${i}"/>`).join('')}</spine>
</package>`;
}

export function chapterXhtml(title: string, paragraphs = 40): string {
  const p = Array.from({ length: paragraphs }, (_, i) => `<p>Paragraph ${i + 1} of ${title}: the harbour lights came on one by one as the boats returned with the evening tide, and the town listened.</p>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head><title>${title}</title></head><body><h1>${title}</h1>\n${p}\n</body></html>`;
}

/** An EPUB: mimetype, container, the given OPF and members. */
export function buildEpub(opfText: string, members: readonly ZipMember[]): Uint8Array {
  return buildZip([
    { name: 'mimetype', stored: strToU8('application/epub+zip') },
    { name: 'META-INF/container.xml', text: CONTAINER },
    { name: 'OEBPS/content.opf', text: opfText },
    ...members,
  ]);
}

/** One chapter (OEBPS/ch1.xhtml) that inflates to `mib` MiB; its declared size may lie. */
export function zipBombEpub(mib: number, declaredSize = mib * MiB): Uint8Array {
  return buildEpub(opf(['ch1.xhtml']), [{ name: 'OEBPS/ch1.xhtml', raw: { deflated: deflateBomb(mib, 0x20), declaredSize } }]);
}

/** A readable book with an unreferenced member of `mib` MiB and a broken one beside it. */
export function unreferencedBombEpub(mib: number): Uint8Array {
  return buildEpub(opf(['ch1.xhtml', 'ch2.xhtml']), [
    { name: 'OEBPS/ch1.xhtml', text: chapterXhtml('Chapter One') },
    { name: 'OEBPS/ch2.xhtml', text: chapterXhtml('Chapter Two') },
    { name: 'OEBPS/junk.bin', raw: { deflated: deflateBomb(mib), declaredSize: Math.min(mib * MiB, 0xffffffff) } },
    // Not even valid deflate data: reading it would fail the book.
    { name: 'OEBPS/broken.bin', raw: { deflated: new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), declaredSize: 100 } },
  ]);
}

/** An OPF nesting `depth` elements: a few KB compressed. */
export function nestedOpfEpub(depth = 60_000): Uint8Array {
  const nested = `${'<x>'.repeat(depth)}${'</x>'.repeat(depth)}`;
  const text = opf(['ch1.xhtml']).replace('<manifest>', `${nested}<manifest>`);
  return buildEpub(text, [{ name: 'OEBPS/ch1.xhtml', text: chapterXhtml('Chapter One') }]);
}

/** A PDF whose first page's content stream inflates to `mib` MiB of spaces; page 2 has text. */
export function flateBombPdf(mib: number): Uint8Array {
  const raw = deflateBomb(mib, 0x20);
  // A zlib stream: header, raw deflate data, (unchecked here) Adler-32.
  const stream = Buffer.concat([Buffer.from([0x78, 0xda]), Buffer.from(raw), Buffer.alloc(4)]);
  const text = 'BT /F1 12 Tf 72 720 Td (The harbour lights came on one by one.) Tj ET';
  const parts: (string | Buffer)[] = [];
  const offsets: number[] = [];
  let length = 0;
  const add = (p: string | Buffer) => {
    parts.push(p);
    length += typeof p === 'string' ? Buffer.byteLength(p, 'latin1') : p.length;
  };
  const obj = (n: number, body: (string | Buffer)[]) => {
    offsets[n] = length;
    add(`${n} 0 obj\n`);
    for (const b of body) add(b);
    add('\nendobj\n');
  };
  add('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n');
  obj(1, ['<< /Type /Catalog /Pages 2 0 R >>']);
  obj(2, ['<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 >>']);
  obj(3, ['<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 7 0 R >> >> /Contents 4 0 R >>']);
  obj(4, [`<< /Length ${stream.length} /Filter /FlateDecode >>\nstream\n`, stream, '\nendstream']);
  obj(5, ['<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 7 0 R >> >> /Contents 6 0 R >>']);
  obj(6, [`<< /Length ${text.length} >>\nstream\n${text}\nendstream`]);
  obj(7, ['<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>']);
  const xref = length;
  add(`xref\n0 8\n0000000000 65535 f \n`);
  for (let n = 1; n <= 7; n++) add(`${String(offsets[n]).padStart(10, '0')} 00000 n \n`);
  add(`trailer\n<< /Size 8 /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)));
}

/** A text file of `mib` MiB: a real first 16 KB, the rest a sparse hole (quick to write). */
export function writeSparseText(file: string, mib: number): string {
  const head = Array.from({ length: 200 }, (_, i) => `Line ${i + 1}: the harbour lights came on one by one as the tide turned.`).join('\n');
  fs.writeFileSync(file, head.padEnd(16 * 1024, '\n'));
  fs.truncateSync(file, mib * MiB);
  return file;
}

export function put(dir: string, name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}
