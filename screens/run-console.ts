// Placeholder until the console lands: bin/ imports this lazily on the console path.
import type { Actor } from '../src/domain/actor.js';

export interface ConsoleOptions {
  dbPath: string;
  actor: Actor;
  refreshSeconds: number;
  readOnly: boolean;
}

export async function runConsole(_options: ConsoleOptions): Promise<number> {
  process.stderr.write('agentic-pipeline: the console is not built yet\n');
  return 1;
}
