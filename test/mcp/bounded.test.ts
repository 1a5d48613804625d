/** Results stay readable: long text cut with an ellipsis, lists shortened to ~100 KB. */
import { describe, expect, it } from 'vitest';
import { capDocument, cutLongText, fitRows, MAX_FIELD_CHARS, MAX_RESULT_CHARS, textSize } from '../../src/mcp/bounded.js';

describe('bounded results', () => {
  it('cuts a long error or reason with an ellipsis and leaves short ones alone', () => {
    const doc = cutLongText({ error: 'x'.repeat(50_000), reason: 'fine', nested: [{ why: 'y'.repeat(MAX_FIELD_CHARS + 1) }] });
    expect(doc.error).toHaveLength(MAX_FIELD_CHARS);
    expect(doc.error.endsWith('…')).toBe(true);
    expect(doc.reason).toBe('fine');
    expect(doc.nested[0]!.why.endsWith('…')).toBe(true);
  });

  it('shortens the longest list until the document fits, saying how many rows were left out', () => {
    const rows = Array.from({ length: 500 }, (_, i) => ({ id: i, path: 'p'.repeat(1_500) }));
    const out = capDocument({ count: 500, rows });
    expect(textSize(out)).toBeLessThanOrEqual(MAX_RESULT_CHARS);
    const kept = (out.rows as unknown[]).length;
    expect(kept).toBeGreaterThan(10);
    expect(out.rows_truncated).toBe(500 - kept);
  });

  it('fitRows keeps every row when they fit', () => {
    const { shown } = fitRows(3, (n) => ({ rows: [1, 2, 3].slice(0, n) }));
    expect(shown).toBe(3);
  });
});
