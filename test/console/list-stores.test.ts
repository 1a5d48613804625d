/**
 * The Queue, Failed and Audit stores share one window slice (store/window-store.ts): a refresh
 * that reads the same rows again must leave every store object as it was and notify no one, so
 * React renders nothing and an idle console writes 0 bytes, on every list tab alike.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tempDbPath } from '../helpers/tmp.js';
import { ADMIN, buildFixture, type Fixture } from './fixtures.js';
import { createQueueStore, loadQueueWindow } from '../../store/queue.js';
import { createFailedStore, loadFailedWindow } from '../../store/failed.js';
import { createAuditStore, loadAuditWindow } from '../../store/audit.js';
import { AuditSource, QueueSource } from '../../store/sources.js';
import { FailedSource } from '../../store/failed-source.js';
import type { StoreApi } from 'zustand/vanilla';
import type { ListWindow, ListWindowState } from '../../store/window-store.js';

let fx: Fixture | undefined;
afterEach(() => {
  fx?.services.close();
  fx = undefined;
});

/** Applies a fresh read twice; the second, the same data read again, must not set anything. */
async function idleAfterFirstRead<Row, Id>(store: StoreApi<ListWindowState<Row, Id>>, read: () => Promise<ListWindow<Row, Id>>): Promise<void> {
  let sets = 0;
  store.subscribe(() => sets++);
  store.getState().applyWindow(await read());
  expect(sets).toBe(1);
  const rows = store.getState().rows;
  expect(rows.length, 'rows on screen').toBeGreaterThan(0);
  store.getState().applyWindow(await read());
  store.getState().setError(null);
  expect(sets).toBe(1);
  expect(store.getState().rows).toBe(rows);
  // A failed refresh is shown; the next good read clears it.
  store.getState().setError('database is locked');
  expect(sets).toBe(2);
  store.getState().applyWindow(await read());
  expect(sets).toBe(3);
  expect(store.getState().error).toBeNull();
}

describe('list stores: the same data read again sets nothing', () => {
  it('Queue, Failed and Audit alike', async () => {
    fx = buildFixture(tempDbPath(), { queued: 12, failed: 6 });
    const s = fx.services;
    // Audit entries to list: a person's priority changes.
    for (const id of fx.queuedIds.slice(0, 8)) s.actions.setPriority(id, 2, ADMIN);

    const queue = createQueueStore();
    const qs = new QueueSource(s);
    await idleAfterFirstRead(queue, () => loadQueueWindow(qs, queue.getState(), { kind: 'refresh' }, 5));

    const failed = createFailedStore();
    const fs = new FailedSource(s);
    await idleAfterFirstRead(failed, () => loadFailedWindow(fs, failed.getState(), { kind: 'refresh' }, 5));

    const audit = createAuditStore();
    const as = new AuditSource(s);
    await idleAfterFirstRead(audit, () => loadAuditWindow(as, audit.getState(), { kind: 'refresh' }, 5));
  });

  it('a filter set to what it already is sets nothing', () => {
    const queue = createQueueStore();
    const failed = createFailedStore();
    for (const store of [queue, failed]) {
      let sets = 0;
      store.subscribe(() => sets++);
      store.getState().setFilter('p3');
      store.getState().setFilter('p3');
      expect(sets).toBe(1);
      expect(store.getState().filter).toBe('p3');
    }
  });
});
