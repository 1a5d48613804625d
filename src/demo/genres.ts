/**
 * Shipped in src/ (not test/) because the demo writes real books on a user's machine; test/fixtures re-exports it.
 * Deterministic generated book text per genre. Each genre has its own vocabulary and sentence
 * shapes (dialogue for fiction, code for tutorials, prices and hours for travel guides…) so the
 * classifier has something real to tell apart; fill-ins vary per seed so no two chunks repeat.
 */
import type { BookType } from '../domain/states.js';

export type Rng = () => number;

/** mulberry32: tiny, fast, and the same sequence on every platform. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(r: Rng, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
const int = (r: Rng, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export interface FixtureChapter {
  title: string;
  /** Paragraphs separated by blank lines; a paragraph starting with ``` is a code listing. */
  text: string;
}

export interface FixtureBook {
  title: string;
  author: string;
  language?: string;
  chapters: FixtureChapter[];
}

export type Genre = Exclude<BookType, 'unknown'>;
export const GENRES: readonly Genre[] = [
  'fiction',
  'technical_tutorial',
  'travel_guide',
  'textbook',
  'research_collection',
  'periodical',
  'technical_reference',
  'narrative_nonfiction',
];

const FIRST = ['Mara', 'Elias', 'Tomas', 'Ines', 'Rook', 'Lena', 'Odile', 'Piet', 'Sana', 'Jonah', 'Wren', 'Ada'];
const LAST = ['Hale', 'Moreau', 'Okafor', 'Lindqvist', 'Castell', 'Brandt', 'Ferreira', 'Nakamura', 'Quinn', 'Varga'];
const person = (r: Rng) => `${pick(r, FIRST)} ${pick(r, LAST)}`;

type Sentence = (r: Rng) => string;

interface GenreSpec {
  titles: (r: Rng) => string;
  chapterTitles: readonly string[];
  sentences: readonly Sentence[];
  /** Optional extra paragraph (code listing, question list) inserted now and then. */
  special?: (r: Rng, chapter: number) => string;
}

const PLACES = ['the harbour', 'the old mill', 'the lighthouse', 'the orchard', 'the station', 'the frozen lake', 'the market square', 'the attic'];
const SPEECH = [
  'I never meant for any of this to happen',
  'We should have left before the storm',
  'Do you remember the night the lights went out',
  'Tell me the truth for once',
  'Nobody comes up here after dark',
  'You kept the letter all these years',
  'It is not too late to turn back',
  'Where were you when the bells rang',
];
const VERBS = ['said', 'whispered', 'asked', 'replied', 'murmured', 'shouted'];
const GESTURES = ['looking away', 'without smiling', 'her voice low', 'his hands shaking', 'almost laughing', 'after a long silence'];
const TIMES = ['evening', 'grey morning', 'lamp', 'winter', 'afternoon', 'candle'];

const fiction: GenreSpec = {
  titles: (r) => `${pick(r, ['The', 'A'])} ${pick(r, ['Lighthouse', 'Orchard', 'Winter', 'Harbour', 'Glass', 'Salt'])} ${pick(r, ['Keeper', 'Daughter', 'Letters', 'Road', 'House', 'Song'])}`,
  chapterTitles: ['The Storm', 'A Letter Arrives', 'Night at the Mill', 'The Stranger', 'What the River Knew', 'Lanterns', 'The Long Way Home', 'Morning'],
  sentences: [
    (r) => `"${pick(r, SPEECH)}," ${pick(r, FIRST)} ${pick(r, VERBS)}, ${pick(r, GESTURES)}.`,
    (r) => `"${pick(r, SPEECH)}?" ${pick(r, FIRST)} asked.`,
    (r) => `${pick(r, FIRST)} looked at ${pick(r, FIRST)} and smiled, her eyes bright in the ${pick(r, TIMES)} light.`,
    (r) => `The wind moved through ${pick(r, PLACES)} as ${pick(r, FIRST)} walked slowly toward the door.`,
    (r) => `${pick(r, FIRST)} felt her heart beat faster; somewhere beyond ${pick(r, PLACES)}, a dog barked twice.`,
    (r) => `Suddenly the silence broke, and ${pick(r, FIRST)} nodded as if she had expected it all along.`,
    (r) => `He sighed and turned his face to the window, where ${pick(r, PLACES)} lay under ${int(r, 2, 9)} inches of snow.`,
    (r) => `"Not tonight," ${pick(r, FIRST)} replied, and laughed for the first time in ${int(r, 3, 12)} days.`,
  ],
};

