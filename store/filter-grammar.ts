/**
 * The one filter grammar every list tab reads after `/` (and its prompt shows): words separated
 * by spaces, all of which must match.
 *
 * - a bare word matches by substring, case-insensitively: the title, the file path and the
 *   state of a book (the Audit tab: the action); `*` and `?` inside it are wildcards, so a pasted
 *   glob such as `*\/batch2/*` means what it looks like;
 * - `key:value` matches one field exactly: `state:failed`, `type:fiction`, `p:3` (or `p3`),
 *   `id:3f2a` (an id prefix); the Audit tab has `actor:`, `action:` and `book:`.
 *
 * Pure: each tab parses this into the engine's filter terms (store/sources.ts,
 * store/failed-source.ts); the engine builds the indexed queries, with counts capped.
 */

export interface FilterWords {
  /** Bare words, as typed. */
  readonly words: readonly string[];
  /** `key:value` terms, key lower-cased; a repeated key keeps the last value. */
  readonly fields: Readonly<Record<string, string>>;
}

export function parseFilterWords(text: string): FilterWords {
  const words: string[] = [];
  const fields: Record<string, string> = {};
  for (const w of text.trim().split(/\s+/).filter((x) => x !== '')) {
    const m = /^([a-z]+):(.+)$/i.exec(w);
    if (m) fields[m[1]!.toLowerCase()] = m[2]!;
    else words.push(w);
  }
  return { words, fields };
}

/** What the filter prompt shows as its placeholder: the grammar in one line. */
export const FILTER_GRAMMAR_HINT = 'words match title, path, state; state:X type:X p:3 id:3f2a exact';
