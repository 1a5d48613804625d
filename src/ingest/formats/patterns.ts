/**
 * Chapter detection for text without markup (plain text, PDF without bookmarks): standalone lines
 * that look like "Chapter 1", "CHAPTER IV", "Part One", "XII" or "3. The Harbour".
 */
import type { Chapter } from '../types.js';
import { FRONT_MATTER_MIN_WORDS, FRONT_MATTER_TITLE, countWords } from '../text.js';

const NUMBER_WORDS =
  'one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth';
const ROMAN = '[ivxlcdm]+';
const NUMBER = `(?:\\d{1,3}|${ROMAN}|${NUMBER_WORDS})`;

const HEADING_PATTERNS: RegExp[] = [
  // "Chapter 1", "CHAPTER IV. The Storm", "Chapter Twelve: Home"
  new RegExp(`^(?:chapter|chap\\.)\\s+${NUMBER}\\b\\.?(?:\\s*[:.\\-\\u2013\\u2014]\\s*|\\s+)?(.{0,80})$`, 'i'),
  // "Part One", "PART II - The Return", "Book 3"
  new RegExp(`^(?:part|book)\\s+${NUMBER}\\b\\.?(?:\\s*[:.\\-\\u2013\\u2014]\\s*|\\s+)?(.{0,80})$`, 'i'),
  // A roman numeral alone, or followed by a short title: "IV", "IV. The Storm"
  /^(?=[IVXLCDM]+\b)M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})\.?(?:\s+([A-Z][^.!?]{0,60}))?$/,
  // "1. The Harbour", "12 The Harbour" (a title, not a sentence: no final stop)
  /^\d{1,3}\.?\s+([A-Z][^.!?]{0,60}[^.!?\s:,;])$/,
];

function headingMatch(line: string): boolean {
  const trimmed = line.trim();
  if (trimmed.length === 0 || trimmed.length > 90) return false;
  return HEADING_PATTERNS.some((re) => {
    const m = re.exec(trimmed);
    // The roman pattern's lookahead lets an empty string through; require a real numeral.
    return m !== null && m[0].length > 0;
  });
}

/** A short line that reads like a title (for "CHAPTER I" followed by its name on the next line). */
function looksLikeSubtitle(line: string): boolean {
  const t = line.trim();
  return t.length > 0 && t.length <= 60 && !/[.!?,;:]$/.test(t) && countWords(t) <= 10 && !headingMatch(t);
}

export interface PatternChapters {
  chapters: Chapter[];
  /** Number of heading lines found; below 2 the text is treated as one chapter. */
  headings: number;
}

/**
 * Splits text at standalone heading lines (blank line, or start, before; blank line, or end,
 * after). Needs at least two headings so one stray "1. Introduction" does not split a book.
 */
export function splitByPatterns(text: string, fallbackTitle: string): PatternChapters {
  const lines = text.split('\n');
  const isBlank = (i: number) => i < 0 || i >= lines.length || (lines[i] ?? '').trim() === '';
  const headingAt: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (isBlank(i - 1) && isBlank(i + 1) && headingMatch(lines[i] ?? '')) headingAt.push(i);
  }
  if (headingAt.length < 2) {
    return { chapters: [{ title: fallbackTitle, text: text.trim(), order: 0 }], headings: headingAt.length };
  }

  const chapters: Chapter[] = [];
  const preamble = lines.slice(0, headingAt[0]).join('\n').trim();
  if (countWords(preamble) >= FRONT_MATTER_MIN_WORDS) chapters.push({ title: FRONT_MATTER_TITLE, text: preamble, order: 0 });

  for (let h = 0; h < headingAt.length; h++) {
    const start = headingAt[h]!;
    const end = headingAt[h + 1] ?? lines.length;
    let title = (lines[start] ?? '').trim();
    let bodyStart = start + 1;
    // "CHAPTER I" / blank / "The Beginning" / blank: fold the name into the title.
    let next = bodyStart;
    while (next < end && isBlank(next)) next++;
    const bare = /^(?:chapter|chap\.|part|book)\s+\S+\.?$|^[IVXLCDM]+\.?$/i.test(title);
    if (bare && next < end && looksLikeSubtitle(lines[next] ?? '') && isBlank(next + 1)) {
      title = `${title.replace(/\.$/, '')}: ${(lines[next] ?? '').trim()}`;
      bodyStart = next + 1;
    }
    const body = lines.slice(bodyStart, end).join('\n').trim();
    chapters.push({ title, text: body, order: chapters.length });
  }
  // A "Part One" line directly followed by "Chapter 1" leaves an empty part; drop it.
  const kept = chapters.filter((c) => c.text.length > 0);
  return { chapters: kept.map((c, order) => ({ ...c, order })), headings: headingAt.length };
}
