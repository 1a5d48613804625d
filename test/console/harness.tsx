/** Mounts the whole console (real stores, real SQLite file) under ink-testing-library. */
import { afterEach, expect, vi } from 'vitest';
import { render } from 'ink-testing-library';
import { createServices, type Services } from '../../src/services.js';
import { createConsoleStores, type ConsoleStores } from '../../store/stores.js';
import { ConsoleController } from '../../screens/controller.js';
import { ConsoleApp } from '../../screens/App.js';
import type { TabId } from '../../screens/keymap.js';
import { tempDbPath } from '../helpers/tmp.js';
import { KEY_SEQUENCES, themed, waitForInputReady, type InkInstance, type KeyName } from '../helpers/ink.js';
import { ADMIN, buildFixture, type Fixture, type FixtureOptions } from './fixtures.js';

export interface Mounted {
  instance: InkInstance;
  controller: ConsoleController;
  stores: ConsoleStores;
  fx: Fixture;
  /** The services the console uses (read-only ones in read-only mode). */
  services: Services;
  dbPath: string;
  /** A second connection, as another process would be (its commits move data_version). */
  other(): Services;
}

export async function mountConsole(
  opts: { fixture?: FixtureOptions; readOnly?: boolean; tab?: TabId; ascii?: boolean; colour?: boolean } = {},
): Promise<Mounted> {
  const dbPath = tempDbPath();
  const fx = buildFixture(dbPath, opts.fixture ?? { queued: 40, pending: 6, stuck: 2 });
  const services = opts.readOnly ? createServices(dbPath, { readonly: true, clock: fx.now }) : fx.services;
  const stores = createConsoleStores(opts.tab ?? 'health');
  const controller = new ConsoleController({ services, stores, actor: ADMIN, readOnly: opts.readOnly ?? false, refreshMs: 1000 });
  const instance = render(
    themed(<ConsoleApp controller={controller} dbPath={dbPath} readOnly={opts.readOnly ?? false} />, {
      ascii: opts.ascii ?? false,
      colour: opts.colour ?? true,
    }),
  );
  await controller.poller.poll({ force: true });
  await waitForInputReady(instance);
  let second: Services | undefined;
  return {
    instance,
    controller,
    stores,
    fx,
    services,
    dbPath,
    other: () => (second ??= createServices(dbPath, { clock: fx.now })),
  };
}

export function unmount(m: Mounted): void {
  m.controller.poller.stop();
  m.instance.unmount();
  m.services.close();
  m.fx.services.close();
}

/** A test file's `mount`: mounts the console, and unmounts what the test mounted after each test. */
export function mountEachTest(): (...args: Parameters<typeof mountConsole>) => Promise<Mounted> {
  let mounted: Mounted | undefined;
  afterEach(() => {
    if (mounted) unmount(mounted);
    mounted = undefined;
  });
  return async (...args) => (mounted = await mountConsole(...args));
}

/**
 * Presses each key and waits until the console has handled it (its reads and writes done), so
 * a key that changes nothing on screen is proven handled by an event, not by a quiet moment.
 */
export async function pressHandled(m: Mounted, ...keys: (KeyName | (string & {}))[]): Promise<void> {
  for (const k of keys) {
    const before = m.controller.keysHandled;
    m.instance.stdin.write(k in KEY_SEQUENCES ? KEY_SEQUENCES[k as KeyName] : k);
    await vi.waitFor(() => expect(m.controller.keysHandled).toBeGreaterThan(before), { timeout: 3000, interval: 2 });
  }
}

/** Keymap key names → what `sendKeys` understands. */
export function sendableKey(name: string): string {
  const map: Record<string, string> = { return: 'enter', escape: 'esc', pageup: 'pgup', pagedown: 'pgdn' };
  return map[name] ?? name;
}
