/**
 * Argument parsing for one-shot commands: meow does the parsing and help text; this wrapper turns
 * every usage mistake into one InputError line (meow itself prints several lines and exits).
 */
import meow from 'meow';
import wrapAnsi from 'wrap-ansi';
import { InputError } from '../domain/errors.js';
import { escapeControl, hasControl } from '../text/escape.js';
import { didYouMean } from './suggest.js';

export type FlagType = 'string' | 'boolean' | 'number';

export interface FlagSpec {
  type: FlagType;
  shortFlag?: string;
  isMultiple?: boolean;
  default?: string | boolean | number;
  description: string;
  /** A number flag that takes whole numbers only: '5.0' is refused, not read as 5. */
  integer?: boolean;
  /**
   * A path-like string (a file, a folder, a glob) may name a file whose name holds control
   * characters; every other string is text a person typed (a reason, an actor), where a control
   * character is a mistake or an attack on whoever later reads it in a terminal.
   */
  allowControl?: boolean;
  /** Longest accepted value (default MAX_FLAG_LENGTH). */
  maxLength?: number;
}

export type FlagSpecs = Record<string, FlagSpec>;

/** Longer than any path (PATH_MAX is 4096) or reason a person types: a pasted file, a runaway variable. */
export const MAX_FLAG_LENGTH = 4096;

/**
 * The most digits a number flag may have: every real value (priorities, limits, seconds,
 * confidences) fits, and nothing past 2^53 is silently rounded.
 */
const MAX_NUMBER_CHARS = 15;

/** Plain decimal only: no hex (0x5), exponents (1e2), Infinity, or blanks that Number() accepts. */
const DECIMAL = /^[+-]?(\d+(\.\d+)?|\.\d+)$/;
const INTEGER = /^[+-]?\d+$/;

/** Flags every command accepts. */
export const GLOBAL_FLAGS: FlagSpecs = {
  db: { type: 'string', allowControl: true, description: 'database file or postgres://user@host/db URL (else $AGENTIC_PIPELINE_DB, else $XDG_DATA_HOME/agentic-pipeline/pipeline.db)' },
  json: { type: 'boolean', default: false, description: 'print exactly one JSON document on stdout' },
  actor: { type: 'string', description: 'who is acting, e.g. human:alice (default human:$USER)' },
  help: { type: 'boolean', shortFlag: 'h', default: false, description: 'show help for this command' },
};

export interface ParsedArgs {
  input: string[];
  flags: Record<string, unknown>;
  /** The text given to each number flag, as typed (for checks Number() would blur, like '5.0'). */
  numberText?: Record<string, string | string[]>;
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/**
 * Reads the flags in argv before meow does, so every mistake is one line through our error path:
 * unknown flags (with the nearest known one), a value given to a boolean (`--json=yes`, which
 * meow would quietly read as true or drop), and a flag given twice that is not a list (which
 * meow would quietly reduce to one of the two).
 */
function checkFlagTokens(argv: readonly string[], all: FlagSpecs): void {
  const byFlag = new Map<string, string>();
  for (const [name, spec] of Object.entries(all)) {
    byFlag.set(kebab(name), name);
    if (spec.shortFlag) byFlag.set(spec.shortFlag, name);
  }
  const seen = new Set<string>();
  for (const arg of argv) {
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) continue;
    const [flagPart, ...valueParts] = arg.split('=');
    const typed = flagPart!.replace(/^--?/, '');
    const bare = typed.replace(/^no-/, '');
    const name = byFlag.get(typed) ?? byFlag.get(bare);
    if (name === undefined) {
      const known = [...byFlag.keys()].filter((k) => k.length > 1);
      throw new InputError(`unknown flag '${escapeControl(flagPart!)}'${didYouMean(bare, known, (k) => `--${k}`)}`);
    }
    const spec = all[name]!;
    if (spec.type === 'boolean' && valueParts.length > 0) {
      throw new InputError(`flag --${kebab(name)} takes no value (got '${escapeControl(arg)}'); give --${kebab(name)} alone`);
    }
    if (seen.has(name) && !spec.isMultiple) {
      throw new InputError(`flag --${kebab(name)} given more than once; give it once`);
    }
    seen.add(name);
  }
}

/** A string flag's value: not too long, and no control characters unless it names a path. */
function checkText(name: string, spec: FlagSpec, value: string): void {
  const max = spec.maxLength ?? MAX_FLAG_LENGTH;
  if (value.length > max) {
    throw new InputError(`flag --${kebab(name)} is too long (${value.length.toLocaleString('en-US')} characters; at most ${max.toLocaleString('en-US')})`);
  }
  if (!spec.allowControl && hasControl(value)) {
    throw new InputError(`flag --${kebab(name)} holds a control character ('${escapeControl(value).slice(0, 80)}'); type plain text`);
  }
}

