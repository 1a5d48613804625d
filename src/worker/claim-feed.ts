/**
 * ClaimFeed: the worker's slots ask for work one at a time; the feed answers every slot that
 * asked in the same turn of the event loop with one claim statement (engine.queue.claimBatch for as
 * many books as there are askers). A worker starting with 8 free slots, or several slots freed by
 * one wake-up, pays one transaction instead of 8. A lone asker gets claimNext, as before.
 *
 * Books are handed out as soon as the statement returns, so none waits leased in a buffer.
 */
import type { Claim } from '../db/queue.js';
import { MAX_CLAIM_BATCH, type QueueOps } from '../db/ops/queue.js';

interface Asker {
  resolve: (claim: Claim | undefined) => void;
  reject: (err: unknown) => void;
}

export class ClaimFeed {
  private askers: Asker[] = [];
  private scheduled = false;

  /** `claim(n)` claims up to n books (the caller wraps busy retries around the queue). */
  constructor(private readonly claim: (max: number) => Promise<Claim[]>) {}

  static over(queue: Pick<QueueOps, 'claimBatch'>, workerId: string, leaseMs: number, retry: <T>(fn: () => Promise<T>) => Promise<T>): ClaimFeed {
    return new ClaimFeed((max) => retry(() => queue.claimBatch(workerId, leaseMs, max)));
  }

  /** The next book for one slot, or undefined when nothing is claimable now. */
  next(): Promise<Claim | undefined> {
    return new Promise<Claim | undefined>((resolve, reject) => {
      this.askers.push({ resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // Every slot that asks before the microtask queue drains shares the statement.
        queueMicrotask(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const askers = this.askers.splice(0, MAX_CLAIM_BATCH);
    if (this.askers.length > 0) {
      this.scheduled = true;
      queueMicrotask(() => void this.flush());
    }
    let claims: Claim[];
    try {
      claims = await this.claim(askers.length);
    } catch (err) {
      for (const a of askers) a.reject(err);
      return;
    }
    askers.forEach((a, i) => a.resolve(claims[i]));
  }
}
