import type { FlagSpecs } from './args.js';
import type { CommandContext } from './context.js';

/** One one-shot command: its flags, help, and what it does. Returns the exit code. */
export interface Command {
  usage: string;
  summary: string;
  flags: FlagSpecs;
  run(ctx: CommandContext): Promise<number> | number;
}
