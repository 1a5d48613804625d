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
import type { PgEngine } from '../../../src/db/postgres/engine.js';

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

  if (under.name === 'sqlite') {
    it('has no push: subscribers are never called, polling is the way', async () => {
      let calls = 0;
      const stop = e.changes.subscribe(() => calls++);
      const other = await o.another();
      await other.pipelines.insert({ source_path: '/c/1.epub', actor: 'system:test' });
      // The commit is visible to this connection's poll, and no call came with it.
      await until(async () => (await e.pipelines.list({ limit: 5 })).length === 1, 'the insert to be visible');
      expect(calls).toBe(0);
      stop();
    });
  }

  if (under.name === 'postgres') {
    it('subscribers hear a change committed elsewhere, and not a heartbeat', async () => {
      const other = await o.another();
      await other.queue.register('w-hb');
      let calls = 0;
      const stop = e.changes.subscribe(() => calls++);
      await settled();
      calls = 0;
      await other.pipelines.insert({ source_path: '/c/heard.epub', actor: 'system:test' });
      await until(async () => calls > 0, 'the insert elsewhere to reach the subscriber');

      stop();

      // Quiet heartbeats, seen by a plain listener that reads payloads. Notices arrive in commit
      // order and closing an engine flushes its pending one, so once a marker sent after the
      // close has arrived, any notice for the heartbeat would have arrived before it.
      const listener = await (e as PgEngine).pool.connect();
      const heard: string[] = [];
      listener.on('notification', (n) => heard.push(n.payload ?? ''));
      await listener.query('LISTEN agentic_pipeline_changes');
      const marker = async (name: string) => {
        await o.exec(`NOTIFY agentic_pipeline_changes, '${name}'`);
        await until(async () => heard.includes(name), `the ${name} notice`);
      };
      try {
        const registrar = await o.another();
        await registrar.queue.register('w-hb2');
        await registrar.close();
        await marker('before');
        expect(heard.slice(0, -1)).toContain(''); // registering is announced
        heard.length = 0;
        const beating = await o.another();
        await beating.queue.heartbeat('w-hb2', 30_000);
        await beating.close();
        await marker('after');
        expect(heard).toEqual(['after']);
      } finally {
        await listener.query('UNLISTEN *');
        listener.release();
      }
    });

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
