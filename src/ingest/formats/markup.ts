/**
 * HTML/XHTML to structured text with htmlparser2: paragraphs separated by blank lines, headings
 * kept as their own blocks so extractors can split chapters on them.
 */
import { Parser } from 'htmlparser2';
import { PermanentError } from '../../domain/errors.js';
import { DEFAULT_INGEST_LIMITS } from '../limits.js';

export interface MarkupBounds {
  maxDepth: number;
  maxNodes: number;
}

export const DEFAULT_MARKUP_BOUNDS: MarkupBounds = {
  maxDepth: DEFAULT_INGEST_LIMITS.markupMaxDepth,
  maxNodes: DEFAULT_INGEST_LIMITS.markupMaxNodes,
};

/**
 * Counts elements and nesting as the parser streams and stops it past either bound: a 3 KB
 * document nesting 60,000 elements would otherwise cost a stack (or a tree walk) 60,000 deep.
 * `what` names the document in the failure ("EPUB package document OEBPS/content.opf").
 */
export class MarkupGuard {
  private depth = 0;
  private nodes = 0;
  constructor(
    private readonly what: string,
    private readonly bounds: MarkupBounds = DEFAULT_MARKUP_BOUNDS,
  ) {}

  open(): void {
    this.depth++;
    this.nodes++;
    if (this.depth > this.bounds.maxDepth) {
      throw new PermanentError(`${this.what} nests elements deeper than ${this.bounds.maxDepth} levels (limit)`, 'markup_too_deep');
    }
    if (this.nodes > this.bounds.maxNodes) {
      throw new PermanentError(`${this.what} has more than ${this.bounds.maxNodes} elements (limit)`, 'markup_too_large');
    }
  }

  close(): void {
    if (this.depth > 0) this.depth--;
  }
}

/**
 * `anchors`: the element ids (and `<a name>`s) opened since the previous block, so a table of
 * contents entry pointing at `file.xhtml#ch2` can be matched to the block where chapter 2 starts.
 */
export type Block = ({ kind: 'heading'; level: number; text: string } | { kind: 'text'; text: string }) & { anchors?: string[] };

export interface ParsedMarkup {
  title: string | null;
  lang: string | null;
  /** `<meta name=… content=…>` pairs, names lower-cased. */
  meta: Record<string, string>;
  blocks: Block[];
}

const BLOCK_TAGS = new Set([
  'p', 'div', 'section', 'article', 'aside', 'blockquote', 'li', 'ul', 'ol', 'dl', 'dt', 'dd', 'table', 'tr',
  'figure', 'figcaption', 'header', 'footer', 'main', 'body', 'address', 'hr', 'pre', 'td', 'th',
]);
/** Content that is never reading text. `nav` is a table of contents or site menu. */
const SKIP_TAGS = new Set(['script', 'style', 'noscript', 'template', 'svg', 'math', 'nav', 'object', 'iframe']);
const HEADING = /^h([1-6])$/;

function localName(name: string): string {
  const i = name.indexOf(':');
  return (i >= 0 ? name.slice(i + 1) : name).toLowerCase();
}

export function parseMarkup(html: string, what = 'HTML document', bounds: MarkupBounds = DEFAULT_MARKUP_BOUNDS): ParsedMarkup {
  const guard = new MarkupGuard(what, bounds);
  const result: ParsedMarkup = { title: null, lang: null, meta: {}, blocks: [] };
  let buffer = '';
  let skipDepth = 0;
  let preDepth = 0;
  let inTitle = false;
  let titleText = '';
  let heading: { level: number; text: string } | null = null;
  let anchors: string[] = [];
  const push = (block: Block) => {
    if (anchors.length > 0) {
      block.anchors = anchors;
      anchors = [];
    }
    result.blocks.push(block);
  };

  const flush = () => {
    const text = preDepth > 0 ? buffer.replace(/^\n+|\s+$/g, '') : buffer.replace(/\s+/g, ' ').trim();
    buffer = '';
    if (text.length > 0) push({ kind: 'text', text });
  };

  const parser = new Parser(
    {
      onopentag(rawName, attrs) {
        guard.open();
        const name = localName(rawName);
        if (skipDepth > 0 || SKIP_TAGS.has(name)) {
          skipDepth++;
          return;
        }
        const anchor = attrs['id'] ?? (name === 'a' ? attrs['name'] : undefined);
        if (anchor) {
          // A block or heading ends the text before it first, so its id marks the block it opens,
          // not the paragraph that precedes it. An id inside a paragraph lands on the next block.
          if (BLOCK_TAGS.has(name) || HEADING.test(name)) flush();
          anchors.push(anchor);
        }
        if (name === 'html') result.lang = attrs['lang'] ?? attrs['xml:lang'] ?? null;
        else if (name === 'title') inTitle = true;
        else if (name === 'meta') {
          const key = (attrs['name'] ?? attrs['property'] ?? '').toLowerCase();
          if (key && attrs['content'] !== undefined) result.meta[key] = attrs['content'];
        } else if (name === 'br') buffer += '\n';
        else if (name === 'img' && attrs['alt']) buffer += ` ${attrs['alt']} `;
        else {
          const h = HEADING.exec(name);
          if (h) {
            flush();
            heading = { level: Number(h[1]), text: '' };
          } else if (BLOCK_TAGS.has(name)) {
            flush();
            if (name === 'pre') preDepth++;
          }
        }
      },
      ontext(text) {
        if (skipDepth > 0) return;
        if (inTitle) titleText += text;
        else if (heading) heading.text += text;
        else buffer += text;
      },
      onclosetag(rawName) {
        guard.close();
        const name = localName(rawName);
        if (skipDepth > 0) {
          skipDepth--;
          return;
        }
        if (name === 'title') {
          inTitle = false;
          const t = titleText.replace(/\s+/g, ' ').trim();
          if (t) result.title ??= t;
        } else if (HEADING.test(name) && heading) {
          const text = heading.text.replace(/\s+/g, ' ').trim();
          if (text) push({ kind: 'heading', level: heading.level, text });
          heading = null;
        } else if (BLOCK_TAGS.has(name)) {
          flush();
          if (name === 'pre') preDepth = Math.max(0, preDepth - 1);
        }
      },
    },
    { decodeEntities: true, recognizeSelfClosing: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  flush();
  return result;
}

export function blocksToText(blocks: readonly Block[]): string {
  return blocks.map((b) => b.text).join('\n\n');
}
