import os from 'node:os';
import { InputError } from './errors.js';

/** Who did something: `human:<user>`, `auto:<rule>`, `system:<job>`, `mcp:<client>`. */
export type Actor = `${'human' | 'auto' | 'system' | 'mcp'}:${string}`;

const ACTOR_PATTERN = /^(human|auto|system|mcp):[^\s:][^\s]*$/;

export function parseActor(value: string): Actor {
  if (!ACTOR_PATTERN.test(value)) {
    throw new InputError(
      `invalid actor '${value}': expected human:<user>, auto:<rule>, system:<job> or mcp:<client>`,
    );
  }
  return value as Actor;
}

export function defaultHumanActor(env: NodeJS.ProcessEnv = process.env): Actor {
  let user = env.USER ?? env.LOGNAME ?? '';
  if (!user) {
    try {
      user = os.userInfo().username;
    } catch {
      user = 'unknown';
    }
  }
  return `human:${user.replace(/\s+/g, '_') || 'unknown'}`;
}
