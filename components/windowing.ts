/**
 * Arithmetic for a table that shows a window of a large result set.
 *
 * The console never loads a whole table: the screen asks SQLite for `LIMIT capacity OFFSET
 * start` rows and hands that window to `WindowedTable`. These helpers tell it how big the
 * window is for a given height and where the window should start so the selection stays in
 * view. Selection itself is by row id (see WindowedTable); the index is only used to scroll.
 */

/** Lines `WindowedTable` spends on its header and its scroll-indicator line. */
export const TABLE_CHROME_LINES = 2;

/** How many data rows a `WindowedTable` of `height` lines shows: fetch this many. */
export function tableBodyRows(height: number): number {
  return Math.max(0, Math.floor(height) - TABLE_CHROME_LINES);
}

/** Clamp a window start into `[0, total - capacity]`. */
export function clampWindowStart(start: number, capacity: number, total: number): number {
  return Math.max(0, Math.min(start, total - capacity));
}

/**
 * The window start that keeps row `index` (0-based in the whole result) visible, moving the
 * window as little as possible: scrolling down puts the row on the last line, scrolling up on
 * the first, and a row already visible does not move the window.
 */
export function scrollToShow(start: number, index: number, capacity: number, total: number): number {
  if (capacity <= 0 || total <= 0) return 0;
  const i = Math.max(0, Math.min(index, total - 1));
  let next = start;
  if (i < start) next = i;
  else if (i >= start + capacity) next = i - capacity + 1;
  return clampWindowStart(next, capacity, total);
}
