/**
 * Priorities: 1 is the most urgent, 10 the least (src/domain/states.ts holds the bounds). Every
 * interface that takes a priority from a person or a program checks it here, so the message
 * reads the same from the CLI, MCP and the console.
 */
import { InputError } from './errors.js';
import { MAX_PRIORITY, MIN_PRIORITY } from './states.js';

/** `value` if it is a whole number within the bounds; else an InputError naming `label`. */
export function assertPriority(value: number, label = 'priority'): number {
  if (!Number.isInteger(value) || value < MIN_PRIORITY || value > MAX_PRIORITY) {
    throw new InputError(`${label} must be a whole number from ${MIN_PRIORITY} (most urgent) to ${MAX_PRIORITY}, got ${String(value)}`);
  }
  return value;
}
