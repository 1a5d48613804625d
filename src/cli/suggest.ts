/**
 * "did you mean …?" for a mistyped flag or command: the nearest known name by edit distance,
 * offered only when it is close enough that the typo is the likely story (`--limt` → `--limit`,
 * not `--x` → `--db`).
 */

/**
 * Edit distance with adjacent swaps counted as one edit (optimal string alignment): `lsit` is one
 * typo away from `list`, as a person sees it.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known name nearest to `typed`, or undefined when none is plausibly what was meant. */
export function nearest(typed: string, known: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.min(3, Math.floor(typed.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of known) {
    if (name.length < 2) continue; // short flags (-h) are never the intended long name
    const d = editDistance(typed.toLowerCase(), name.toLowerCase());
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** " (did you mean X?)" or '' — the tail of an unknown-name message. */
export function didYouMean(typed: string, known: Iterable<string>, format: (name: string) => string = (n) => n): string {
  const hit = nearest(typed, known);
  return hit === undefined ? '' : ` (did you mean ${format(hit)}?)`;
}
