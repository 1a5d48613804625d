/**
 * EPUB 2/3: container.xml → OPF (metadata, manifest, spine) → table of contents (nav.xhtml, else
 * NCX) → XHTML text of each spine document in reading order. A spine document may hold several
 * chapters: it is split at the TOC entries pointing at fragments inside it, else at its h1/h2
 * headings; nested TOC entries below the chapter level stay sections inside their chapter.
 */
import { Parser } from 'htmlparser2';
import { posix } from 'node:path';
import { PermanentError } from '../../domain/errors.js';
import { decodeText, loadSource } from '../source.js';
import { ingestLimits } from '../limits.js';
import { FRONT_MATTER_MIN_WORDS, FRONT_MATTER_TITLE, countWords, nonWhitespaceLength, titleFromFileName, throwIfAborted } from '../text.js';
import type { BookSource, Chapter, ExtractOptions, ExtractedBook, Extractor, OutlineSource } from '../types.js';
import { MarkupGuard, blocksToText, parseMarkup, type Block, type MarkupBounds } from './markup.js';
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
  /** The id the entry points at inside `file`; null for the file's start. */
  fragment: string | null;
  title: string;
  /** 0 for top-level entries, 1 for their children… */
  depth: number;
}

function fragmentOf(href: string): string | null {
  const i = href.indexOf('#');
  if (i < 0 || i === href.length - 1) return null;
  try {
    return decodeURIComponent(href.slice(i + 1));
  } catch {
    return href.slice(i + 1);
  }
}

function tocEntry(fromFile: string, href: string, title: string, depth: number): TocEntry {
  return { file: resolveHref(fromFile, href), fragment: fragmentOf(href), title, depth };
}

/** Nested `ol`/`ul` lists give the depth: a link in a list inside another list is a section. */
function navToc(nav: XmlNode, navPath: string): TocEntry[] {
  const navs = findAll(nav, 'nav');
  const toc = navs.find((n) => (n.attrs['epub:type'] ?? n.attrs['type'] ?? '').split(/\s+/).includes('toc')) ?? navs[0];
  if (!toc) return [];
  const out: TocEntry[] = [];
  const visit = (node: XmlNode, depth: number) => {
    for (const c of node.children) {
      if (c.name === 'a' && c.attrs['href']) {
        const title = clean(c.text);
        if (title) out.push(tocEntry(navPath, c.attrs['href'], title, Math.max(0, depth - 1)));
      } else visit(c, c.name === 'ol' || c.name === 'ul' ? depth + 1 : depth);
    }
  };
  visit(toc, 0);
  return out;
}

function ncxToc(ncx: XmlNode, ncxPath: string): TocEntry[] {
  const out: TocEntry[] = [];
  const visit = (node: XmlNode, depth: number) => {
    for (const p of node.children) {
      if (p.name !== 'navpoint') {
        visit(p, depth);
        continue;
      }
      const label = p.children.find((c) => c.name === 'navlabel');
      const src = p.children.find((c) => c.name === 'content')?.attrs['src'];
      const title = label ? clean(label.text) : '';
      if (src && title) out.push(tocEntry(ncxPath, src, title, depth));
      visit(p, depth + 1);
    }
  };
  visit(ncx, 0);
  return out;
}

/**
 * The TOC entries that start chapters: the top level, or the level below when the top is a
 * single entry (the book's own title above its chapters). Deeper entries are sections and stay
 * inside their chapter's text, headings included.
 */
function chapterEntries(toc: readonly TocEntry[]): TocEntry[] {
  if (toc.length === 0) return [];
  const top = Math.min(...toc.map((e) => e.depth));
  const atTop = toc.filter((e) => e.depth === top);
  const level = atTop.length === 1 && toc.some((e) => e.depth === top + 1) ? top + 1 : top;
  return toc.filter((e) => e.depth <= level);
}

interface Piece {
  title: string | null;
  blocks: Block[];
}

/**
 * Splits one spine document at the TOC entries that point inside it. The text before the first
 * target goes with the entry for the file itself when there is one, else it is front matter.
 */
