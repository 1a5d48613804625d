/**
 * A book's priority: 1 is the most urgent, 10 the least. Checked wherever a priority enters the
 * system (flags, MCP arguments, batch operations), so the store never sees one outside the range.
 */
import { InputError } from './errors.js';
import { MAX_PRIORITY, MIN_PRIORITY } from './states.js';

export { DEFAULT_PRIORITY, MAX_PRIORITY, MIN_PRIORITY } from './states.js';

export function assertPriority(value: number, label = 'priority'): number {
  if (!Number.isInteger(value) || value < MIN_PRIORITY || value > MAX_PRIORITY) {
    throw new InputError(`${label} must be a whole number from ${MIN_PRIORITY} (most urgent) to ${MAX_PRIORITY}, got ${String(value)}`);
  }
  return value;
}
