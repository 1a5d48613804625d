/**
 * What the SQLite windows share: statements prepared once per SQL text (a filter's shape, not
 * its values, decides the text, so a session prepares a handful), and a book filter's terms as
 * one `AND …` clause with its parameters.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db.js';
import type { BookTerm } from '../ops/windows.js';

/** Distinct statement texts kept; past this the cache starts over (typing many filter shapes). */
const MAX_STATEMENTS = 256;

export type Prepare = (sql: string) => Statement;

export function statementCache(db: Db): Prepare {
  const cache = new Map<string, Statement>();
  return (sql) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      if (cache.size >= MAX_STATEMENTS) cache.clear();
      stmt = db.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
}

/** A typed word as a LIKE pattern (`ESCAPE '\'`): substring, `*` → any run, `?` → one character. */
export function likeSubstring(word: string): string {
  const escaped = word.replace(/[\\%_]/g, (c) => '\\' + c).replace(/\*/g, '%').replace(/\?/g, '_');
  return `%${escaped}%`;
}

export interface FilterSql {
  /** `AND …` ('' when there is no term). */
  readonly where: string;
  readonly params: Record<string, unknown>;
}

export interface TextMatch {
  /** The column a word matches besides the path and title (`state` on the Queue, `error_json` on Failed). */
  readonly column: string;
  /** The parameter name of the `n`th word or priority term. */
  readonly param: (kind: 'w' | 'p', n: number) => string;
}

/**
 * The terms in the order given; every term narrows the tab's index scan (the window stops at its
 * size, a count at its cap). `type:` and `id:` (a range over the primary key) come last, as the
 * console writes them.
 */
export function bookTermsSql(terms: readonly BookTerm[], text: TextMatch): FilterSql {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  let n = 0;
  for (const t of terms) {
    if (t.kind === 'text') {
      const p = text.param('w', n++);
      where.push(`(source_path LIKE @${p} ESCAPE '\\' OR ${text.column} LIKE @${p} ESCAPE '\\' OR json_extract(profile_json, '$.title') LIKE @${p} ESCAPE '\\')`);
      params[p] = likeSubstring(t.value);
    } else if (t.kind === 'priority') {
      const p = text.param('p', n++);
      where.push(`priority = @${p}`);
      params[p] = t.value;
    } else if (t.kind === 'state') {
      where.push('state = @f_state');
      params.f_state = t.value;
    } else if (t.kind === 'type') {
      where.push('book_type = @f_type');
      params.f_type = t.value;
    } else {
      where.push('id >= @f_id AND id < @f_id_end');
      params.f_id = t.value;
      params.f_id_end = t.value + 'g';
    }
  }
  return { where: where.length === 0 ? '' : `AND ${where.join(' AND ')}`, params };
}
