/**
 * The built-in offline book-type heuristic and the sampling that feeds any classifier. Kept free
 * of zod and child_process so a pool thread loads only this (see classifier.ts for the
 * classifier classes, the external-command classifier and the config schema).
 */
import type { BookType } from '../domain/states.js';
import { countWords } from './text.js';
import type { Classification, ClassifyInput, ExtractedBook } from './types.js';

/** Enough text to be representative, small enough to hand to an external model on stdin. */
export const DEFAULT_SAMPLE_CHARS = 12_000;

/**
 * Takes slices from the start, middle and end of the book: openings alone mislead (a tutorial's
 * preface reads like narrative; a novel's first page may be a map or epigraph).
 */
export function sampleText(book: Pick<ExtractedBook, 'chapters'>, maxChars = DEFAULT_SAMPLE_CHARS): string {
  const full = book.chapters.map((c) => c.text).join('\n\n');
  if (full.length <= maxChars) return full;
  const slices = 4;
  const size = Math.floor(maxChars / slices);
  const parts: string[] = [];
  for (let i = 0; i < slices; i++) {
    const start = Math.floor(((full.length - size) * i) / (slices - 1));
    parts.push(full.slice(start, start + size));
  }
  return parts.join('\n\n');
}

export function classifyInputFor(book: ExtractedBook, maxChars = DEFAULT_SAMPLE_CHARS): ClassifyInput {
  return { title: book.title, author: book.author, format: book.format, sample: sampleText(book, maxChars), metadata: book.metadata };
}

type ScoredType = Exclude<BookType, 'unknown'>;

interface Feature {
  label: string;
  pattern: RegExp;
  weight: number;
}

const kw = (label: string, pattern: RegExp, weight = 1): Feature => ({ label, pattern, weight });

