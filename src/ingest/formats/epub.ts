/**
 * EPUB 2/3: container.xml → OPF (metadata, manifest, spine) → table of contents (nav.xhtml, else
 * NCX) for chapter titles → XHTML text of each spine document in reading order.
 */
import { Parser } from 'htmlparser2';
import { posix } from 'node:path';
import { PermanentError } from '../../domain/errors.js';
import { decodeText, loadSource } from '../source.js';
import { ingestLimits } from '../limits.js';
import { nonWhitespaceLength, titleFromFileName, throwIfAborted } from '../text.js';
import type { BookSource, Chapter, ExtractOptions, ExtractedBook, Extractor, OutlineSource } from '../types.js';
import { MarkupGuard, blocksToText, parseMarkup, type MarkupBounds } from './markup.js';
import { InflateBudget, ZipArchive } from '../zip.js';
import type { IngestLimits } from '../limits.js';

interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

/**
 * What one node keeps of the text inside it. Only short elements' text is used (titles,
 * creators, labels, links); without a cap, text under deep nesting is copied into every ancestor.
 */
const NODE_TEXT_MAX = 64 * 1024;

/**
 * A tiny DOM: OPF/NCX/nav files are small, and a tree is far simpler to query than events. The
 * guard bounds its depth and size, so walking it recursively stays safe.
 */
function parseXml(xml: string, what: string, bounds: MarkupBounds): XmlNode {
  const guard = new MarkupGuard(what, bounds);
  const root: XmlNode = { name: '#root', attrs: {}, children: [], text: '' };
  const stack: XmlNode[] = [root];
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        guard.open();
        const node: XmlNode = { name: localName(name), attrs: lowerKeys(attrs), children: [], text: '' };
        stack[stack.length - 1]!.children.push(node);
        stack.push(node);
      },
      ontext(text) {
        for (const n of stack) if (n.text.length < NODE_TEXT_MAX) n.text += text;
      },
      onclosetag() {
        guard.close();
        if (stack.length > 1) stack.pop();
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  parser.write(xml);
  parser.end();
  return root;
}

function localName(name: string): string {
  const i = name.indexOf(':');
  return (i >= 0 ? name.slice(i + 1) : name).toLowerCase();
}

function lowerKeys(attrs: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) {
    out[k.toLowerCase()] = v;
    const local = localName(k);
    if (!(local in out)) out[local] = v;
  }
  return out;
}

function* walk(node: XmlNode): Generator<XmlNode> {
  for (const c of node.children) {
    yield c;
    yield* walk(c);
  }
}

function find(node: XmlNode, name: string): XmlNode | undefined {
  for (const n of walk(node)) if (n.name === name) return n;
  return undefined;
}

function findAll(node: XmlNode, name: string): XmlNode[] {
  return [...walk(node)].filter((n) => n.name === name);
}

const clean = (s: string) => s.replace(/\s+/g, ' ').trim();

