/**
 * Numbers, durations, times and short ids as people read them, one style for every interface:
 * the CLI's tables (src/cli/format.ts re-exports what it uses), operations' messages, and the
 * console's components and screens.
 * Pure (no imports), so components may use it.
 */

/** 45 → "45s", 2700 → "45 min", 9000 → "2.5 h", 200000 → "2.3 d"; null → "-". */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '-';
  const s = Math.max(0, seconds);
  if (s < 90) return `${Math.round(s)}s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}

/** The same style for milliseconds. */
export function formatMs(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : formatSeconds(ms / 1000);
}

/** A pipeline id as people see it in tables and messages: its first 8 characters. */
export const shortId = (id: string): string => id.slice(0, 8);

/** 1234567 → "1,234,567" (en-US grouping whatever the host locale). */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Under 10,000 as is ("9,999"); above, short for tight spaces: "12k", "1.0M". */
export function formatCompact(n: number): string {
  if (n < 10_000) return formatCount(n);
  if (n < 1_000_000) return `${Math.floor(n / 1000)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** `1 book`, `2 books`, `1,000 books`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

const p2 = (n: number): string => String(n).padStart(2, '0');

/** Local 24-hour "YYYY-MM-DD HH:MM:SS"; null → "-". */
export function formatDateTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  const d = new Date(ms);
  return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
}

/** Local 24-hour "MM-DD HH:MM" for table columns. */
export function formatShortDateTime(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : formatDateTime(ms).slice(5, 16);
}