const TECH = ['Node.js', 'Python', 'Rust', 'Go', 'TypeScript'];
const PKG = ['express', 'requests', 'serde', 'fastify', 'pandas', 'zod', 'lodash'];
const FILES = ['app.js', 'main.py', 'server.ts', 'index.js', 'handler.go'];
const FN = ['loadUsers', 'parseConfig', 'sendReport', 'buildIndex', 'fetchOrders', 'renderPage', 'saveDraft'];

const technicalTutorial: GenreSpec = {
  titles: (r) => `Learn ${pick(r, TECH)} Step by Step: ${pick(r, ['Building Web APIs', 'Your First App', 'Automating Chores', 'Data Pipelines'])}`,
  chapterTitles: ['Getting Started', 'Installing the Tools', 'Your First Program', 'Working with Files', 'Handling Errors', 'Testing Your Code', 'Deploying the App', 'Next Steps'],
  sentences: [
    (r) => `In this chapter you will build a small ${pick(r, ['to-do service', 'weather client', 'file watcher', 'chat bot'])} with ${pick(r, TECH)}.`,
    (r) => `First, install the ${pick(r, PKG)} package by running the following command in your terminal.`,
    (r) => `Next, create a new file called ${pick(r, FILES)} and type the code shown below.`,
    (r) => `Let's run the program again to check that step ${int(r, 1, 9)} works as expected.`,
    (r) => `If you see an error, make sure you installed version ${int(r, 1, 5)}.${int(r, 0, 9)} and run the command again.`,
    (r) => `You'll notice that the function ${pick(r, FN)} returns a new array instead of changing the old one.`,
    (r) => `Step ${int(r, 1, 12)}: open the terminal in your project folder and run npm test.`,
    (r) => `Try changing the value on line ${int(r, 2, 30)} and run the program to see what happens.`,
  ],
  special: (r) => {
    const fn = pick(r, FN);
    return [
      '```',
      `$ npm install ${pick(r, PKG)}`,
      `function ${fn}(items) {`,
      `  const result = items.filter((x) => x.id > ${int(r, 1, 99)});`,
      `  console.log(result.length);`,
      '  return result;',
      '}',
      `${fn}(loadData('${pick(r, FILES)}'));`,
      '```',
    ].join('\n');
  },
};

const CITIES = ['Lisbon', 'Porto', 'Kraków', 'Valletta', 'Ljubljana', 'Split', 'Tallinn', 'Seville', 'Bruges'];
const SIGHTS = ['the cathedral', 'the castle museum', 'the old town walls', 'the fish market', 'the botanical garden', 'the harbour fort'];
const travelGuide: GenreSpec = {
  titles: (r) => `A Travel Guide to ${pick(r, CITIES)} and the ${pick(r, ['Coast', 'Islands', 'Old Town', 'Valley'])}`,
  chapterTitles: ['Planning Your Trip', 'Getting There', 'Where to Stay', 'The Old Town', 'Day Trips', 'Food and Drink', 'Beaches', 'A Three-Day Itinerary'],
  sentences: [
    (r) => `Getting there: the airport is ${int(r, 5, 40)} km from the centre, and the airport bus costs €${int(r, 2, 9)}.`,
    (r) => `Hotel ${pick(r, LAST)} near ${pick(r, SIGHTS)} has doubles from €${int(r, 60, 190)} a night, breakfast included.`,
    (r) => `Opening hours for ${pick(r, SIGHTS)} are 9am to ${int(r, 5, 8)}pm daily; admission is €${int(r, 4, 18)}.`,
    (r) => `On day ${int(r, 1, 3)} of the itinerary, take the morning ferry to ${pick(r, CITIES)} and walk back along the beach.`,
    (r) => `The best time to visit is ${pick(r, ['May', 'June', 'September', 'October'])}, when the hotels are cheaper and the museums are quiet.`,
    (r) => `Budget travellers should try the hostel by the train station, where dorm beds start at €${int(r, 15, 35)}.`,
    (r) => `For a day trip, the bus from ${pick(r, CITIES)} takes ${int(r, 40, 120)} minutes and tickets are sold at the kiosk.`,
    (r) => `Where to eat: the restaurants around ${pick(r, SIGHTS)} serve grilled fish for about €${int(r, 12, 28)}.`,
  ],
};

