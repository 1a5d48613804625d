import { InputError } from './errors.js';
import { escapeControl, hasControl } from './control-chars.js';

/** Who did something: `human:<user>`, `auto:<rule>`, `system:<job>`, `mcp:<client>`. */
export type Actor = `${'human' | 'auto' | 'system' | 'mcp'}:${string}`;

const ACTOR_PATTERN = /^(human|auto|system|mcp):[^\s:][^\s]*$/;

/** An actor is a name, not a paragraph: longer than this is a pasted mistake. */
const MAX_ACTOR_LENGTH = 200;

export function parseActor(value: string): Actor {
  // Control characters first: the actor is printed in every audit listing, where ESC]0;… would
  // retitle the reader's terminal; and the message shows the value escaped, so it stays one line.
  if (hasControl(value)) {
    throw new InputError(`invalid actor '${escapeControl(value)}': control characters are not allowed`);
  }
  if (value.length > MAX_ACTOR_LENGTH) {
    throw new InputError(`invalid actor: ${value.length} characters, at most ${MAX_ACTOR_LENGTH}`);
  }
  if (!ACTOR_PATTERN.test(value)) {
    throw new InputError(
      `invalid actor '${value}': expected human:<user>, auto:<rule>, system:<job> or mcp:<client>`,
    );
  }
  return value as Actor;
}

/**
 * The actor for a person known by a login name. The name comes from outside our control ($USER,
 * the passwd entry): whitespace and control characters in it must not reach the audit trail.
 * (Finding the name is src/config/actor.ts: the domain does no I/O.)
 */
export function humanActorFor(user: string): Actor {
  // eslint-disable-next-line no-control-regex
  return `human:${user.replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, '_') || 'unknown'}`;
}
