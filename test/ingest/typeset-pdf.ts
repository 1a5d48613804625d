/**
 * A PDF whose lines carry their own type size, as real typeset documents do (a "Chapter 2"
 * heading in 18 pt directly above 11 pt body text, no blank line between). The demo's builder
 * sets everything in one size, which hides how real PDFs mark their chapters.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TypesetLine {
  text: string;
  size: number;
}

const esc = (s: string) => `(${s.replace(/\\/g, '\\\\').replace(/\(/g, '\\(').replace(/\)/g, '\\)')})`;

export function buildTypesetPdf(title: string, pages: TypesetLine[][], outline: { title: string; page: number }[] = []): Uint8Array {
  const objects: string[] = [];
  const add = (body: string) => objects.push(body);
  add(''); // 1 catalog, set below
  add(''); // 2 pages
  add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'); // 3
  const pageIds: number[] = [];
  for (const lines of pages) {
    // One text object per page, each line one of its own leadings below the last, as TeX sets
    // it: a heading is followed directly by its first paragraph, no blank line between.
    const ops = lines.map((l, i) => `/F1 ${l.size} Tf ${i === 0 ? '72 740' : `0 ${-l.size * 1.25}`} Td ${esc(l.text)} Tj`);
    const content = `BT\n${ops.join('\n')}\nET`;
    const contentId = add(`<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`);
    pageIds.push(add(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${contentId} 0 R >>`));
  }
  objects[1] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pageIds.length} >>`;
  let outlines = '';
  if (outline.length > 0) {
    const rootId = add('');
    const ids = outline.map(() => add(''));
    outline.forEach((o, i) => {
      const prev = i > 0 ? ` /Prev ${ids[i - 1]} 0 R` : '';
      const next = i < ids.length - 1 ? ` /Next ${ids[i + 1]} 0 R` : '';
      objects[ids[i]! - 1] = `<< /Title ${esc(o.title)} /Parent ${rootId} 0 R /Dest [${pageIds[o.page]} 0 R /XYZ 0 792 0]${prev}${next} >>`;
    });
    objects[rootId - 1] = `<< /Type /Outlines /First ${ids[0]} 0 R /Last ${ids[ids.length - 1]} 0 R /Count ${ids.length} >>`;
    outlines = ` /Outlines ${rootId} 0 R`;
  }
  objects[0] = `<< /Type /Catalog /Pages 2 0 R${outlines} >>`;
  const infoId = add(`<< /Title ${esc(title)} /Producer (typeset fixture) >>`);
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info ${infoId} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(out, 'latin1'));
}

export function writeTypesetPdf(dir: string, fileName: string, title: string, pages: TypesetLine[][]): string {
  const path = join(dir, fileName);
  writeFileSync(path, buildTypesetPdf(title, pages));
  return path;
}

/** Wraps prose into body lines of about 80 characters at `size`. */
export function bodyLines(text: string, size = 11): TypesetLine[] {
  const lines: TypesetLine[] = [];
  let line = '';
  for (const w of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + w.length + 1 > 80) {
      lines.push({ text: line, size });
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push({ text: line, size });
  return lines;
}
