/**
 * ClaimFeed: slots asking in the same turn share one claim statement; each still gets its own
 * book, in claim order, and an empty queue answers every asker with undefined.
 */
import { describe, expect, it } from 'vitest';
import { ClaimFeed } from '../../src/worker/claim-feed.js';
import { withBusyRetry } from '../../src/worker/retry.js';
import { openTest, seed } from '../db/helpers.js';

describe('ClaimFeed', () => {
  it('answers the slots that ask in one turn with one batch claim, in claim order', async () => {
    const s = openTest();
    const books = [3, 1, 2, 5, 4].map((p) => seed(s, 'detected', { priority: p }));
    const feed = ClaimFeed.over(s.engine.queue, 'w', 60_000, withBusyRetry);
    const together = await Promise.all([feed.next(), feed.next(), feed.next()]);
    expect(together.map((c) => c?.pipeline.priority)).toEqual([1, 2, 3]);
    // One statement: one lease token for the three books.
    expect(new Set(together.map((c) => c?.leaseToken)).size).toBe(1);
    const alone = await feed.next();
    expect(alone?.pipeline.id).toBe(books[4]!.id);
    expect(alone?.leaseToken).not.toBe(together[0]?.leaseToken);
    const rest = await Promise.all([feed.next(), feed.next(), feed.next()]);
    expect(rest.map((c) => c?.pipeline.id)).toEqual([books[3]!.id, undefined, undefined]);
    expect(s.pipelines.countsByState()).toEqual({ hashing: 5 });
    s.close();
  });

  it('passes a failed claim to every asker of that turn', async () => {
    const s = openTest();
    seed(s, 'detected');
    const feed = ClaimFeed.over(s.engine.queue, 'w', 60_000, withBusyRetry);
    s.close();
    const asks = [feed.next(), feed.next()];
    for (const a of asks) await expect(a).rejects.toThrow(/not open/);
  });
});