const CONCEPTS = ['photosynthesis', 'supply and demand', 'a linear function', 'plate tectonics', 'the nervous system', 'compound interest'];
const textbook: GenreSpec = {
  titles: (r) => `Introduction to ${pick(r, ['Biology', 'Economics', 'Algebra', 'Earth Science', 'Physiology'])}, ${pick(r, ['Second', 'Third', 'Fourth'])} Edition`,
  chapterTitles: ['Foundations', 'Measurement and Models', 'Systems and Cycles', 'Energy', 'Change over Time', 'Applications', 'Review of Key Ideas', 'Looking Ahead'],
  sentences: [
    (r) => `Learning objectives: after this chapter, students should be able to explain ${pick(r, CONCEPTS)}.`,
    (r) => `Definition ${int(r, 1, 9)}.${int(r, 1, 9)}: ${cap(pick(r, CONCEPTS))} is a process that can be measured and predicted.`,
    (r) => `Example ${int(r, 1, 9)}.${int(r, 1, 9)} shows how ${pick(r, CONCEPTS)} applies to an everyday situation.`,
    (r) => `Figure ${int(r, 1, 9)}.${int(r, 1, 9)} compares ${pick(r, CONCEPTS)} with ${pick(r, CONCEPTS)} side by side.`,
    (r) => `Students often confuse ${pick(r, CONCEPTS)} with ${pick(r, CONCEPTS)}, so read Section ${int(r, 1, 9)}.${int(r, 1, 9)} carefully.`,
    (r) => `Key terms in this section include ${pick(r, CONCEPTS)}, variable and rate of change.`,
    (r) => `Check your understanding: how would ${pick(r, CONCEPTS)} change if the rate doubled?`,
  ],
  special: (r, ch) =>
    `Chapter review questions: ${[1, 2, 3].map((q) => `${q}) Explain ${pick(r, CONCEPTS)} in your own words (exercise ${ch + 1}.${q}).`).join(' ')}`,
};

const FIELDS = ['sleep quality', 'urban heat islands', 'reading fluency', 'soil microbes', 'remote work', 'bird migration'];
const researchCollection: GenreSpec = {
  titles: (r) => `Proceedings of the ${pick(r, ['Northern', 'Coastal', 'International'])} Workshop on ${cap(pick(r, FIELDS))}`,
  chapterTitles: ['Effects of Light on Sleep', 'Measuring Heat in Cities', 'A Survey of Readers', 'Microbes and Yield', 'Work from Home', 'Tracking Migration', 'Methods Compared', 'Open Problems'],
  sentences: [
    (r) => `Abstract: we study ${pick(r, FIELDS)} in a sample of ${int(r, 40, 900)} participants over ${int(r, 2, 24)} months.`,
    (r) => `${pick(r, LAST)} et al. (${int(r, 1998, 2023)}) reported a similar effect on ${pick(r, FIELDS)} [${int(r, 1, 40)}].`,
    (r) => `Methods: participants were assigned at random, and results were analysed with a mixed model.`,
    (r) => `Results: the effect on ${pick(r, FIELDS)} was statistically significant (p < 0.0${int(r, 1, 5)}).`,
    (r) => `Our hypothesis was that ${pick(r, FIELDS)} depends on ${pick(r, FIELDS)}, as earlier findings suggest [${int(r, 1, 40)}, ${int(r, 41, 80)}].`,
    (r) => `The data are available at doi:10.${int(r, 1000, 9999)}/ws.${int(r, 100, 999)} under an open licence.`,
    (r) => `In conclusion, further studies with larger samples are needed, as noted by ${pick(r, LAST)} et al.`,
  ],
};

const MONTHS = ['January', 'March', 'May', 'July', 'September', 'November'];
const periodical: GenreSpec = {
  titles: (r) => `The ${pick(r, ['Harbour', 'Garden', 'Cycling', 'Kitchen'])} Monthly, Volume ${int(r, 3, 40)}, Issue ${int(r, 1, 12)}`,
  chapterTitles: ['From the Editor', 'Letters to the Editor', 'In This Issue', 'Feature: The Long Ride', 'Our Columnist Writes', 'Readers Ask', 'Events Calendar', 'Subscriptions'],
  sentences: [
    (r) => `In this issue, our editors look back at ${int(r, 5, 30)} years of the magazine and its readers.`,
    (r) => `Volume ${int(r, 3, 40)}, Issue ${int(r, 1, 12)}, ${pick(r, MONTHS)} ${int(r, 1995, 2024)}: letters to the editor are printed on page ${int(r, 2, 9)}.`,
    (r) => `Subscribe today and receive ${int(r, 6, 12)} monthly issues for the price of ${int(r, 4, 9)}.`,
    (r) => `Our columnist ${person(r)} writes this month about the new cycle lanes and the spring fair.`,
    (r) => `A reader from ${pick(r, CITIES)} writes to the editor that last month's feature was the best this year.`,
    (r) => `Subscribers can read the full archive of every issue online from ${pick(r, MONTHS)}.`,
    (r) => `Next issue: the weekly market, a new crossword, and the editor's picks for ${pick(r, MONTHS)}.`,
  ],
};

