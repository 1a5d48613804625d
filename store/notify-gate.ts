/**
 * Holds the console stores' change notifications while a poll reads, and delivers them together
 * when it ends. Why: a poll awaits between its feeds (the engine is async, #14), and React 19
 * renders each store change in its own microtask, so a poll that updated Health and then the
 * Queue drew the screen twice (measured on the 1M file: a Queue refresh went from 33–44 ms to
 * 61–68 ms). Delivered in one synchronous block, the changes are batched by React into one
 * render, as when the poll was synchronous. A listener hears each store once per release, with
 * the state before the first change it missed.
 */
import type { StoreApi } from 'zustand/vanilla';

type Listener = (state: never, previous: never) => void;

export interface NotifyGate {
  /** Notifications wait from here… (nested holds count) */
  hold(): void;
  /** …until the matching release, then all are delivered in one synchronous block. */
  release(): void;
  /** Routes `store`'s notifications through the gate; returns the store. */
  gate<S>(store: StoreApi<S>): StoreApi<S>;
}

export function createNotifyGate(): NotifyGate {
  let depth = 0;
  const pending = new Map<Listener, [unknown, unknown]>();
  return {
    hold: () => {
      depth++;
    },
    release: () => {
      if (depth === 0 || --depth > 0) return;
      const due = [...pending];
      pending.clear();
      for (const [listener, [state, previous]] of due) (listener as (s: unknown, p: unknown) => void)(state, previous);
    },
    gate<S>(store: StoreApi<S>): StoreApi<S> {
      const subscribe = store.subscribe.bind(store);
      store.subscribe = (listener) =>
        subscribe((state, previous) => {
          if (depth === 0) return listener(state, previous);
          const waiting = pending.get(listener as Listener);
          pending.set(listener as Listener, [state, waiting ? waiting[1] : previous]);
        });
      return store;
    },
  };
}
