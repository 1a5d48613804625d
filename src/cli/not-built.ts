import type { Command } from './command.js';

/** A registered command whose implementation has not landed yet: says so and exits 1. */
export function notBuilt(name: string): Command {
  return {
    usage: name,
    summary: 'not built yet',
    flags: {},
    run: (ctx) => {
      ctx.out.warn(`agentic-pipeline ${name}: not built yet`);
      return 1;
    },
  };
}
