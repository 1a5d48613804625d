/**
 * When a dialog opens under a list, the table gets fewer lines but the rows are frozen (no
 * re-fetch): show the part of the fetched window that keeps the selected row in view.
 */
export function visibleSlice<Row>(
  rows: readonly Row[],
  selectedIndex: number,
  capacity: number,
  windowStart: number,
): { rows: readonly Row[]; windowStart: number } {
  if (rows.length <= capacity || selectedIndex < capacity) return { rows, windowStart };
  const from = Math.min(rows.length - capacity, selectedIndex - capacity + 1);
  return { rows: rows.slice(from), windowStart: windowStart + from };
}
