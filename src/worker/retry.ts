/**
 * Busy handling and retry backoff.
 *
 * Every write runs in an IMMEDIATE transaction with busy_timeout, so SQLITE_BUSY should never
 * surface; if it ever does, the write is retried here with backoff instead of reaching a log or
 * a user.
 */
export function isBusyError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      return;
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Runs a write (an engine operation, or a synchronous one), retrying a busy database a few times
 * with growing delays. The operation is one whole transaction, so running it again is safe.
 */
export async function withBusyRetry<T>(fn: () => T | Promise<T>, options: { tries?: number; onRetry?: (attempt: number) => void } = {}): Promise<T> {
  const tries = options.tries ?? 8;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isBusyError(err) || attempt >= tries) throw err;
      options.onRetry?.(attempt);
      await sleep(Math.min(2_000, 25 * 2 ** attempt) * (0.5 + Math.random() / 2));
    }
  }
}

/**
 * Exponential backoff with jitter for the n-th failed attempt (1-based): base·2^(n-1), capped
 * at max, then scaled by a random factor in [0.5, 1] so failed books do not retry in lockstep.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(1, Math.round(exp * (0.5 + random() / 2)));
}
