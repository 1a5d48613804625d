/**
 * Argument parsing for one-shot commands: meow does the parsing and help text; this wrapper turns
 * every usage mistake into one InputError line (meow itself prints several lines and exits).
 */
import meow from 'meow';
import { InputError } from '../domain/errors.js';

export type FlagType = 'string' | 'boolean' | 'number';

export interface FlagSpec {
  type: FlagType;
  shortFlag?: string;
  isMultiple?: boolean;
  default?: string | boolean | number;
  description: string;
}

export type FlagSpecs = Record<string, FlagSpec>;

/** Flags every command accepts. */
export const GLOBAL_FLAGS: FlagSpecs = {
  db: { type: 'string', description: 'database file (else $AGENTIC_PIPELINE_DB, else $XDG_DATA_HOME/agentic-pipeline/pipeline.db)' },
  json: { type: 'boolean', default: false, description: 'print exactly one JSON document on stdout' },
  actor: { type: 'string', description: 'who is acting, e.g. human:alice (default human:$USER)' },
  help: { type: 'boolean', shortFlag: 'h', default: false, description: 'show help for this command' },
};

export interface ParsedArgs {
  input: string[];
  flags: Record<string, unknown>;
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

export function parseArgs(argv: readonly string[], specs: FlagSpecs): ParsedArgs {
  const all: FlagSpecs = { ...GLOBAL_FLAGS, ...specs };
  const known = new Set<string>();
  for (const [name, spec] of Object.entries(all)) {
    known.add(kebab(name));
    if (spec.shortFlag) known.add(spec.shortFlag);
  }
  // Our own unknown-flag check, so the error is one line and exits through our path.
  for (const arg of argv) {
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) continue;
    const name = arg.replace(/^--?/, '').split('=')[0]!.replace(/^no-/, '');
    if (!known.has(name)) throw new InputError(`unknown flag '${arg.split('=')[0]}'`);
  }
  const meowFlags: Record<string, Record<string, unknown>> = {};
  for (const [name, spec] of Object.entries(all)) {
    // Numbers are parsed as strings and checked here, so "--priority abc" is a clear error.
    meowFlags[name] = {
      type: spec.type === 'number' ? 'string' : spec.type,
      ...(spec.shortFlag ? { shortFlag: spec.shortFlag } : {}),
      ...(spec.isMultiple ? { isMultiple: true } : {}),
      ...(spec.default !== undefined && spec.type !== 'number' ? { default: spec.default } : {}),
    };
  }
  const cli = meow({
    importMeta: import.meta,
    argv: [...argv],
    flags: meowFlags as never,
    autoHelp: false,
    autoVersion: false,
    allowUnknownFlags: true,
    booleanDefault: undefined,
  });
  const flags: Record<string, unknown> = { ...(cli.flags as Record<string, unknown>) };
  for (const [name, spec] of Object.entries(all)) {
    const v = flags[name];
    if (spec.type === 'string' && v === '' ) {
      throw new InputError(`flag --${kebab(name)} needs a value`);
    }
    if (spec.type === 'number') {
      if (v === undefined) {
        flags[name] = spec.default;
        continue;
      }
      const parse = (raw: unknown): number => {
        const n = Number(raw);
        if (raw === '' || raw === undefined || !Number.isFinite(n)) {
          throw new InputError(`flag --${kebab(name)} needs a number, got '${String(raw ?? '')}'`);
        }
        return n;
      };
      flags[name] = Array.isArray(v) ? v.map(parse) : parse(v);
    }
  }
  return { input: cli.input.map(String), flags };
}

/** Help text for a command from its spec. */
export function formatHelp(usage: string, summary: string, specs: FlagSpecs): string {
  const rows = Object.entries({ ...specs, ...GLOBAL_FLAGS }).map(([name, s]) => {
    const flag = `--${kebab(name)}${s.shortFlag ? `, -${s.shortFlag}` : ''}${s.type === 'boolean' ? '' : ` <${s.type === 'number' ? 'n' : 'value'}>`}`;
    return wrapText(`  ${flag.padEnd(24)} ${s.description}`, HELP_WIDTH, ' '.repeat(27));
  });
  const text = reflow(summary).map((line) => wrapText(line, HELP_WIDTH, '')).join('\n');
  return `Usage: agentic-pipeline ${usage}\n\n${text}\n\nFlags:\n${rows.join('\n')}\n`;
}

/** Help is read on 80-column terminals over SSH; a line the terminal wraps loses the flag column. */
const HELP_WIDTH = 80;

/**
 * Summaries are hand-wrapped in the source at whatever width; rejoin their lines into sentences
 * (a line ending in '.' or ':' ends one) so they can be wrapped to the terminal again.
 */
function reflow(text: string): string[] {
  const lines: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const last = lines[lines.length - 1];
    if (last !== undefined && line !== '' && last !== '' && !/[.:]$/.test(last)) lines[lines.length - 1] = `${last} ${line}`;
    else lines.push(line);
  }
  return lines;
}

/** Breaks `line` at spaces so no line exceeds `width`; continuation lines start with `indent`. */
function wrapText(line: string, width: number, indent: string): string {
  const out: string[] = [];
  let rest = line;
  while (rest.length > width) {
    const cut = rest.lastIndexOf(' ', width);
    if (cut <= indent.length) break; // one word longer than the line: leave it whole
    out.push(rest.slice(0, cut).trimEnd());
    rest = indent + rest.slice(cut + 1).trimStart();
  }
  out.push(rest);
  return out.join('\n');
}
