/**
 * Points in time typed by a person: an ISO date (2024-05-01, 2024-05-01T10:00:00Z) or an age
 * before now (30m, 12h, 7d, 2w). Strict, because a lenient reading is a wrong filter: Date.parse
 * reads '1' as the year 2001 and rolls 2024-02-30 over to 1 March, and either would quietly widen
 * or empty a batch or an audit query.
 */
import { InputError } from './errors.js';
import { escapeControl } from './control-chars.js';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** Further back than this is a typo (1000000d), not a query anyone means. */
export const MAX_AGE_MS = 100 * 365 * UNIT_MS.d;

const AGE = /^([+-]?)(\d+(?:\.\d+)?)\s*([smhdw])$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

const HINT = 'use an ISO date (2024-05-01) or an age like 7d, 12h, 30m';

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Milliseconds since the epoch for `value`, or an InputError naming `flag`. */
export function parseWhen(value: string, now: number, flag: string): number {
  const text = value.trim();
  const shown = escapeControl(value).slice(0, 60);
  const bad = (why: string) => new InputError(`invalid ${flag} '${shown}': ${why}`);
  const age = AGE.exec(text);
  if (age) {
    const amount = Number(age[2]);
    if (age[1] === '-' || amount <= 0) throw bad('an age must be positive');
    const ms = amount * UNIT_MS[age[3]!.toLowerCase() as keyof typeof UNIT_MS];
    if (ms > MAX_AGE_MS) throw bad('an age of more than 100 years');
    return Math.round(now - ms);
  }
  if (/^[+-]?\d+(\.\d+)?$/.test(text)) throw bad(`an age needs a unit: ${text}d, ${text}h, ${text}m, ${text}s or ${text}w`);
  const d = DATE.exec(text);
  if (d) {
    const [year, month, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
    const [hour, minute, second] = [Number(d[4] ?? 0), Number(d[5] ?? 0), Number(d[6] ?? 0)];
    if (year < 1970) throw bad('a date before 1970');
    if (month < 1 || month > 12) throw bad(`there is no month ${d[2]}`);
    if (day < 1 || day > daysIn(year, month)) throw bad(`${year}-${d[2]} has no day ${d[3]}`);
    if (hour > 23 || minute > 59 || second > 59) throw bad('not a time of day');
    const t = Date.parse(text.replace(' ', 'T'));
    if (!Number.isNaN(t)) return t;
  }
  throw bad(HINT);
}
