/**
 * Issue #13: `worker --metrics` against real books, and the circuit breaker around a real
 * external classifier command that fails, is refused while open, half-opens and closes.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { runCli, spawnCli } from '../helpers/cli.js';
import { collect, exitOf, parseLogLines, waitFor, withDb } from '../worker/support.js';
import { boundPort, eventually, killedAfterEach, parseScrape, queuedLibrary, request } from './support.js';

const children = killedAfterEach();
const setup = (n: number) => queuedLibrary(n, 17, 'ap-wmetrics-');

const count = (db: string, sql: string) => withDb(db, (d) => (d.prepare(sql).get() as { n: number }).n);

describe('worker --metrics', () => {
  it("the stage histograms count every book the worker processed, with outcomes and claims", async () => {
    const { db } = setup(3);
    const w = spawnCli(['worker', '--db', db, '--poll-interval', '0.1', '--metrics', '127.0.0.1:0']);
    children.push(w);
    const io = collect(w);
    const port = await boundPort(io.stderr, w);
    await waitFor(() => count(db, `SELECT COUNT(*) AS n FROM pipelines WHERE state = 'pending_approval'`) === 3, 'three books at pending_approval');
    const m = parseScrape((await request(port, '/metrics')).body);
    for (const stage of ['hashing', 'classifying', 'selecting_strategy', 'processing', 'validating']) {
      const runs = count(db, `SELECT COUNT(*) AS n FROM state_history WHERE from_state = '${stage}'`);
      expect(runs).toBe(3);
      expect(m.value('agentic_pipeline_stage_duration_seconds_count', { stage }), stage).toBe(runs);
      expect(m.value('agentic_pipeline_stage_duration_seconds_bucket', { stage, le: '+Inf' })).toBe(runs);
      expect(m.value('agentic_pipeline_stage_duration_seconds_sum', { stage })).toBeGreaterThan(0);
    }
    expect(m.value('agentic_pipeline_stage_duration_seconds_count', { stage: 'embedding' })).toBe(0);
    expect(m.value('agentic_pipeline_worker_books_finished_total', { outcome: 'pending_approval' })).toBe(3);
    expect(m.value('agentic_pipeline_worker_claims_total')).toBe(3);
    expect(m.value('agentic_pipeline_worker_retries_total')).toBe(0);
    expect(m.types.get('agentic_pipeline_stage_duration_seconds')).toBe('histogram');
    // Every series carries the worker's id, which is the workers row's.
    const workerId = withDb(db, (d) => (d.prepare('SELECT id FROM workers').get() as { id: string }).id);
    expect(new Set(m.samples.filter((s) => s.name.startsWith('agentic_pipeline_')).map((s) => s.labels.worker))).toEqual(new Set([workerId]));
    if (spawnSync('promtool', ['--version']).status === 0) {
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: (await request(port, '/metrics')).body, encoding: 'utf8' });
      expect(lint.status, lint.stdout + lint.stderr).toBe(0);
    } else {
      console.warn("promtool not installed: skipping `promtool check metrics` on the worker's scrape");
    }
    w.kill('SIGTERM');
    expect((await exitOf(w)).code).toBe(0);
  });

  it('a busy --metrics port or a bad address is one line on stderr and exit 2, nothing claimed', async () => {
    const { db } = setup(1);
    const first = spawnCli(['worker', '--db', db, '--poll-interval', '0.1', '--metrics', '127.0.0.1:0'], { env: { AGENTIC_PIPELINE_TEST_STAGE_DELAY_MS: 'hashing=120000' } });
    children.push(first);
    const io = collect(first);
    const port = await boundPort(io.stderr, first);
    await waitFor(() => count(db, `SELECT COUNT(*) AS n FROM pipelines WHERE state = 'hashing'`) === 1, 'the first worker holding the book');
    const busy = runCli(['worker', '--db', db, '--metrics', `127.0.0.1:${port}`, '--drain']);
    expect(busy.code, busy.stderr).toBe(2);
    expect(busy.stderr).toContain('in use');
    const bad = runCli(['worker', '--db', db, '--metrics', 'localhost', '--drain']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringContaining('--metrics must be HOST:PORT')]);
    expect(count(db, `SELECT COUNT(*) AS n FROM workers`)).toBe(1);
  });
});

describe('circuit breaker around the external classifier', () => {
  it('N failures open it, books go to needs_retry (none failed, the command not run while open), then it half-opens and closes', async () => {
    const { dir, db } = setup(3);
    const flag = path.join(dir, 'model-down');
    const calls = path.join(dir, 'calls');
    fs.writeFileSync(flag, '');
    const script = path.join(dir, 'classifier.sh');
    fs.writeFileSync(
      script,
      [
        'echo call >> "$CALLS"',
        'cat > /dev/null',
        'if [ -e "$FLAG" ]; then echo "model is down" >&2; exit 3; fi',
        `echo '{"book_type":"textbook","confidence":0.8,"reasons":["stub model"]}'`,
      ].join('\n'),
    );
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        worker: {
          classifier: { command: '/bin/sh', args: [script], env: { FLAG: flag, CALLS: calls }, breaker: { failures: 2, half_open_after_ms: 3000, retries: 0 } },
          backoff: { base_ms: 100, max_ms: 200 },
          // Two attempts: a book refused twice by the open breaker would be failed if refusals counted.
          max_attempts: 2,
        },
      }),
    );
    const w = spawnCli(['worker', '--db', db, '--config', config, '--poll-interval', '0.1', '--metrics', '127.0.0.1:0']);
    children.push(w);
    const io = collect(w);
    const port = await boundPort(io.stderr, w);
    const scrape = async () => parseScrape((await request(port, '/metrics')).body);
    expect((await scrape()).value('agentic_pipeline_external_breaker_state', { dependency: 'classifier', state: 'closed' })).toBe(1);

    // Two failed calls open it; then books are refused without running the command.
    const open = await eventually(async () => {
      const m = await scrape();
      return m.value('agentic_pipeline_external_breaker_state', { dependency: 'classifier', state: 'open' }) === 1 &&
        m.value('agentic_pipeline_external_calls_total', { dependency: 'classifier', result: 'rejected' }) >= 2
        ? m
        : undefined;
    }, 'the breaker open and two books refused');
    // health (any process) says so too, from the worker's row.
    type Health = { alerts: { code: string; message: string }[]; workers: { status: string; external_breakers?: Record<string, string> }[] };
    const health = () => JSON.parse(runCli(['health', '--json', '--db', db]).stdout) as Health;
    const whileOpen = await waitFor(() => {
      const h = health();
      return h.alerts.some((a) => a.code === 'classifier_unavailable') ? h : undefined;
    }, 'health reporting the classifier unavailable');
    expect(whileOpen.workers.find((x) => x.status === 'running')?.external_breakers).toEqual({ classifier: 'open' });
    fs.rmSync(flag);
    expect(open.value('agentic_pipeline_external_failures_total', { dependency: 'classifier' })).toBe(2);
    const callsWhileOpen = fs.readFileSync(calls, 'utf8').trim().split('\n').length;
    expect(callsWhileOpen).toBe(2);
    const unavailable = withDb(db, (d) =>
      d.prepare(`SELECT COUNT(*) AS n FROM state_history WHERE to_state = 'needs_retry' AND details LIKE '%classifier unavailable%'`).get() as { n: number },
    );
    const refused = withDb(db, (d) => d.prepare(`SELECT error_json FROM pipelines WHERE error_json LIKE '%classifier_unavailable%'`).all() as { error_json: string }[]);
    expect(unavailable.n + refused.length).toBeGreaterThan(0);
    expect(count(db, `SELECT COUNT(*) AS n FROM pipelines WHERE state = 'failed'`)).toBe(0);

    // The command works again: after half_open_after_ms one trial call closes it, every book goes on.
    await waitFor(() => count(db, `SELECT COUNT(*) AS n FROM pipelines WHERE state = 'pending_approval'`) === 3, 'all three books at pending_approval', 60_000);
    const closed = await scrape();
    expect(closed.value('agentic_pipeline_external_breaker_state', { dependency: 'classifier', state: 'closed' })).toBe(1);
    expect(closed.value('agentic_pipeline_external_calls_total', { dependency: 'classifier', result: 'ok' })).toBe(3);
    expect(count(db, `SELECT COUNT(*) AS n FROM pipelines WHERE state = 'failed'`)).toBe(0);
    const after = await waitFor(() => {
      const h = health();
      return h.workers.find((x) => x.status === 'running')?.external_breakers?.classifier === 'closed' ? h : undefined;
    }, 'health seeing the breaker closed');
    expect(after.alerts.filter((a) => a.code === 'classifier_unavailable')).toEqual([]);
    // The log tells the breaker's story: open, half-open (the trial call), closed.
    const states = parseLogLines(io.stderr()).filter((l) => l.dependency === 'classifier' && typeof l.breaker === 'string').map((l) => l.breaker);
    expect(states.slice(-3)).toEqual(['open', 'half_open', 'closed']);
    expect(states[0]).toBe('open');
    // A book refused past its max_attempts still finished: refusals did not spend its attempts.
    expect(count(db, `SELECT COUNT(*) AS n FROM pipelines WHERE attempts > 2`)).toBeGreaterThan(0);
    w.kill('SIGTERM');
    expect((await exitOf(w)).code).toBe(0);
  });
});
