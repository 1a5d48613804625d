/** Ink `Key` objects for calling pure key handlers (`editLine`, `confirmStep`, `matchBinding`). */
import type { Key } from 'ink';

export const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/** A `Key` with the given flags set. */
export function key(flags: Partial<Key> = {}): Key {
  return { ...NO_KEY, ...flags };
}
