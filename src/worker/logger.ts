/**
 * Structured logs on stderr (stdout stays clean for --json and pipes): JSON lines, or
 * pino-pretty in single-line mode (one line per event) when stderr is a terminal.
 */
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type PinoPrettyModule from 'pino-pretty';

/** pino-pretty (and its dependencies) load only when a terminal is attached, not in every worker. */
function loadPinoPretty(): typeof PinoPrettyModule {
  return createRequire(import.meta.url)('pino-pretty') as typeof PinoPrettyModule;
}

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** Default: stderr is a TTY. */
  pretty?: boolean;
  /** Fields on every line (e.g. worker id). */
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.AGENTIC_PIPELINE_LOG_LEVEL ?? 'info';
  const pretty = options.pretty ?? Boolean(process.stderr.isTTY);
  const base = { pid: process.pid, ...(options.base ?? {}) };
  if (pretty) {
    const colorize = process.env.NO_COLOR === undefined || process.env.NO_COLOR === '';
    // One line per event (the fields after the message as one JSON object), not a line per
    // field: a person tails a worker, and ten lines for "book claimed" buries the next event.
    // The health summary's message already says its numbers in words, and a book is named by
    // its short id ahead of the message (the id prefix every command accepts).
    const stream = loadPinoPretty()({
      destination: 2,
      sync: true,
      colorize,
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,health,pipeline',
      messageFormat: (log, messageKey) =>
        typeof log.pipeline === 'string' ? `${log.pipeline.slice(0, 8)} ${String(log[messageKey])}` : String(log[messageKey]),
    });
    return pino({ level, base }, stream);
  }
  // Synchronous writes: a SIGKILLed worker has already written every line it logged.
  return pino({ level, base }, pino.destination({ fd: 2, sync: true }));
}

/** A logger that discards everything (the console's in-process demo workers). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