/** Resolves an href found in `fromFile` to a zip entry path, dropping the fragment. */
function resolveHref(fromFile: string, href: string): string {
  const noFragment = href.split('#')[0] ?? '';
  let decoded = noFragment;
  try {
    decoded = decodeURIComponent(noFragment);
  } catch {
    // keep the raw href; a malformed escape is not worth failing the book over
  }
  return posix.normalize(posix.join(posix.dirname(fromFile), decoded)).replace(/^\.\//, '');
}

/**
 * The members this book reads, each inflated on first use within the book's budget; decoded
 * text counts against the book's text limit.
 */
class EpubFiles {
  private readonly budget: InflateBudget;
  private chars = 0;
  constructor(
    private readonly zip: ZipArchive,
    private readonly limits: IngestLimits,
  ) {
    this.budget = new InflateBudget(limits);
  }

  read(path: string): string | undefined {
    const entry = this.zip.find(path);
    if (!entry) return undefined;
    const text = decodeText(this.zip.read(entry, this.budget));
    this.chars += text.length;
    if (this.chars > this.limits.textMaxChars) {
      throw new PermanentError(`EPUB text passes ${this.limits.textMaxChars} characters at ${path} (limit)`, 'text_too_large');
    }
    return text;
  }
}

interface TocEntry {
  file: string;
  title: string;
}

function navToc(nav: XmlNode, navPath: string): TocEntry[] {
  const navs = findAll(nav, 'nav');
  const toc = navs.find((n) => (n.attrs['epub:type'] ?? n.attrs['type'] ?? '').split(/\s+/).includes('toc')) ?? navs[0];
  if (!toc) return [];
  return findAll(toc, 'a')
    .filter((a) => a.attrs['href'])
    .map((a) => ({ file: resolveHref(navPath, a.attrs['href']!), title: clean(a.text) }))
    .filter((e) => e.title.length > 0);
}

function ncxToc(ncx: XmlNode, ncxPath: string): TocEntry[] {
  return findAll(ncx, 'navpoint').flatMap((p) => {
    const label = p.children.find((c) => c.name === 'navlabel');
    const content = p.children.find((c) => c.name === 'content');
    const src = content?.attrs['src'];
    const title = label ? clean(label.text) : '';
    return src && title ? [{ file: resolveHref(ncxPath, src), title }] : [];
  });
}

export async function extractEpub(source: BookSource, options: ExtractOptions = {}): Promise<ExtractedBook> {
  const limits = ingestLimits(options.limits);
  const { bytes, fileName } = await loadSource(source, options, limits.documentFileMaxBytes);
  throwIfAborted(options.signal);

  // Only the central directory is read here; members are inflated when the package needs them.
  const files = new EpubFiles(ZipArchive.open(bytes), limits);
  const bounds: MarkupBounds = { maxDepth: limits.markupMaxDepth, maxNodes: limits.markupMaxNodes };
  throwIfAborted(options.signal);

  const container = files.read('META-INF/container.xml');
  if (container === undefined) throw new PermanentError('EPUB has no META-INF/container.xml (not a valid EPUB package)', 'corrupt_epub');
  const rootfile = find(parseXml(container, 'EPUB META-INF/container.xml', bounds), 'rootfile')?.attrs['full-path'];
  if (!rootfile) throw new PermanentError('EPUB container.xml names no rootfile (OPF package document)', 'corrupt_epub');
  const opfText = files.read(rootfile);
  if (opfText === undefined) throw new PermanentError(`EPUB package document ${rootfile} named in container.xml is missing`, 'corrupt_epub');
  const opf = parseXml(opfText, `EPUB package document ${rootfile}`, bounds);

  // Metadata: every dc:* element, repeated creators joined in order.
  const metadata: Record<string, string> = {};
  const metaNode = find(opf, 'metadata');
  const creators: string[] = [];
  let title: string | null = null;
  let language: string | null = null;
  for (const n of metaNode ? walk(metaNode) : []) {
    const value = clean(n.text);
    if (n.name === 'meta') {
      const key = n.attrs['name'] ?? n.attrs['property'];
      const v = n.attrs['content'] ?? value;
      if (key && v) metadata[key] = v;
      continue;
    }
    if (!value) continue;
    if (n.name === 'title') title ??= value;
    else if (n.name === 'creator') creators.push(value);
    else if (n.name === 'language') language ??= value;
    else if (!(n.name in metadata)) metadata[n.name] = value;
  }

  const manifest = new Map<string, { href: string; mediaType: string; properties: string }>();
  for (const item of findAll(opf, 'item')) {
    const id = item.attrs['id'];
    const href = item.attrs['href'];
    if (id && href) {
      manifest.set(id, {
        href: resolveHref(rootfile, href),
        mediaType: item.attrs['media-type'] ?? '',
        properties: item.attrs['properties'] ?? '',
      });
    }
  }
  const spineNode = find(opf, 'spine');
  const spine = (spineNode ? findAll(spineNode, 'itemref') : [])
    .filter((r) => r.attrs['linear'] !== 'no')
    .map((r) => manifest.get(r.attrs['idref'] ?? ''))
    .filter((m): m is NonNullable<typeof m> => m !== undefined);
  if (spine.length === 0) throw new PermanentError(`EPUB package document ${rootfile} has an empty spine (no reading order)`, 'corrupt_epub');

  // Table of contents: EPUB 3 nav first, EPUB 2 NCX second.
  let toc: TocEntry[] = [];
  let tocSource: OutlineSource = 'spine';
  const navItem = [...manifest.values()].find((m) => m.properties.split(/\s+/).includes('nav'));
  if (navItem) {
    const navText = files.read(navItem.href);
    if (navText) toc = navToc(parseXml(navText, `EPUB nav document ${navItem.href}`, bounds), navItem.href);
    if (toc.length > 0) tocSource = 'nav';
  }
  if (toc.length === 0) {
    const ncxItem = manifest.get(spineNode?.attrs['toc'] ?? '') ?? [...manifest.values()].find((m) => m.mediaType === 'application/x-dtbncx+xml');
    const ncxText = ncxItem ? files.read(ncxItem.href) : undefined;
    if (ncxItem && ncxText) toc = ncxToc(parseXml(ncxText, `EPUB NCX ${ncxItem.href}`, bounds), ncxItem.href);
    if (toc.length > 0) tocSource = 'ncx';
  }
  const tocTitle = new Map<string, string>();
  for (const e of toc) if (!tocTitle.has(e.file)) tocTitle.set(e.file, e.title);

  const chapters: Chapter[] = [];
  let sourceChars = 0;
  let titledByToc = 0;
  let titledByHeading = 0;
  for (const item of spine) {
    throwIfAborted(options.signal);
    if (item.href === navItem?.href) continue; // the contents page is not reading text
    const xhtml = files.read(item.href);
    if (xhtml === undefined) continue; // a dangling spine entry; the text-share rule will notice
    const parsed = parseMarkup(xhtml, `EPUB chapter ${item.href}`, bounds);
    const text = blocksToText(parsed.blocks.filter((b, i) => !(i === 0 && b.kind === 'heading')));
    const chars = nonWhitespaceLength(blocksToText(parsed.blocks));
    sourceChars += chars;
    if (nonWhitespaceLength(text) === 0) continue; // cover, title page image, blank separator
    const heading = parsed.blocks[0]?.kind === 'heading' ? parsed.blocks[0].text : null;
    let chapterTitle = tocTitle.get(item.href);
    if (chapterTitle) titledByToc++;
    else if (heading) {
      chapterTitle = heading;
      titledByHeading++;
    }
    chapters.push({ title: chapterTitle ?? parsed.title ?? `Section ${chapters.length + 1}`, text, order: chapters.length });
  }
  if (sourceChars === 0) throw new PermanentError('EPUB has no extractable text (spine documents are empty or images only)', 'no_text');

  const outlineSource: OutlineSource = titledByToc > 0 ? tocSource : titledByHeading > 0 ? 'headings' : 'spine';
  return {
    format: 'epub',
    title: title ?? titleFromFileName(fileName),
    author: creators.length > 0 ? creators.join(', ') : null,
    ...(language ? { language } : {}),
    chapters,
    outlineSource,
    sourceChars,
    metadata,
  };
}

export const epubExtractor: Extractor = { format: 'epub', extract: extractEpub };
