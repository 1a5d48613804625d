/** TestSignal: buffered until taken, in order; waitUntil skips what does not match; a wait that never comes fails. */
import { describe, expect, it } from 'vitest';
import { TestSignal } from '../../src/worker/test-signals.js';

describe('TestSignal', () => {
  it('keeps values fired before anyone waits, hands them out in order, and counts them all', async () => {
    const s = new TestSignal<number>('n');
    s.signal(1);
    s.signal(2);
    expect(await s.waitOnce()).toBe(1);
    const later = s.waitFor(2);
    s.signal(3);
    expect(await later).toEqual([2, 3]);
    expect(s.count).toBe(3);
    expect(s.pending).toEqual([]);
  });

  it('waitUntil passes over values that do not match, buffered or arriving', async () => {
    const s = new TestSignal<number>('n');
    s.signal(1);
    const even = s.waitUntil((v) => v % 2 === 0);
    s.signal(3);
    s.signal(4);
    s.signal(5);
    expect(await even).toBe(4);
    expect(s.pending).toEqual([5]);
  });

  it('fails a wait after its timeout, naming the signal', async () => {
    const s = new TestSignal<number>('heartbeat');
    await expect(s.waitOnce(20)).rejects.toThrow("test signal 'heartbeat' did not fire within 20 ms");
    // The failed waiter is gone: a later value is buffered, not lost.
    s.signal(7);
    expect(await s.waitOnce()).toBe(7);
  });
});
