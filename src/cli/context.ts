/**
 * What a command runs with: parsed flags, the services (opened lazily so `--help` and usage errors
 * never touch the database), and output that keeps `--json` clean (JSON on stdout only).
 */
import type { Services } from '../services.js';
import { openServices, resolveDbPath } from '../services.js';
import type { Actor } from '../domain/actor.js';
import { parseActor } from '../domain/actor.js';
import { defaultHumanActor } from '../config/actor.js';
import type { ParsedArgs } from './args.js';

export interface Output {
  /** Human output line (suppressed with --json). */
  line(text?: string): void;
  /** The one JSON document (only with --json). */
  json(doc: unknown): void;
  /** Notices for the human on stderr (never on stdout). */
  warn(text: string): void;
}

export interface CommandContext {
  args: ParsedArgs;
  json: boolean;
  actor: Actor;
  dbPath: string;
  /**
   * Opens (and migrates) the database on first use; `readonly` for commands that only read. Only
   * `init` passes `create: true`: for every other command a missing file is a mistyped --db (or
   * a machine not set up yet) and an error, never a new empty database quietly taking the books
   * or being polled while the real queue waits.
   */
  services(options?: { readonly?: boolean; create?: boolean }): Promise<Services>;
  out: Output;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WriteStream;
}

export function createContext(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): CommandContext & { close(): void } {
  const json = Boolean(args.flags.json);
  const actor = args.flags.actor ? parseActor(String(args.flags.actor)) : defaultHumanActor(env);
  const dbPath = resolveDbPath(args.flags.db as string | undefined, env);
  let services: Promise<Services> | undefined;
  let opened: Services | undefined;
  return {
    args,
    json,
    actor,
    dbPath,
    env,
    stdout: process.stdout,
    services(options) {
      // A SQLite path or a postgres:// URL (openServices picks the engine).
      services ??= openServices(dbPath, {
        ...(options?.readonly ? { readonly: true } : {}),
        create: options?.create ?? false,
      }).then((s) => (opened = s));
      return services;
    },
    out: {
      line: (text = '') => {
        if (!json) process.stdout.write(text + '\n');
      },
      json: (doc) => {
        if (json) process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
      },
      warn: (text) => {
        process.stderr.write(text + '\n');
      },
    },
    close() {
      opened?.close();
    },
  };
}
