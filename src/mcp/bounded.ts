/**
 * Keeps every tool result small enough for an assistant to read: clients reject or truncate
 * results over ~25,000 tokens, and a result that is cut by the client loses its end (the
 * cursor). So long text fields are cut here with an ellipsis, and a list that would still push
 * the document past MAX_RESULT_CHARS is shortened from the end, with a cursor to the rest.
 */

/** About 100 KB of JSON text per result. */
export const MAX_RESULT_CHARS = 100_000;

/**
 * What a tool fits its rows into: the cap less room for the keys added after fitting (a cursor,
 * a "truncated" count), so the server's last guard never has to cut a page again.
 */
export const FIT_BUDGET = MAX_RESULT_CHARS - 1_000;

/** A stored text field (an error, a reason, a path) longer than this is cut. */
export const MAX_FIELD_CHARS = 2_000;

/** Every string in `value` at most `max` characters, cut with an ellipsis; other values as they are. */
export function cutLongText<T>(value: T, max = MAX_FIELD_CHARS): T {
  if (typeof value === 'string') return (value.length > max ? value.slice(0, max - 1) + '…' : value) as T;
  if (Array.isArray(value)) return value.map((v) => cutLongText(v, max)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = cutLongText(v, max);
    return out as T;
  }
  return value;
}

export const textSize = (doc: unknown): number => JSON.stringify(doc).length;

/**
 * `make(n)` builds the document holding the first n rows. Returns the document with the most
 * rows (at most `rows`) whose JSON fits in `maxChars`; at least one row, so a cursor always
 * moves forward (a single row is itself bounded by cutLongText).
 */
export function fitRows<D>(rows: number, make: (n: number) => D, maxChars = FIT_BUDGET): { doc: D; shown: number } {
  let doc = make(rows);
  if (rows <= 1 || textSize(doc) <= maxChars) return { doc, shown: rows };
  // Largest n that fits: rows have similar sizes, so a binary search takes a few serialisations.
  let lo = 1;
  let hi = rows - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (textSize(make(mid)) <= maxChars) lo = mid;
    else hi = mid - 1;
  }
  doc = make(lo);
  return { doc, shown: lo };
}

/**
 * The last guard on every result: long text cut, then, while the JSON is still over the cap, the
 * longest top-level list shortened (and `<key>_truncated` saying how many rows were left out).
 */
export function capDocument(doc: Record<string, unknown>, maxChars = MAX_RESULT_CHARS): Record<string, unknown> {
  let out = cutLongText(doc);
  for (let guard = 0; guard < 8 && textSize(out) > maxChars; guard++) {
    const lists = Object.entries(out).filter(([, v]) => Array.isArray(v) && v.length > 1) as [string, unknown[]][];
    if (lists.length === 0) break;
    const [key, rows] = lists.reduce((a, b) => (textSize(b[1]) > textSize(a[1]) ? b : a));
    const base = out;
    const { doc: fitted, shown } = fitRows(rows.length, (n) => ({ ...base, [key]: rows.slice(0, n), [`${key}_truncated`]: rows.length - n }), maxChars);
    out = shown === rows.length ? base : fitted;
    if (shown === rows.length) break;
  }
  return out;
}
