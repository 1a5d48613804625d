/**
 * The breaker around a real external command, in-process: a stage the worker aborts (shutdown,
 * lost lease) is not the command's failure, so it neither opens the breaker nor is retried; a
 * command that keeps failing is retried, then refused while open with "classifier unavailable".
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/tmp.js';
import { ExternalCommandClassifier } from '../../src/ingest/classifier.js';
import { ExternalUnavailableError, GuardedClassifier, type BreakerState, type ExternalCallEvent } from '../../src/worker/external-breaker.js';
import { TransientError } from '../../src/domain/errors.js';

const input = { title: 'T', author: 'A', format: 'txt' as const, sample: 'some words' };

function commandCounting(dir: string, body: string): { cmd: string[]; calls: () => number } {
  const calls = path.join(dir, 'calls');
  const script = path.join(dir, 'cmd.sh');
  fs.writeFileSync(script, `echo call >> '${calls}'\ncat > /dev/null\n${body}\n`);
  return { cmd: ['/bin/sh', script], calls: () => (fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').trim().split('\n').length : 0) };
}

describe('GuardedClassifier', () => {
  it('aborted calls do not open the breaker and are not retried', async () => {
    const dir = tempDir('ap-breaker-');
    const { cmd, calls } = commandCounting(dir, 'sleep 30');
    const states: BreakerState[] = [];
    const g = new GuardedClassifier(new ExternalCommandClassifier({ command: cmd }), { failures: 2, retries: 2, onState: (e) => states.push(e.state) });
    for (let i = 0; i < 4; i++) {
      const ac = new AbortController();
      const p = g.classify(input as never, { signal: ac.signal });
      // Abort once the command is really running (it has written its line).
      const deadline = Date.now() + 10_000;
      while (calls() < i + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      ac.abort(new Error('worker stopping'));
      await expect(p).rejects.toThrow('worker stopping');
    }
    expect(calls()).toBe(4);
    expect(g.state).toBe('closed');
    expect(states).toEqual([]);
  });

  it('a failing command is retried, then the open breaker refuses without running it', async () => {
    const dir = tempDir('ap-breaker-');
    const { cmd, calls } = commandCounting(dir, 'echo broken >&2; exit 4');
    const events: ExternalCallEvent[] = [];
    const g = new GuardedClassifier(new ExternalCommandClassifier({ command: cmd }), { failures: 3, retries: 1, retryDelayMs: 10, halfOpenAfterMs: 60_000, onCall: (e) => events.push(e) });
    // 1st book: two calls (one retry), both fail: a transient failure, the breaker still closed.
    const first = await g.classify(input as never).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(TransientError);
    expect(first).not.toBeInstanceOf(ExternalUnavailableError);
    expect(calls()).toBe(2);
    expect(g.state).toBe('closed');
    // 2nd book: the third failure opens it; the retry is refused: classifier unavailable.
    const second = await g.classify(input as never).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(ExternalUnavailableError);
    expect((second as Error).message).toMatch(/classifier unavailable/);
    expect(g.state).toBe('open');
    expect(calls()).toBe(3);
    // While open: refused at once, the command not run.
    await expect(g.classify(input as never)).rejects.toBeInstanceOf(ExternalUnavailableError);
    expect(calls()).toBe(3);
    expect(events.map((e) => e.result)).toEqual(['failure', 'failure', 'failure', 'rejected', 'rejected']);
  });
});
