/**
 * The flags of the two modes that are not registry commands: the console (no command) and the
 * demo. They live here, not in bin/, so `--help`, the argument parser and the shell completions
 * (src/cli/completion.ts) read the same specs.
 */
import type { FlagSpecs } from './args.js';

export const CONSOLE_FLAGS = {
  refresh: { type: 'number', default: 2, description: 'seconds between refreshes' },
  readOnly: { type: 'boolean', default: false, description: 'hide and refuse every mutation' },
  version: { type: 'boolean', shortFlag: 'v', default: false, description: 'print the version and the database schema version it understands' },
} as const satisfies FlagSpecs;

export const DEMO_FLAGS = {
  refresh: { type: 'number', default: 1, description: 'seconds between refreshes' },
  keep: { type: 'boolean', default: false, description: 'keep the temporary database (its path is printed)' },
  books: { type: 'number', default: 24, description: 'how many sample books to generate' },
  workers: { type: 'number', default: 2, description: 'workers to run in this process' },
} as const satisfies FlagSpecs;

export const DEMO_SUMMARY = 'a sample library, workers and the console on a temporary database';
