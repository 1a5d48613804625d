/**
 * BatchSelection → SQL for PostgreSQL, with SQLite's semantics (src/db/sqlite/batch-filter.ts):
 * preview and apply run the same WHERE clause, values are bound parameters, and states (validated
 * names) are literals so the planner can match the partial indexes written with them.
 *
 * The one operator PostgreSQL lacks is SQLite's GLOB. LIKE cannot express its `[…]` sets, and
 * SIMILAR TO has its own metacharacters, so a GLOB becomes an anchored regular expression (`~`,
 * case-sensitive like GLOB) built by `globToRegex`, which follows SQLite's patternCompare rule
 * by rule; test/db/conformance/batches.test.ts runs the same patterns on both engines.
 */
import type { PipelineState } from '../../domain/states.js';
import type { BatchSelection } from '../ops/batches.js';

/** `'a', 'b'` for an IN list of constant strings (our own enums only, never user input). */
export const sqlList = (values: readonly string[]): string => values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ');

/**
 * One code point as a regex character-entry escape. Inside and outside bracket expressions an
 * escape is always a literal (no metacharacter, no collating element, no locale question), and
 * ranges between two escapes compare code points, as SQLite's do.
 */
const codePoint = (cp: number): string => `\\U${cp.toString(16).padStart(8, '0')}`;

/**
 * SQLite's GLOB as a PostgreSQL regular expression (ARE), or null when the pattern can match
 * nothing at all. SQLite's rules (sqlite3 func.c, patternCompare):
 * - `*` any run of characters (newlines and `/` included), `?` exactly one character;
 * - `[…]` one character from the set, `[^…]` one not in it; a `]` right after `[` or `[^` is a
 *   member; `a-z` is a code-point range unless the `-` is first, last, or follows a range; a
 *   reversed range matches nothing;
 * - a `[` that is never closed makes the whole pattern match nothing;
 * - everything else, `\` included, is itself (GLOB has no escape character).
 */
export function globToRegex(glob: string): string | null {
  const cps = Array.from(glob, (ch) => ch.codePointAt(0)!);
  let out = '^';
  let i = 0;
  while (i < cps.length) {
    const c = cps[i++]!;
    if (c === 0x2a /* * */) out += '.*';
    else if (c === 0x3f /* ? */) out += '.';
    else if (c === 0x5b /* [ */) {
      let invert = false;
      if (cps[i] === 0x5e /* ^ */) {
        invert = true;
        i++;
      }
      const members: string[] = [];
      if (cps[i] === 0x5d /* ] */) {
        members.push(codePoint(0x5d));
        i++;
      }
      let prior = 0;
      let closed = false;
      while (i < cps.length) {
        const m = cps[i++]!;
        if (m === 0x5d) {
          closed = true;
          break;
        }
        const next = cps[i];
        if (m === 0x2d /* - */ && next !== undefined && next !== 0x5d && prior > 0) {
          i++;
          // The range's low end was pushed as a member already; the range adds the rest.
          if (next >= prior) members.push(`${codePoint(prior)}-${codePoint(next)}`);
          prior = 0;
        } else {
          members.push(codePoint(m));
          prior = m;
        }
      }
      if (!closed) return null;
      // Never empty: a `]` right after `[` is a member, and a range's low end is one.
      out += `[${invert ? '^' : ''}${members.join('')}]`;
    } else out += codePoint(c);
  }
  return out + '$';
}

export interface FilterSql {
  where: string;
  values: unknown[];
}

/**
 * WHERE clause (without the keyword) for a validated filter and state set; parameters are
 * numbered from `$1` (callers append theirs after `values`).
 */
export function filterToSql(filter: BatchSelection, states: readonly PipelineState[]): FilterSql {
  const where: string[] = [];
  const values: unknown[] = [];
  const arg = (v: unknown, cast = '') => {
    values.push(v);
    return `$${values.length}${cast}`;
  };
  where.push(states.length === 1 ? `state = ${sqlList(states)}` : `state IN (${sqlList(states)})`);
  if (filter.book_types) where.push(`book_type = ANY(${arg(filter.book_types, '::text[]')})`);
  if (filter.min_confidence !== undefined) where.push(`confidence >= ${arg(filter.min_confidence, '::float8')}`);
  if (filter.max_confidence !== undefined) where.push(`confidence <= ${arg(filter.max_confidence, '::float8')}`);
  if (filter.created_before !== undefined) where.push(`created_at < ${arg(filter.created_before, '::bigint')}`);
  if (filter.created_after !== undefined) where.push(`created_at >= ${arg(filter.created_after, '::bigint')}`);
  if (filter.path_glob !== undefined) {
    const re = globToRegex(filter.path_glob);
    where.push(re === null ? 'false' : `source_path ~ ${arg(re, '::text')}`);
  }
  if (filter.priorities) where.push(`priority = ANY(${arg(filter.priorities, '::int[]')})`);
  if (filter.attempts_below !== undefined) where.push(`attempts < ${arg(filter.attempts_below, '::int')}`);
  if (filter.ids) {
    // A full id is one primary-key probe; a prefix a key range ('g' sorts after every hex digit).
    const ors = filter.ids.map((id) => (id.length === 32 ? `id = ${arg(id)}` : `(id >= ${arg(id)} AND id < ${arg(id + 'g')})`));
    where.push(`(${ors.join(' OR ')})`);
  }
  return { where: where.join(' AND '), values };
}
