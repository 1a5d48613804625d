/** Preview tokens in the server process: bound to the preview's set and binding, 10-minute expiry, single use. */
import { describe, expect, it } from 'vitest';
import { PreviewTokens, TOKEN_TTL_MS } from '../../src/mcp/preview-tokens.js';
import type { BatchPreview } from '../../src/ops/types.js';

const preview = (versions: number[]): BatchPreview => ({
  operation: { kind: 'approve' },
  filter: { max_count: 50 },
  matched: versions.length,
  exceeds_max: false,
  books: versions.map((v, i) => ({ id: `${i}`.padStart(32, 'a'), source_path: `/b/${i}`, book_type: null, confidence: null, state: 'pending_approval', priority: 5, created_at: 0, version: v })),
});

describe('PreviewTokens', () => {
  it('redeems its own token once, for the binding it was issued under', () => {
    let now = 1_000;
    const t = new PreviewTokens(() => now);
    const p = preview([1, 2]);
    const { token, expires_at } = t.issue('approve:{}', p);
    expect(expires_at).toBe(1_000 + TOKEN_TTL_MS);
    expect(() => t.redeem(token, 'approve:{"book_type":"fiction"}')).toThrow(/foreign/);
    expect(t.redeem(token, 'approve:{}')).toBe(p);
    expect(() => t.redeem(token, 'approve:{}')).toThrow(/foreign/);
  });

  it('refuses a token after 10 minutes, and one from another process (another key)', () => {
    let now = 0;
    const t = new PreviewTokens(() => now);
    const { token } = t.issue('b', preview([1]));
    now = TOKEN_TTL_MS;
    expect(() => t.redeem(token, 'b')).toThrow(/expired/);
    const other = new PreviewTokens(() => 0);
    const theirs = other.issue('b', preview([1])).token;
    expect(() => t.redeem(theirs, 'b')).toThrow(/foreign/);
  });

  it('names the (id, version) set: the same binding with other versions gets another token', () => {
    const t = new PreviewTokens(() => 0);
    expect(t.issue('b', preview([1, 2])).token).not.toBe(t.issue('b', preview([1, 3])).token);
  });
});
