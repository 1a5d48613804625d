/**
 * What the PostgreSQL windows share: positional parameters collected as a statement is built, a
 * book filter's terms as one `AND …` clause with the SQLite engine's exact matching rules, the
 * audit actor's glob as SQLite's GLOB reads it, and how a read is sent.
 *
 * Matching must be observably SQLite's (src/db/sqlite/window-sql.ts), which differs from
 * PostgreSQL's defaults in three ways handled here:
 * - SQLite's LIKE folds ASCII letters only ('É' never matches 'é'); PostgreSQL's LIKE folds
 *   nothing, and ILIKE folds by the collation's locale. ILIKE under the "C" collation folds
 *   A–Z only, whatever collation the database was created with.
 * - GLOB has no PostgreSQL operator: it becomes an anchored regular expression, `[…]` sets
 *   included.
 * - LIKE on a json column: PostgreSQL has none, so error_json is matched as its stored text
 *   (`json` keeps the text written, as SQLite's TEXT column does).
 */
import type pg from 'pg';
import type { BookTerm } from '../ops/windows.js';
import { likeSubstring } from '../sqlite/window-sql.js';
import { run } from './sql.js';

/** `$1`, `$2`, … in the order values are added. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * Sends a read. Unfiltered statements have a fixed text and run as named prepared statements
 * (./sql.ts); a filtered one's text follows the terms typed, which are not a bounded set, so it
 * is sent unnamed: the server plans it for its values (a LIKE pattern's selectivity included)
 * and no connection accumulates one prepared statement per filter shape.
 */
export async function read<R extends pg.QueryResultRow>(pool: pg.Pool, text: string, params: Params, filtered: boolean): Promise<R[]> {
  if (!filtered) return (await run<R>(pool, text, params.values)).rows;
  return (await pool.query<R>({ text, values: params.values })).rows;
}

/** SQLite's case-insensitive LIKE (ASCII letters only), with `\` as the escape character. */
function like(column: string, param: string): string {
  return `${column} ILIKE ${param} COLLATE "C" ESCAPE '\\'`;
}

/**
 * The terms as `AND …` ('' when there is none), with SQLite's semantics: a word is a substring
 * (`*`, `?` wildcards) of the path, `column` or the title, case-insensitive for ASCII; the others
 * exact. As in SQLite's builder, `state:`, `type:` and `id:` each take one parameter, so when a
 * kind is repeated its last value holds for every occurrence.
 */
export function bookTermsPg(terms: readonly BookTerm[], column: string, params: Params): string {
  const where: string[] = [];
  const last = (kind: 'state' | 'type' | 'idPrefix'): string | undefined => {
    let value: string | undefined;
    for (const t of terms) if (t.kind === kind) value = t.value;
    return value;
  };
  let state: string | undefined;
  let type: string | undefined;
  let id: [string, string] | undefined;
  for (const t of terms) {
    if (t.kind === 'text') {
      const p = params.add(likeSubstring(t.value));
      where.push(`(${like('source_path', p)} OR ${like(column, p)} OR ${like(`(profile_json ->> 'title')`, p)})`);
    } else if (t.kind === 'priority') {
      // SQLite compares any number (3.5, NaN, 1e300) and finds none unequal to an integer
      // column's value; PostgreSQL would refuse to bind them as an integer.
      where.push(Number.isSafeInteger(t.value) ? `priority = ${params.add(t.value)}::bigint` : 'FALSE');
    } else if (t.kind === 'state') {
      state ??= params.add(last('state'));
      where.push(`state = ${state}`);
    } else if (t.kind === 'type') {
      type ??= params.add(last('type'));
      where.push(`book_type = ${type}`);
    } else {
      const prefix = last('idPrefix')!;
      id ??= [params.add(prefix), params.add(prefix + 'g')];
      where.push(`id >= ${id[0]} AND id < ${id[1]}`);
    }
  }
  return where.length === 0 ? '' : `AND ${where.join(' AND ')}`;
}

/**
 * SQLite's GLOB as an anchored PostgreSQL regular expression (case-sensitive): `*` any run, `?`
 * one character, `[…]` a set (`[^…]` its complement, `a-z` a range, a `]` first is a member);
 * every other character stands for itself. A set left open matches nothing, as in SQLite.
 */
export function globToRegex(glob: string): string {
  const chars = [...glob];
  let out = '^';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      let j = i + 1;
      let negate = false;
      if (chars[j] === '^') {
        negate = true;
        j++;
      }
      const members: string[] = [];
      if (chars[j] === ']') {
        members.push(escapeInSet(']'));
        j++;
      }
      while (j < chars.length && chars[j] !== ']') {
        const from = chars[j]!;
        if (chars[j + 1] === '-' && j + 2 < chars.length && chars[j + 2] !== ']') {
          const to = chars[j + 2]!;
          // A reversed range holds nothing in SQLite; PostgreSQL would refuse it.
          if (from.codePointAt(0)! <= to.codePointAt(0)!) members.push(`${escapeInSet(from)}-${escapeInSet(to)}`);
          j += 3;
        } else {
          members.push(escapeInSet(from));
          j++;
        }
      }
      if (j >= chars.length) return '[^\\s\\S]'; // never closed: nothing matches
      if (members.length === 0) out += negate ? '[\\s\\S]' : '[^\\s\\S]';
      else out += `[${negate ? '^' : ''}${members.join('')}]`;
      i = j;
    } else out += c.replace(/[.+^$(){}|[\]\\*?]/g, '\\$&');
  }
  return out + '$';
}

function escapeInSet(c: string): string {
  return /[\]\\^\-[]/.test(c) ? `\\${c}` : c;
}