/** Word-level signals; every pattern must be global. Weights reflect how specific a cue is. */
const FEATURES: Record<ScoredType, Feature[]> = {
  technical_tutorial: [
    kw('"install"', /\binstall(?:ed|ing|ation)?\b/g, 1.5),
    kw('package managers', /\b(?:npm|pip|yarn|cargo|brew|apt-get)\b/g, 1.5),
    kw('"step N"', /\bstep \d+\b/g, 1.2),
    kw('"let\'s"', /\blet['’]s\b/g, 0.8),
    kw('"you will"', /\byou(?: will|['’]ll)\b/g, 0.6),
    kw('"run the"', /\brun (?:the|this|it|your)\b/g, 1),
    // "shell" is left out: shell manuals say it on every line without teaching anything.
    kw('"terminal"', /\b(?:terminal|command line)\b/g, 0.6),
    kw('"first/next, ..."', /\b(?:first|next|now|then),? (?:we|you) (?:will|need|can|should|must)\b/g, 1.2),
    kw('"your package"', /\byour (?:package|program|project|code|source|system)\b/g, 0.8),
    kw('"create a file"', /\bcreate a (?:new )?(?:file|project|folder|directory)\b/g, 1.2),
    kw('"tutorial"', /\b(?:tutorial|getting started|hands-on)\b/g, 1.5),
  ],
  technical_reference: [
    kw('"parameters"', /\b(?:parameters?|arguments?)\s*:?/g, 1.2),
    kw('"returns"', /\breturns?\s*:/g, 1.5),
    kw('"default"', /\bdefaults?(?: value)?\s*:/g, 1.2),
    kw('"throws"', /\bthrows?\b/g, 1),
    kw('"see also"', /\bsee also\b/g, 1.5),
    kw('"deprecated"', /\b(?:deprecated|since version)\b/g, 1.5),
    kw('"syntax"', /\b(?:syntax|signature)\b/g, 1),
    kw('"type:"', /\btype\s*:/g, 1),
    kw('"method/property"', /\b(?:method|property|properties|constant)\b/g, 0.5),
    kw('"exit status"', /\b(?:exit|return) (?:status|value)\b/g, 1.5),
    kw('"if set"', /\bif (?:set|enabled|specified|unset|supplied|present|non-?zero)\b/g, 1.2),
    kw('"by default"', /\b(?:the default is|by default|is the default)\b/g, 1),
    kw('"options"', /\b(?:options?|builtins?|variables?)\b/g, 0.6),
    kw('"described in"', /\b(?:(?:is|are) described (?:in|below|above)|see (?:section|chapter|below|above)|refer to)\b/g, 1.2),
    kw('rules ("must", "should not")', /\b(?:must not|should not|must|is required|are required|required to)\b/g, 0.8),
  ],
  textbook: [
    kw('"exercise"', /\bexercises?\b/g, 1.5),
    kw('"review questions"', /\b(?:chapter review|review questions|check your understanding)\b/g, 2),
    kw('"learning objectives"', /\blearning objectives?\b/g, 2),
    kw('"key terms"', /\bkey terms\b/g, 1.5),
    kw('"definition N"', /\b(?:definition|theorem|lemma)\b/g, 1),
    kw('"example N.N"', /\b(?:example|figure|table|section) \d+\.\d+\b/g, 1.5),
    kw('"students"', /\bstudents?\b/g, 0.8),
    kw('"summary"', /\bsummary\b/g, 0.6),
  ],
  narrative_nonfiction: [
    kw('years', /\b(?:1[5-9]\d\d|20[0-2]\d)\b/g, 0.7),
    kw('"century"', /\b(?:century|centuries|decades?)\b/g, 1),
    kw('"war"', /\b(?:war|revolution|empire|government)\b/g, 0.6),
    kw('"born"', /\b(?:was born|grew up|died in)\b/g, 1),
    kw('"historians"', /\b(?:historians?|history|archives?|biograph\w*|memoir)\b/g, 1),
    kw('"according to"', /\baccording to\b/g, 0.8),
    kw('"letters"', /\b(?:letters?|diary|diaries)\b/g, 0.6),
  ],
  fiction: [
    kw('"once upon"', /\bonce upon a time\b/g, 3),
    kw('"she/he was"', /\b(?:she|he) (?:was|had|felt|thought|could not|would not|looked|replied)\b/g, 1.5),
    kw('forms of address', /\b(?:mr|mrs|miss|sir|lady|lord|captain|colonel)\.? [a-z]+\b/g, 1),
    kw('"said she"', /\b(?:said|cried|replied) (?:she|he|mr|mrs|miss)\b/g, 2),
    kw('speech verbs', /\b(?:said|asked|whispered|replied|shouted|murmured|cried)\b/g, 1.2),
    kw('"her/his eyes"', /\b(?:her|his|their) (?:eyes|voice|hand|heart|face)\b/g, 1),
    kw('"smiled"', /\b(?:smiled|laughed|sighed|nodded|frowned)\b/g, 1),
    kw('"suddenly"', /\b(?:suddenly|somewhere|silence)\b/g, 0.5),
  ],
  periodical: [
    kw('"issue"', /\bissues? (?:no\.?\s*)?\d+\b|\bin this issue\b/g, 2),
    kw('"volume"', /\b(?:volume|vol\.) \d+\b/g, 2),
    kw('"editor"', /\beditor(?:ial|s)?\b/g, 1.2),
    kw('"subscribe"', /\bsubscri(?:be|ption|bers?)\b/g, 1.5),
    kw('"magazine"', /\b(?:magazine|newsletter|quarterly|monthly|weekly|columnist)\b/g, 1.5),
    kw('"letters to the editor"', /\bletters to the editor\b/g, 2),
  ],
  research_collection: [
    kw('"abstract"', /\babstract\b/g, 2),
    kw('"et al."', /\bet al\b/g, 2),
    kw('"doi"', /\bdoi\b/g, 2),
    kw('"methods/results"', /\b(?:methods|methodology|results|findings|hypothes[ie]s)\b/g, 1),
    kw('"participants"', /\b(?:participants|sample size|respondents)\b/g, 1.2),
    kw('"significant"', /\b(?:statistically significant|significant|p\s*<\s*0?\.\d+)\b/g, 1),
    kw('"proceedings"', /\b(?:proceedings|journal|peer-reviewed|references)\b/g, 1),
    kw('numbered citations', /\[\d{1,3}(?:[,–-]\s*\d{1,3})*\]/g, 1),
  ],
  travel_guide: [
    kw('"itinerary"', /\bitinerar(?:y|ies)\b/g, 2),
    kw('"hotel"', /\b(?:hotels?|hostels?|guesthouses?|b&b)\b/g, 1.5),
    kw('"museum"', /\b(?:museums?|galleries|cathedral|old town|sights?)\b/g, 0.8),
    kw('"getting there"', /\b(?:getting there|getting around|where to stay|where to eat|best time to visit)\b/g, 2),
    kw('"opening hours"', /\b(?:opening hours|admission|open daily|tickets?)\b/g, 1.2),
    kw('transport', /\b(?:airport|ferry|train station|bus station|day trip)\b/g, 1),
    kw('prices', /[€£$]\s?\d+/g, 0.8),
    kw('"km"', /\b\d+\s?km\b/g, 1),
    kw('"restaurant"', /\b(?:restaurants?|cafés?|cafes?|beach(?:es)?)\b/g, 0.7),
  ],
};

const TITLE_HINTS: Record<ScoredType, RegExp> = {
  technical_tutorial: /\b(?:learn\w*|tutorial|hands-on|getting started|step by step|beginners?|cookbook|in action|build\w*|(?:maintainers?|users?|beginners?|developers?|new)['’]? guide|how ?to)\b/i,
  technical_reference: /\b(?:reference|handbook|manual|man ?page|api|specification|standards|documentation|pocket guide)\b/i,
  textbook: /\b(?:introduction to|principles of|fundamentals of|elements of|textbook|course in)\b/i,
  narrative_nonfiction: /\b(?:history|life of|biography|memoir|true story|story of|chronicle)\b/i,
  fiction: /\b(?:a novel|tales?|stories|saga)\b/i,
  periodical: /\b(?:magazine|quarterly|monthly|weekly|gazette|digest|newsletter|issue \d+|vol(?:ume|\.)\s*\d+)\b/i,
  research_collection: /\b(?:proceedings|studies in|papers|research|working papers|collected essays)\b/i,
  travel_guide: /\b(?:travel\w*|guide to|trips?|itinerar\w*|walking|explore|visiting|city guide)\b/i,
};

/** Lines that look like source code or shell commands, a strong tutorial/reference cue. */
const CODE_LINE =
  /^\s*(?:\$ \S|>>> |(?:function|const|let|var|def|class|import|from|return|public|private|fn|func|package)\b.*|.*[;{}]\s*$|.*=>.*|[a-z_][\w.]*\(.*\)\s*;?\s*$|```)/;

const QUOTE = /[“”"]/g;

/** "copyright (c) 1992, 1993, …": the notice up to the holder's name. */
const COPYRIGHT_NOTICE = /(?:copyright|\(c\)|©)[\s\S]{0,400}?(?:\d{4})(?:[\s,–-]+\d{4})*/g;

/** How much of the sample's start counts as the title page. */
const TITLE_PAGE_CHARS = 400;
/** A book naming its own kind ("Reference Manual", "a novel") is strong evidence. */
const TITLE_HINT_WEIGHT = 2.5;

/** Below this top score nothing is recognisable: `unknown`. */
const MIN_SCORE = 1.2;

function ratePer1000(count: number, words: number): number {
  return (count * 1000) / Math.max(words, 300);
}

export function classifyHeuristically(input: ClassifyInput): Classification {
  const text = input.sample;
  const lower = text.toLowerCase();
  const words = countWords(text);
  const scores = new Map<ScoredType, number>();
  const why = new Map<ScoredType, { amount: number; reason: string }[]>();
  const add = (type: ScoredType, amount: number, reason: string) => {
    if (amount <= 0) return;
    scores.set(type, (scores.get(type) ?? 0) + amount);
    const list = why.get(type) ?? [];
    list.push({ amount, reason });
    why.set(type, list);
  };

  // A copyright notice lists years ("Copyright 1992, 1993, … 2022") without telling a story.
  const withoutNotices = lower.replace(COPYRIGHT_NOTICE, ' ');
  for (const [type, features] of Object.entries(FEATURES) as [ScoredType, Feature[]][]) {
    for (const f of features) {
      const count = (f.label === 'years' ? withoutNotices : lower).match(f.pattern)?.length ?? 0;
      if (count === 0) continue;
      // log damping: one cue repeated fifty times must not outvote five different cues
      add(type, f.weight * Math.log1p(ratePer1000(count, words)), `${f.label} ×${count}`);
    }
  }

  const lines = text.split('\n').filter((l) => l.trim().length > 0);
  const codeLines = lines.filter((l) => CODE_LINE.test(l)).length;
  const codeShare = lines.length > 0 ? codeLines / lines.length : 0;
  if (codeLines >= 3) {
    const amount = 6 * Math.min(codeShare, 0.5) + Math.log1p(ratePer1000(codeLines, words));
    add('technical_tutorial', amount, `${codeLines} code-like lines (${Math.round(codeShare * 100)}% of lines)`);
    add('technical_reference', amount * 0.7, `${codeLines} code-like lines`);
  }

  const quotes = text.match(QUOTE)?.length ?? 0;
  const quoteRate = ratePer1000(quotes, words);
  if (quoteRate >= 4) {
    add('fiction', 1.5 * Math.log1p(quoteRate / 2), `dialogue quote density ${quoteRate.toFixed(1)} per 1000 words`);
  }

  const hintText = [input.title, input.metadata?.['subject'], input.metadata?.['description'], input.metadata?.['keywords']]
    .filter(Boolean)
    .join(' ');
  // A book says what it is on its title page: many PDFs carry no Title metadata ("bashref"), but
  // their first lines read "Bash Reference Manual".
  const titlePage = text.slice(0, TITLE_PAGE_CHARS);
  for (const [type, re] of Object.entries(TITLE_HINTS) as [ScoredType, RegExp][]) {
    const m = re.exec(hintText);
    const p = m ? null : re.exec(titlePage);
    if (m) add(type, TITLE_HINT_WEIGHT, `title/metadata mentions "${m[0]}"`);
    else if (p) add(type, TITLE_HINT_WEIGHT * 0.7, `title page mentions "${p[0]}"`);
  }

  const ranked = [...scores.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const [first, second] = ranked;
  if (!first || first[1] < MIN_SCORE) {
    return {
      bookType: 'unknown',
      confidence: 0.2,
      reasons: [first ? `weak signals only (best: ${first[0]} ${first[1].toFixed(1)})` : 'no genre signals in the sample', `${words} words sampled`],
    };
  }
  const top = first[1];
  const runnerUp = second?.[1] ?? 0;
  // Confidence grows with the strength of the evidence and with its margin over the runner-up.
  // Calibrated on the real-document corpus (test/fixtures/corpus): at >= 0.9 every book there
  // is right; close calls between kinds (a guide that is also a reference) stay well below.
  const strength = 1 - Math.exp(-top / 4);
  const margin = (top - runnerUp) / top;
  const confidence = Math.round(Math.min(0.97, Math.max(0.05, strength * (0.3 + 0.7 * margin))) * 100) / 100;
  // Strongest evidence first, so the reasons an operator sees are the ones that decided it.
  const reasons = [...(why.get(first[0]) ?? [])].sort((a, b) => b.amount - a.amount).slice(0, 6).map((w) => w.reason);
  if (second) reasons.push(`runner-up ${second[0]} (${second[1].toFixed(1)} vs ${top.toFixed(1)})`);
  if (words < 200) reasons.push(`short sample (${words} words)`);
  return { bookType: first[0], confidence, reasons };
}
