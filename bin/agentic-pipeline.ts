#!/usr/bin/env node
/**
 * Entry point. Decides the mode before anything heavy loads: a one-shot command (plain output or
 * --json, never Ink), or — with no command, on a terminal — the console. React and Ink are only
 * imported on the console path.
 */
import fs from 'node:fs';
import { COMMANDS } from '../src/cli/registry.js';
import { formatFlagRows, formatHelp, formatHelpRow, GLOBAL_FLAGS, parseArgs } from '../src/cli/args.js';
import { CONSOLE_FLAGS, DEMO_FLAGS, DEMO_SUMMARY } from '../src/cli/entry-flags.js';
import { createContext } from '../src/cli/context.js';
import { InputError } from '../src/domain/errors.js';
import { DatabaseMissingError } from '../src/db/errors.js';
import { isPostgresLocation } from '../src/db/location.js';
import { didYouMean } from '../src/cli/suggest.js';
import { escapeControl } from '../src/text/escape.js';
import { applyNoColor } from './no-color.js';

// chalk (Ink's colours) ignores NO_COLOR; map it before any UI module is imported.
applyNoColor(process.env);

/** The environment variables the CLI reads, for --help (the flags' own help names the rest). */
const ENVIRONMENT: readonly [string, string][] = [
  ['AGENTIC_PIPELINE_DB', 'database file (or postgres:// URL) when --db is not given'],
  ['XDG_DATA_HOME', 'without --db or AGENTIC_PIPELINE_DB the database is $XDG_DATA_HOME/agentic-pipeline/pipeline.db (default ~/.local/share)'],
  ['AGENTIC_PIPELINE_CONFIG', 'config file when --config is not given (else agentic-pipeline.json beside the database)'],
  ['AGENTIC_PIPELINE_AUDIT_KEY', 'the audit chain key: new audit entries are HMAC-signed with it'],
  ['AGENTIC_PIPELINE_AUDIT_KEY_FILE', 'a file holding the audit chain key (used when AGENTIC_PIPELINE_AUDIT_KEY is unset)'],
  ['PGHOST, PGDATABASE, …', "the server and database when the location is just 'postgres:' (libpq's variables)"],
  ['AGENTIC_PIPELINE_LOG_LEVEL', 'worker log level when --log-level is not given'],
  ['NO_COLOR', 'set (to anything) for output without colours'],
  ['AGENTIC_PIPELINE_DEBUG', 'set to print the stack trace of an unexpected error'],
];

function usage(): string {
  const names = [...Object.entries(COMMANDS).map(([name, c]) => [name, c.summary] as const), ['demo', DEMO_SUMMARY] as const]
    .map(([name, summary]) => formatHelpRow(name, summary, 16))
    .join('\n');
  return `Usage: agentic-pipeline [command] [flags]

With no command on a terminal, opens the console; without a terminal, prints the
health summary.

Commands:
${names}

Global flags (every command):
${formatFlagRows(GLOBAL_FLAGS).join('\n')}

Console flags (no command):
${formatFlagRows(CONSOLE_FLAGS).join('\n')}

Environment:
${ENVIRONMENT.map(([name, what]) => formatHelpRow(name, what)).join('\n')}

Run 'agentic-pipeline <command> --help' for a command's flags, and
'agentic-pipeline completion bash|zsh|fish' for Tab completion.
`;
}

/** "0.1.0" and the schema it understands: a database newer than that is refused, not misread. */
async function printVersion(json: boolean): Promise<void> {
  const { createRequire } = await import('node:module');
  const { MIGRATIONS } = await import('../src/db/migrations.js');
  const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
  const schema = MIGRATIONS.length;
  process.stdout.write(json ? JSON.stringify({ version: pkg.version, schema_version: schema }) + '\n' : `agentic-pipeline ${pkg.version} (database schema version ${schema})\n`);
}

/** Flags before the command that take a value (`--db PATH`), so PATH is not taken for the command. */
const VALUE_FLAGS_BEFORE_COMMAND = new Set(['--db', '--actor', '--refresh', '--config']);

/**
 * Finds the command wherever it stands: `agentic-pipeline --db x.db status ID` and
 * `agentic-pipeline status ID --db x.db` mean the same. Returns the command (if any) and the
 * remaining arguments in their order.
 */
function splitCommand(argv: readonly string[]): { command: string | undefined; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a.startsWith('-')) {
      if (VALUE_FLAGS_BEFORE_COMMAND.has(a)) i++;
      continue;
    }
    return { command: a, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { command: undefined, rest: [...argv] };
}

