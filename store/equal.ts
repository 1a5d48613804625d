/**
 * Structural equality for the plain data the console shows (rows from SQLite, reports from the
 * ops services). Stores compare a new snapshot with what they hold and keep the old object when
 * nothing changed, so React sees the same reference, renders nothing and Ink writes 0 bytes.
 */
export function sameData(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/**
 * `next` where it differs from `prev`, else `prev` itself (also per array element, so rows that
 * did not change keep their identity and React skips them).
 */
export function keepIfSame<T>(prev: T, next: T): T {
  if (sameData(prev, next)) return prev;
  if (Array.isArray(prev) && Array.isArray(next)) {
    return next.map((item, i) => (i < prev.length && sameData(prev[i], item) ? prev[i] : item)) as T;
  }
  return next;
}