const API = ['createClient', 'readStream', 'setTimeout', 'parseUrl', 'openDatabase', 'hashPassword', 'formatDate'];
const technicalReference: GenreSpec = {
  titles: (r) => `The ${pick(r, ['Storage', 'Network', 'Crypto', 'Date'])} API Reference Manual`,
  chapterTitles: ['Client Functions', 'Stream Methods', 'Configuration Options', 'Error Codes', 'Constants', 'Deprecated Interfaces', 'Types', 'Index of Properties'],
  sentences: [
    (r) => `Syntax: ${pick(r, API)}(options, callback) returns a handle that must be closed.`,
    (r) => `Parameters: options (object) is required; timeout (number) is optional. Default: ${int(r, 100, 5000)}.`,
    (r) => `Returns: a Promise that resolves to ${pick(r, ['a Buffer', 'a string', 'an object', 'undefined'])}.`,
    (r) => `Throws: TypeError if the argument ${pick(r, ['path', 'url', 'key', 'size'])} is not a string.`,
    (r) => `See also: ${pick(r, API)}() and the property maxRetries.`,
    (r) => `Deprecated since version ${int(r, 2, 9)}.${int(r, 0, 9)}; use ${pick(r, API)}() instead.`,
    (r) => `Type: ${pick(r, ['string', 'number', 'boolean', 'object'])}. Default: ${pick(r, ['false', 'null', '0', '"utf8"'])}.`,
  ],
  special: (r) => ['```', `const handle = ${pick(r, API)}({ timeout: ${int(r, 100, 900)} });`, 'handle.close();', '```'].join('\n'),
};

const narrativeNonfiction: GenreSpec = {
  titles: (r) => `The Story of ${pick(r, CITIES)}: A History of ${pick(r, ['the Port', 'Two Families', 'the Salt Trade', 'the Railway'])}`,
  chapterTitles: ['Beginnings', 'The Merchant Years', 'War Comes to the Coast', 'Exile', 'The New Century', 'Rebuilding', 'Memory', 'Afterword'],
  sentences: [
    (r) => `In ${int(r, 1780, 1950)}, ${person(r)} left ${pick(r, CITIES)} for ${pick(r, CITIES)}, a decision that shaped the rest of the century.`,
    (r) => `According to letters kept in the city archives, the family lost everything during the war of ${int(r, 1800, 1945)}.`,
    (r) => `${person(r)} was born in ${int(r, 1760, 1930)} in a village a day's ride from ${pick(r, CITIES)}.`,
    (r) => `Historians still disagree about why the government closed the port in ${int(r, 1820, 1960)}.`,
    (r) => `By ${int(r, 1850, 1970)}, the railway had changed the town more than any revolution before it.`,
    (r) => `Her diary, rediscovered decades later, describes the winter of ${int(r, 1840, 1950)} in plain and careful words.`,
    (r) => `Over the following decades the empire's trade moved north, and the old merchant houses emptied one by one.`,
  ],
};

export const GENRE_SPECS: Record<Genre, GenreSpec> = {
  fiction,
  technical_tutorial: technicalTutorial,
  travel_guide: travelGuide,
  textbook,
  research_collection: researchCollection,
  periodical,
  technical_reference: technicalReference,
  narrative_nonfiction: narrativeNonfiction,
};

export interface GenerateOptions {
  chapters?: number;
  wordsPerChapter?: number;
}

/** A whole book of the genre, deterministic for a given rng state. */
export function generateBook(genre: Genre, r: Rng, options: GenerateOptions = {}): FixtureBook {
  const spec = GENRE_SPECS[genre];
  const chapterCount = options.chapters ?? 4;
  const target = options.wordsPerChapter ?? 300;
  const chapters: FixtureChapter[] = [];
  for (let c = 0; c < chapterCount; c++) {
    const paragraphs: string[] = [];
    if (genre === 'fiction' && c === 0) paragraphs.push(`Once upon a time, in a town by ${pick(r, PLACES)}, there lived a keeper named ${pick(r, FIRST)}.`);
    let words = 0;
    while (words < target) {
      const sentences: string[] = [];
      const n = int(r, 3, 5);
      for (let s = 0; s < n; s++) sentences.push(pick(r, spec.sentences)(r));
      const para = sentences.join(' ');
      paragraphs.push(para);
      words += para.split(/\s+/).length;
      if (spec.special && r() < 0.35) {
        const extra = spec.special(r, c);
        paragraphs.push(extra);
        words += extra.split(/\s+/).length;
      }
    }
    const base = spec.chapterTitles[c % spec.chapterTitles.length]!;
    const title = c < spec.chapterTitles.length ? base : `${base} ${Math.floor(c / spec.chapterTitles.length) + 1}`;
    chapters.push({ title, text: paragraphs.join('\n\n') });
  }
  return { title: spec.titles(r), author: person(r), language: 'en', chapters };
}
