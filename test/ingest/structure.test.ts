/**
 * Chapters from a document's structure (#17): an EPUB whose chapters share one XHTML file, a
 * nested table of contents, a short typeset PDF with two headed chapters.
 */
import { strToU8, zipSync } from 'fflate';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunkBook, classifyInputFor, createClassifier, extractBook, fallbackStrategy, selectStrategy, validateChunks } from '../../src/ingest/index.js';
import { useTempDir } from './helpers.js';
import { bodyLines, writeTypesetPdf } from './typeset-pdf.js';

const dir = useTempDir('structure-');

const prose = (seed: string, words: number) =>
  Array.from({ length: words }, (_, i) => ['the', 'keeper', 'walked', 'along', 'harbour', 'wall', 'with', seed, 'lamp', 'night'][i % 10]).join(' ');

interface EpubSpec {
  name: string;
  /** Spine documents: path under OEBPS/ and their body XHTML. */
  docs: { href: string; body: string }[];
  /** nav.xhtml's <ol> contents; omitted = no nav document. */
  nav?: string;
  ncx?: string;
}

function writeEpubFrom(spec: EpubSpec): string {
  const files: Record<string, Uint8Array | [Uint8Array, { level: 0 }]> = {
    mimetype: [strToU8('application/epub+zip'), { level: 0 }],
    'META-INF/container.xml': strToU8(
      '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>',
    ),
  };
  const items = spec.docs.map((d, i) => `<item id="d${i}" href="${d.href}" media-type="application/xhtml+xml"/>`);
  if (spec.nav) items.push('<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>');
  if (spec.ncx) items.push('<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>');
  files['OEBPS/content.opf'] = strToU8(
    `<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>${spec.name}</dc:title></metadata><manifest>${items.join('')}</manifest><spine${spec.ncx ? ' toc="ncx"' : ''}>${spec.docs.map((_, i) => `<itemref idref="d${i}"/>`).join('')}</spine></package>`,
  );
  for (const d of spec.docs) {
    files[`OEBPS/${d.href}`] = strToU8(`<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>${spec.name}</title></head><body>${d.body}</body></html>`);
  }
  if (spec.nav) files['OEBPS/nav.xhtml'] = strToU8(`<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"><body><nav epub:type="toc"><ol>${spec.nav}</ol></nav></body></html>`);
  if (spec.ncx) files['OEBPS/toc.ncx'] = strToU8(`<?xml version="1.0"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/"><navMap>${spec.ncx}</navMap></ncx>`);
  const path = join(dir, `${spec.name.replace(/\W+/g, '-')}.epub`);
  writeFileSync(path, zipSync(files as Parameters<typeof zipSync>[0]));
  return path;
}

