/**
 * Running a statement as a named prepared statement: the name is derived from the text, so each
 * pooled connection parses and plans a statement once and then only binds (the pg driver keeps
 * the names per connection). Every text here comes from a bounded set (static, or built from a
 * sorted list of patch columns), so the number of names stays small.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import type { Queryable } from './tx.js';
import { isRetryable } from './tx.js';

const names = new Map<string, string>();

function nameOf(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = 'ap_' + crypto.createHash('sha1').update(text).digest('hex').slice(0, 20);
    names.set(text, name);
  }
  return name;
}

export async function run<R extends pg.QueryResultRow = Record<string, unknown>>(
  client: Queryable,
  text: string,
  values: unknown[] = [],
): Promise<pg.QueryResult<R>> {
  const query = { name: nameOf(text), text, values };
  if (!(client instanceof pg.Pool)) return client.query<R>(query);
  // A statement on its own (autocommit) that lost a deadlock did nothing: run it again. (Inside
  // a transaction the whole transaction is retried instead, by withTx.)
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.query<R>(query);
    } catch (err) {
      if (!isRetryable(err) || attempt >= 5) throw err;
    }
  }
}