function parseNumber(name: string, spec: FlagSpec, raw: unknown): number {
  const text = typeof raw === 'string' ? raw : String(raw ?? '');
  const flag = `--${kebab(name)}`;
  if (!DECIMAL.test(text)) throw new InputError(`flag ${flag} needs a number, got '${escapeControl(text.slice(0, 40))}'`);
  if (text.replace(/^[+-]/, '').length > MAX_NUMBER_CHARS) throw new InputError(`flag ${flag}: ${text.slice(0, 40)} is out of range`);
  if (spec.integer && !INTEGER.test(text)) throw new InputError(`${flag} must be a whole number, got '${text}'`);
  return Number(text);
}

/**
 * `--since -3d`, `--priority -1`: a value that starts with a dash would be read by meow as short
 * flags, and the flag would then be "missing its value". Bind such a value to its flag
 * (`--since=-3d`) so the value's own check gives the real reason ("must be positive").
 */
function bindDashValues(argv: readonly string[], all: FlagSpecs): string[] {
  const takesValue = new Set(
    Object.entries(all)
      .filter(([, spec]) => spec.type !== 'boolean')
      .map(([name]) => `--${kebab(name)}`),
  );
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (takesValue.has(arg) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
    if (arg === '--') {
      out.push(...argv.slice(i + 1));
      break;
    }
  }
  return out;
}

export function parseArgs(rawArgv: readonly string[], specs: FlagSpecs): ParsedArgs {
  const all: FlagSpecs = { ...GLOBAL_FLAGS, ...specs };
  const argv = bindDashValues(rawArgv, all);
  checkFlagTokens(argv, all);
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
  const numberText: Record<string, string | string[]> = {};
  for (const [name, spec] of Object.entries(all)) {
    const v = flags[name];
    if (spec.type === 'string' && v !== undefined) {
      for (const one of Array.isArray(v) ? v : [v]) {
        // An empty value is never "no filter": `--id "$ID"` with an empty variable must not widen a batch.
        if (one === '') throw new InputError(`flag --${kebab(name)} needs a value`);
        checkText(name, spec, String(one));
      }
      // Repeatable string flags are comma lists: "," or " , " names nothing, and an empty list
      // must never read as "no filter".
      const values = (Array.isArray(v) ? v : [v]).map(String);
      if (spec.isMultiple && values.length > 0 && values.every((one) => /^[\s,]*$/.test(one))) {
        throw new InputError(`flag --${kebab(name)} was given ${values.map((one) => `'${one}'`).join(' ')}, which names nothing; give at least one value`);
      }
    }
    if (spec.type === 'number') {
      if (v === undefined) {
        flags[name] = spec.default;
        continue;
      }
      numberText[name] = Array.isArray(v) ? v.map(String) : String(v);
      flags[name] = Array.isArray(v) ? v.map((one) => parseNumber(name, spec, one)) : parseNumber(name, spec, v);
    }
  }
  return { input: cli.input.map(String), flags, numberText };
}

/** Help text for a command from its spec. */
export function formatHelp(usage: string, summary: string, specs: FlagSpecs): string {
  const rows = formatFlagRows({ ...specs, ...GLOBAL_FLAGS });
  const text = reflow(summary).map((line) => wrapText('', line, HELP_WIDTH)).join('\n');
  return `Usage: agentic-pipeline ${usage}\n\n${text}\n\nFlags:\n${rows.join('\n')}\n`;
}

/** One help line per flag ("  --limit <n>   how many rows"), wrapped to the help width. */
export function formatFlagRows(specs: FlagSpecs): string[] {
  return Object.entries(specs).map(([name, s]) => {
    const flag = `--${kebab(name)}${s.shortFlag ? `, -${s.shortFlag}` : ''}${s.type === 'boolean' ? '' : ` <${s.type === 'number' ? 'n' : 'value'}>`}`;
    return formatHelpRow(flag, s.description);
  });
}

/**
 * "  NAME   description" with the descriptions in a column `nameWidth` wide (24: flags) and
 * continuation lines under it.
 */
export function formatHelpRow(name: string, description: string, nameWidth = 24): string {
  const indent = ' '.repeat(nameWidth + 3);
  // A name too long for its column gets a line of its own, so every description starts in the column.
  if (name.length > nameWidth) return `  ${name}\n${wrapText(indent, description, HELP_WIDTH, indent)}`;
  return wrapText(`  ${name.padEnd(nameWidth)} `, description, HELP_WIDTH, indent);
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

/**
 * `text` broken at spaces into lines no wider than `width` terminal columns (measured and wrapped
 * by wrap-ansi, as Ink wraps), the first line after `first` and the rest after `indent` (both as
 * wide as each other). A word longer than the line is left whole rather than split.
 */
function wrapText(first: string, text: string, width: number, indent = ''): string {
  const lines = wrapAnsi(text, Math.max(1, width - indent.length), { hard: false, trim: true }).split('\n');
  return lines.map((l, i) => (i === 0 ? first : indent) + l).join('\n');
}
