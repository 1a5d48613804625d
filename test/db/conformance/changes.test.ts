/**
 * ChangeOps on every engine: the version a poller reads first moves once another connection
 * commits (SQLite: data_version; PostgreSQL: NOTIFY, debounced, on a dedicated listener
 * connection). On PostgreSQL the listener survives losing its connection: while it is down
 * every look counts as a change (the poller falls back to refreshing), and once it is back a
 * commit elsewhere is announced again. Waits are on the version moving, never fixed sleeps.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src/db/engine.js';
import { ENGINES, type Opened } from './engines.js';

async function until(fn: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(ENGINES)('$name engine: changes', (under) => {
  if (under.skipReason) {
    it.skip(under.skipReason, () => undefined);
    return;
  }
  let o: Opened;
  let e: Engine;
  beforeEach(async () => {
    o = await under.open();
    e = o.engine;
  });
  afterEach(async () => {
    await o.close();
  });

  /** Settled: two looks in a row agree (nothing pending, the listener connected). */
  const settled = async () => {
    await until(async () => (await e.changes.version()) === (await e.changes.version()), 'the version to settle');
    return e.changes.version();
  };

  it('moves when another connection commits, and stays put while nothing does', async () => {
    const other = await o.another();
    const v0 = await settled();
    expect(await e.changes.version()).toBe(v0);
    await other.pipelines.insert({ source_path: '/c/1.epub', actor: 'system:test' });
    await until(async () => (await e.changes.version()) !== v0, 'an insert elsewhere to move the version');
    const v1 = await settled();
    await other.audit.append({ action: 'QUEUED', actor: 'system:test' });
    await until(async () => (await e.changes.version()) !== v1, 'an audit append elsewhere to move the version');
  });

  if (under.name === 'postgres') {
    it('the listener reconnects after losing its connection; meanwhile every look is a change', async () => {
      const other = await o.another();
      await settled();
      const before = await e.changes.version();
      const killed = await o.rows(`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
        WHERE application_name = 'agentic-pipeline-listen' AND datname = current_database()`);
      expect(killed).toEqual([{ ok: true }]);
      await until(async () => (await e.changes.version()) > before, 'the lost connection to count as a change');
      // Down (or just back): the version moves on its own; it settles once listening again.
      const v = await settled();
      await other.pipelines.insert({ source_path: '/c/2.epub', actor: 'system:test' });
      await until(async () => (await e.changes.version()) !== v, 'an insert to be announced after the reconnect');
    });
  }
});
