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
import { committed } from './notify.js';

const names = new Map<string, string>();
const writes = new Map<string, boolean>();

/** Whether a statement may write (FOR UPDATE counts too: a spare notice costs one refresh). */
function mayWrite(text: string): boolean {
  let w = writes.get(text);
  if (w === undefined) {
    w = /\b(INSERT|UPDATE|DELETE)\b/i.test(text);
    writes.set(text, w);
  }
  return w;
}

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
  return runStatement<R>(client, text, values, true);
}

/**
 * `run` for bookkeeping writes that change no book (heartbeats): not announced to listeners, so
 * a fleet's heartbeats do not wake idle workers and consoles (./notify.ts).
 */
export async function runQuiet<R extends pg.QueryResultRow = Record<string, unknown>>(
  client: Queryable,
  text: string,
  values: unknown[] = [],
): Promise<pg.QueryResult<R>> {
  return runStatement<R>(client, text, values, false);
}

async function runStatement<R extends pg.QueryResultRow>(client: Queryable, text: string, values: unknown[], announce: boolean): Promise<pg.QueryResult<R>> {
  const query = { name: nameOf(text), text, values };
  if (!(client instanceof pg.Pool)) return client.query<R>(query);
  // A statement on its own (autocommit) that lost a deadlock did nothing: run it again. (Inside
  // a transaction the whole transaction is retried instead, by withTx.)
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await client.query<R>(query);
      // Autocommit: the statement has committed; tell listeners (debounced, ./notify.ts).
      if (announce && mayWrite(text)) committed(client);
      return r;
    } catch (err) {
      if (!isRetryable(err) || attempt >= 5) throw err;
    }
  }
}