function splitAtTargets(blocks: readonly Block[], entries: readonly TocEntry[]): Piece[] | null {
  const at = new Map<string, TocEntry>();
  for (const e of entries) if (e.fragment !== null && !at.has(e.fragment)) at.set(e.fragment, e);
  if (at.size === 0) return null;
  const whole = entries.find((e) => e.fragment === null);
  const pieces: Piece[] = [{ title: whole?.title ?? null, blocks: [] }];
  let found = 0;
  for (const b of blocks) {
    const target = b.anchors?.map((a) => at.get(a)).find((e) => e !== undefined);
    if (target) {
      at.delete(target.fragment!);
      found++;
      pieces.push({ title: target.title, blocks: [] });
    }
    pieces[pieces.length - 1]!.blocks.push(b);
  }
  return found > 0 ? pieces : null;
}

/** Several h1/h2 headings in one spine document (and no TOC targets inside it): split at them. */
function splitAtHeadings(blocks: readonly Block[]): Piece[] | null {
  const level = [1, 2].find((l) => blocks.filter((b) => b.kind === 'heading' && b.level === l).length >= 2);
  if (level === undefined) return null;
  const pieces: Piece[] = [{ title: null, blocks: [] }];
  for (const b of blocks) {
    if (b.kind === 'heading' && b.level <= level) pieces.push({ title: b.level === level ? b.text : null, blocks: [] });
    pieces[pieces.length - 1]!.blocks.push(b);
  }
  return pieces;
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
  const starts = chapterEntries(toc);
  const entriesFor = new Map<string, TocEntry[]>();
  for (const e of starts) {
    const list = entriesFor.get(e.file) ?? [];
    list.push(e);
    entriesFor.set(e.file, list);
  }

  const chapters: Chapter[] = [];
  let sourceChars = 0;
  let titledByToc = 0;
  let titledByHeading = 0;
  const addChapter = (title: string | null, blocks: readonly Block[], fallback: string | null) => {
    // The chapter's own heading is its title, not its text.
    const first = blocks.findIndex((b) => b.kind === 'heading');
    const leadingHeading = first >= 0 && blocks.slice(0, first).every((b) => nonWhitespaceLength(b.text) === 0) ? blocks[first] : undefined;
    const text = blocksToText(blocks.filter((b) => b !== leadingHeading));
    if (nonWhitespaceLength(text) === 0) return; // cover, title page image, blank separator
    let chapterTitle = title;
    if (chapterTitle) titledByToc++;
    else if (leadingHeading) {
      chapterTitle = leadingHeading.text;
      titledByHeading++;
    }
    chapters.push({ title: chapterTitle ?? fallback ?? `Section ${chapters.length + 1}`, text, order: chapters.length });
  };
  // EPUB 2's <guide> names a generated contents page (DocBook's bk01-toc.html) that sits in the
  // spine like a chapter; like the nav document it is not reading text.
  const contentsPages = new Set(
    findAll(find(opf, 'guide') ?? { name: '', attrs: {}, children: [], text: '' }, 'reference')
      .filter((r) => (r.attrs['type'] ?? '').toLowerCase() === 'toc' && r.attrs['href'])
      .map((r) => resolveHref(rootfile, r.attrs['href']!)),
  );
  for (const item of spine) {
    throwIfAborted(options.signal);
    if (item.href === navItem?.href || contentsPages.has(item.href)) continue; // the contents page is not reading text
    const xhtml = files.read(item.href);
    if (xhtml === undefined) continue; // a dangling spine entry; the text-share rule will notice
    const parsed = parseMarkup(xhtml, `EPUB chapter ${item.href}`, bounds);
    sourceChars += nonWhitespaceLength(blocksToText(parsed.blocks));
    const entries = entriesFor.get(item.href) ?? [];
    const pieces = splitAtTargets(parsed.blocks, entries) ?? (entries.length === 0 ? splitAtHeadings(parsed.blocks) : null);
    if (!pieces) {
      addChapter(entries[0]?.title ?? null, parsed.blocks, parsed.title);
      continue;
    }
    const [preamble, ...rest] = pieces;
    // A few words before the first target (a part title, an anchor line) join the first chapter.
    if (preamble && (preamble.title !== null || countWords(blocksToText(preamble.blocks)) >= FRONT_MATTER_MIN_WORDS)) {
      addChapter(preamble.title, preamble.blocks, FRONT_MATTER_TITLE);
    } else if (preamble && rest[0]) rest[0].blocks.unshift(...preamble.blocks.filter((b) => b.kind === 'text'));
    for (const p of rest) addChapter(p.title, p.blocks, parsed.title);
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