async function main(rawArgv: string[]): Promise<number> {
  const { command: first, rest } = splitCommand(rawArgv);
  const argv = first === undefined ? rest : [first, ...rest];
  if (first === undefined) {
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(usage());
      return 0;
    }
    const args = parseArgs(argv, CONSOLE_FLAGS);
    if (args.flags.version) {
      await printVersion(Boolean(args.flags.json));
      return 0;
    }
    if (args.input.length > 0) throw new InputError(`unknown command '${args.input[0]}'${didYouMean(args.input[0]!, commandNames())} (see --help)`);
    const interactive = Boolean(process.stdout.isTTY) && Boolean(process.stdin.isTTY) && !args.flags.json;
    if (!interactive) {
      // Never render Ink into a pipe: print the health summary instead.
      const health = await COMMANDS.health!.load();
      return runCommand(health.default, argv.filter((a) => !a.startsWith('--refresh') && a !== '--read-only'));
    }
    const refresh = Number(args.flags.refresh);
    if (!(refresh > 0)) throw new InputError('--refresh must be a number of seconds above 0');
    prepareInteractiveUi();
    const { runConsole } = await loadConsole();
    const ctx = createContext(args);
    return runConsole({ dbPath: ctx.dbPath, actor: ctx.actor, refreshSeconds: refresh, readOnly: Boolean(args.flags.readOnly) });
  }
  if (first === 'demo') return demo(argv.slice(1));
  const entry = COMMANDS[first];
  if (!entry) {
    throw new InputError(`unknown command '${first}'${didYouMean(first, commandNames())} (run 'agentic-pipeline --help' for the list)`);
  }
  const command = (await entry.load()).default;
  return runCommand(command, argv.slice(1));
}

const commandNames = () => [...Object.keys(COMMANDS), 'demo'];

type ConsoleModule = typeof import('../screens/run-console.js');

/**
 * The console from its one-file bundle (dist/console, built by scripts/bundle-console.mjs: about
 * 300 ms faster to load), else from the plain modules.
 */
async function loadConsole(): Promise<ConsoleModule> {
  const bundled = new URL('../console/run-console.js', import.meta.url);
  if (fs.existsSync(bundled)) return (await import(bundled.href)) as ConsoleModule;
  return import('../screens/run-console.js');
}

/**
 * Environment for the interactive console, set before Ink and React are imported:
 * - React's development build re-checks every render (about 2x slower frames); users get production.
 * - Ink reads CI / CONTINUOUS_INTEGRATION at import and then draws only the last frame on exit.
 *   We only get here on a real terminal (stdin and stdout are TTYs), so a CI variable left in a
 *   shell (or set by a CI job that drives a terminal, like our tmux test) must not blank the screen.
 */
function prepareInteractiveUi(): void {
  process.env.NODE_ENV ??= 'production';
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
}

/** The demo lives outside the command registry: it opens the console, and src/ never imports Ink. */
async function demo(argv: string[]): Promise<number> {
  const args = parseArgs(argv, DEMO_FLAGS);
  if (args.flags.help) {
    process.stdout.write(formatHelp('demo [--keep] [--refresh S] [--books N] [--workers N]', 'A sample library, workers and the console on a temporary database.', DEMO_FLAGS));
    return 0;
  }
  // The demo always writes its own temporary SQLite file (it needs nothing installed); a server
  // named with --db would be silently ignored, so it is refused instead.
  const named = args.flags.db as string | undefined;
  if (named !== undefined && isPostgresLocation(named)) {
    throw new InputError('demo runs on a temporary SQLite file of its own and never on PostgreSQL: drop --db (try the console with --db postgres://… instead)');
  }
  if (!process.stdout.isTTY || !process.stdin.isTTY) throw new InputError('demo opens the console: run it in a terminal');
  const refresh = Number(args.flags.refresh);
  if (!(refresh > 0)) throw new InputError('--refresh must be a number of seconds above 0');
  prepareInteractiveUi();
  const { runDemo } = await import('../screens/run-demo.js');
  const ctx = createContext(args);
  ctx.close();
  return runDemo({
    actor: ctx.actor,
    refreshSeconds: refresh,
    keep: Boolean(args.flags.keep),
    books: Math.max(1, Math.floor(Number(args.flags.books))),
    workers: Math.max(1, Math.floor(Number(args.flags.workers))),
  });
}

async function runCommand(command: Awaited<ReturnType<(typeof COMMANDS)[string]['load']>>['default'], argv: string[]): Promise<number> {
  const args = parseArgs(argv, command.flags);
  if (args.flags.help) {
    process.stdout.write(formatHelp(command.usage, command.summary, command.flags));
    return 0;
  }
  // `agentic-pipeline list | head`: once the reader has gone, further writes fail with EPIPE,
  // emitted as an 'error' event that would crash with a stack trace. Nobody is reading any more,
  // so drop the rest of the output and let the command finish (its changes are already committed).
  // One-shot commands only: the console's terminal session handles its own stream errors.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  const ctx = createContext(args);
  try {
    return await command.run(ctx);
  } finally {
    ctx.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof InputError || err instanceof DatabaseMissingError) {
      // Escaped: a message may quote a path or value holding a newline or an escape sequence,
      // and an error is still one line that cannot act on the terminal.
      process.stderr.write(`agentic-pipeline: ${escapeControl(err.message)}\n`);
      process.exitCode = 2;
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`agentic-pipeline: ${escapeControl(message)}\n`);
    if (process.env.AGENTIC_PIPELINE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  },
);
