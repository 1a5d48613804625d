/**
 * The failure policy on its own: which state a failed stage sends a book to, the error document
 * an operator reads in `status` (error_json), and when a retried book comes back.
 */
import { describe, expect, it } from 'vitest';
import { decideFailure, type FailureInput } from '../../src/worker/failure-policy.js';
import { WorkerAbort } from '../../src/worker/worker-types.js';
import { PermanentError, TransientError } from '../../src/domain/errors.js';
import { WorkerConfigSchema } from '../../src/config/worker.js';

const NOW = Date.UTC(2026, 0, 1, 12);
const config = WorkerConfigSchema.parse({ backoff: { base_ms: 1_000, max_ms: 60_000 } });

function decide(err: unknown, over: Partial<FailureInput> = {}) {
  return decideFailure({ err, stage: 'classifying', row: { attempts: 1, max_attempts: 5 }, config, now: NOW, ...over });
}

describe('decideFailure', () => {
  it('fails a book at once on a PermanentError, even on its first attempt', () => {
    const out = decide(new PermanentError('not a PDF: bad header', 'corrupt_file'));
    expect(out.to).toBe('failed');
    expect(out.retryAt).toBeNull();
    expect(out.error).toEqual({
      code: 'corrupt_file',
      cause_code: 'corrupt_file',
      stage: 'classifying',
      message: 'not a PDF: bad header',
      attempt: 1,
      max_attempts: 5,
      permanent: true,
      at: NOW,
    });
    expect(JSON.stringify(out.error)).not.toContain('retry_at');
  });

  it('retries a TransientError with retry_at inside the backoff bounds for the attempt', () => {
    // Third attempt: base·2² = 4 s, jittered into [2 s, 4 s].
    const row = { attempts: 3, max_attempts: 5 };
    for (const random of [() => 0, () => 0.5, () => 0.999999, Math.random]) {
      const out = decide(new TransientError('model server overloaded', 'overloaded'), { row, random });
      expect(out.to).toBe('needs_retry');
      expect(out.retryAt).toBeGreaterThanOrEqual(NOW + 2_000);
      expect(out.retryAt).toBeLessThanOrEqual(NOW + 4_000);
      expect(out.error).toMatchObject({ code: 'overloaded', cause_code: 'overloaded', permanent: false, attempt: 3, retry_at: out.retryAt });
      expect(out.message).toBe('model server overloaded');
    }
    // The cap holds however many attempts came before.
    const late = decide(new TransientError('still down'), { row: { attempts: 30, max_attempts: 50 }, random: () => 1 });
    expect(late.retryAt).toBe(NOW + 60_000);
  });

  it('names a stage timeout stage_timeout and retries it', () => {
    const out = decide(new WorkerAbort('timeout', 'stage classifying timed out after 180000 ms'));
    expect(out.to).toBe('needs_retry');
    expect(out.error.code).toBe('stage_timeout');
    expect(out.error.message).toBe('stage classifying timed out after 180000 ms');
  });

  it('fails with max_attempts once attempts are used up, keeping the cause', () => {
    const out = decide(new TransientError('model server overloaded', 'overloaded'), { row: { attempts: 5, max_attempts: 5 } });
    expect(out.to).toBe('failed');
    expect(out.retryAt).toBeNull();
    expect(out.error).toMatchObject({ code: 'max_attempts', cause_code: 'overloaded', permanent: false, attempt: 5, max_attempts: 5 });
    expect(out.error.message).toBe('model server overloaded (gave up after 5 of 5 attempts)');
    expect(out.error).not.toHaveProperty('retry_at');
    // Logs and events carry the cause alone.
    expect(out.message).toBe('model server overloaded');
  });

  it("uses the config's max_attempts over the book's own", () => {
    const strict = WorkerConfigSchema.parse({ max_attempts: 2 });
    const out = decide(new TransientError('flaky'), { row: { attempts: 2, max_attempts: 5 }, config: strict });
    expect(out.to).toBe('failed');
    expect(out.error).toMatchObject({ code: 'max_attempts', max_attempts: 2 });
    expect(decide(new TransientError('flaky'), { row: { attempts: 2, max_attempts: 5 } }).to).toBe('needs_retry');
  });

  it('calls a database that stayed locked database_busy, without the driver message', () => {
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    const out = decide(busy);
    expect(out.to).toBe('needs_retry');
    expect(out.error.code).toBe('database_busy');
    expect(out.error.message).toBe('the database stayed locked; will retry');
  });

  it('retries anything unexpected as unexpected, naming the error', () => {
    const out = decide(new TypeError("Cannot read properties of undefined (reading 'title')"));
    expect(out.to).toBe('needs_retry');
    expect(out.error.code).toBe('unexpected');
    expect(out.error.message).toBe("TypeError: Cannot read properties of undefined (reading 'title')");
    expect(decide('thrown string').error).toMatchObject({ code: 'unexpected', message: 'thrown string' });
  });
});
