/** Ink `Key` objects for calling pure key handlers (`editLine`, `confirmStep`, `matchBinding`). */
import type { Key } from 'ink';
import { BLANK_KEY } from '../../components/key-chunks.js';

/** No flag set: the production splitter's blank key, so tests build keys the way the console does. */
export const NO_KEY: Key = BLANK_KEY;

/** A `Key` with the given flags set. */
export function key(flags: Partial<Key> = {}): Key {
  return { ...NO_KEY, ...flags };
}
