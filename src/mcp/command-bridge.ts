/**
 * Runs a one-shot CLI command inside the server and returns the document its `--json` prints,
 * so a tool answers with exactly the CLI's JSON (same builder, same validation, same errors)
 * instead of a second copy of it. The command gets the server's open services and actor; it
 * never writes to stdout (the protocol channel): JSON is captured, human lines are dropped
 * (json mode), notices go to stderr.
 */
import type { Command } from '../cli/command.js';
import type { CommandContext } from '../cli/context.js';
import { COMMANDS } from '../cli/registry.js';
import { parseArgs } from '../cli/args.js';
import type { Services } from '../services.js';
import type { Actor } from '../domain/actor.js';

/** Flag values by the command's flag names (camelCase); undefined values are left out. */
export type BridgeFlags = Record<string, string | number | boolean | string[] | undefined>;

function argvFor(flags: BridgeFlags): string[] {
  const argv: string[] = [];
  for (const [name, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    const flag = '--' + name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
    if (typeof value === 'boolean') {
      if (value) argv.push(flag);
      continue;
    }
    // `--flag=value`: a value starting with '-' is still the flag's value, never another flag.
    for (const one of Array.isArray(value) ? value : [value]) argv.push(`${flag}=${String(one)}`);
  }
  return argv;
}

export async function runCommandJson(
  name: keyof typeof COMMANDS & string,
  services: Services,
  actor: Actor,
  options: { input?: string[]; flags?: BridgeFlags } = {},
): Promise<Record<string, unknown>> {
  const command: Command = (await COMMANDS[name]!.load()).default;
  const parsed = parseArgs(argvFor(options.flags ?? {}), command.flags);
  let doc: unknown;
  const ctx: CommandContext = {
    args: { ...parsed, input: options.input ?? [] },
    json: true,
    actor,
    dbPath: services.dbPath,
    services: async () => services,
    out: {
      line: () => {},
      json: (d) => {
        doc = d;
      },
      warn: (text) => {
        process.stderr.write(text + '\n');
      },
    },
    env: process.env,
    stdout: process.stderr as NodeJS.WriteStream,
  };
  await command.run(ctx);
  if (doc === undefined || doc === null || typeof doc !== 'object') throw new Error(`${name} produced no JSON document`);
  return doc as Record<string, unknown>;
}