describe('EPUB chapters from structure', () => {
  it('splits one spine document at the nav entries that point at fragments inside it', async () => {
    const path = writeEpubFrom({
      name: 'One File Book',
      docs: [
        {
          href: 'book.xhtml',
          body: `<div id="c1"><h3>The Harbour</h3><p>${prose('a', 120)}</p></div><div id="c2"><h3>The Storm</h3><p>${prose('b', 150)}</p></div><div><a id="c3"></a><h3>The Return</h3><p>${prose('c', 90)}</p></div>`,
        },
      ],
      nav: '<li><a href="book.xhtml#c1">The Harbour</a></li><li><a href="book.xhtml#c2">The Storm</a></li><li><a href="book.xhtml#c3">The Return</a></li>',
    });
    const book = await extractBook(path);
    expect(book.chapters.map((c) => [c.title, c.text.split(/\s+/).length])).toEqual([
      ['The Harbour', 120],
      ['The Storm', 150],
      ['The Return', 90],
    ]);
    expect(book.outlineSource).toBe('nav');
  });

  it('maps a nested NCX to chapters, keeping deeper entries as sections inside them', async () => {
    const path = writeEpubFrom({
      name: 'Nested Guide',
      docs: [
        { href: 'part1.xhtml', body: `<h1 id="p1">Installing</h1><p>${prose('a', 60)}</p><h2 id="s11">From packages</h2><p>${prose('b', 70)}</p><h2 id="s12">From source</h2><p>${prose('c', 80)}</p>` },
        { href: 'part2.xhtml', body: `<h1 id="p2">Configuring</h1><p>${prose('d', 100)}</p><h2 id="s21">Files</h2><p>${prose('e', 50)}</p>` },
      ],
      ncx:
        '<navPoint id="a"><navLabel><text>Installing</text></navLabel><content src="part1.xhtml#p1"/>' +
        '<navPoint id="a1"><navLabel><text>From packages</text></navLabel><content src="part1.xhtml#s11"/></navPoint>' +
        '<navPoint id="a2"><navLabel><text>From source</text></navLabel><content src="part1.xhtml#s12"/></navPoint></navPoint>' +
        '<navPoint id="b"><navLabel><text>Configuring</text></navLabel><content src="part2.xhtml#p2"/>' +
        '<navPoint id="b1"><navLabel><text>Files</text></navLabel><content src="part2.xhtml#s21"/></navPoint></navPoint>',
    });
    const book = await extractBook(path);
    expect(book.chapters.map((c) => c.title)).toEqual(['Installing', 'Configuring']);
    expect(book.chapters[0]!.text).toContain('From packages');
    expect(book.chapters[0]!.text).toContain('From source');
    expect(book.outlineSource).toBe('ncx');
  });

  it('splits a spine document with several h2 headings and no TOC targets at its headings, titled by them', async () => {
    const path = writeEpubFrom({
      name: 'Headed File',
      docs: [{ href: 'all.xhtml', body: `<h1>Headed File</h1><h2>Morning</h2><p>${prose('a', 80)}</p><h2>Noon</h2><p>${prose('b', 80)}</p><h2>Evening</h2><p>${prose('c', 80)}</p>` }],
    });
    const book = await extractBook(path);
    expect(book.chapters.map((c) => c.title)).toEqual(['Morning', 'Noon', 'Evening']);
    expect(book.chapters.every((c) => !/^Chapter \d/.test(c.title))).toBe(true);
  });
});

describe('PDF chapters from type size', () => {
  const chapterOne = `${prose('one', 170)}.`;
  const chapterTwo = `${prose('two', 180)}.`;
  const twoChapterPdf = () =>
    // As a word processor lays it out: chapter 2 starts on page 1 right below chapter 1's text,
    // its heading in 18 pt, and runs on to page 2.
    writeTypesetPdf(dir, 'two-chapters.pdf', 'Two Chapters', [
      [{ text: 'Chapter 1', size: 18 }, ...bodyLines(chapterOne), { text: 'Chapter 2', size: 18 }, ...bodyLines(chapterTwo).slice(0, 5)],
      bodyLines(chapterTwo).slice(5),
    ]);

  it('gives a short PDF with two headed chapters two chapters, titled as printed, and it passes validation', async () => {
    const book = await extractBook(twoChapterPdf());
    expect(book.chapters.map((c) => [c.title, c.text.split(/\s+/).length])).toEqual([
      ['Chapter 1', 170],
      ['Chapter 2', 180],
    ]);
    const verdict = await createClassifier().classify(classifyInputFor(book));
    const strategy = selectStrategy(verdict.bookType, verdict.confidence);
    const result = validateChunks(book, chunkBook(book, strategy), strategy);
    const fallback = fallbackStrategy(strategy);
    // Either the chosen strategy or (as the worker would) its fallback accepts the book, and with two chapters.
    const second = result.ok || !fallback ? result : validateChunks(book, chunkBook(book, fallback), fallback);
    expect(second.failures).toEqual([]);
    expect(second.stats.chapters).toBe(2);
  });

  it('splits at numbered headings in larger type and ignores a running head repeated on every page', async () => {
    const pages = ['1 Getting Help', '2 Recruiting', '3 Legal Matters', '4 Stepping Down'].map((h, i) => [
      { text: 'GNU Maintainer Notes', size: 14 },
      { text: h, size: 16 },
      ...bodyLines(prose(String(i), 120)),
    ]);
    const book = await extractBook(writeTypesetPdf(dir, 'numbered.pdf', 'Notes', pages));
    expect(book.chapters.map((c) => c.title)).toEqual(['1 Getting Help', '2 Recruiting', '3 Legal Matters', '4 Stepping Down']);
    expect(book.outlineSource).toBe('headings');
  });
});
