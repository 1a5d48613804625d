/**
 * `worker --health-interval S` logs one health summary line every S seconds and stops with the
 * worker; logs stay JSON lines when stderr is not a terminal, and on a terminal (tmux) every
 * event is one line. Real worker processes; every wait is for something the worker wrote.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, initDb, ROOT, runCli, spawnCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { hasTmux, isolatedEnv, Tmux } from '../helpers/tmux.js';
import { writeLibrary } from '../fixtures/books.js';
import { collect, exitOf, parseLogLines, waitFor, withDb } from './support.js';

function library(n: number): string {
  const dir = tempDir('ap-health-interval-');
  writeLibrary(path.join(dir, 'lib'), n, { seed: 5 });
  const db = initDb(path.join(dir, 'pipeline.db'));
  expect(runCli(['batch-queue', path.join(dir, 'lib'), '--db', db]).code).toBe(0);
  return db;
}

const healthLines = (stderr: string) => parseLogLines(stderr).filter((l) => typeof l.msg === 'string' && l.msg.startsWith('health '));

describe('worker --health-interval', () => {
  it('logs a health summary line every interval (JSON off a terminal), and none once the worker has stopped', async () => {
    const db = library(2);
    const w = spawnCli(['worker', '--db', db, '--health-interval', '1', '--poll-interval', '0.1']);
    const io = collect(w);
    const lines = await waitFor(() => {
      const h = healthLines(io.stderr());
      return h.length >= 2 ? h : undefined;
    }, 'two health summary lines');
    for (const l of lines) {
      expect(l.level).toBe(30);
      expect(l.msg).toMatch(/^health (healthy|degraded|unhealthy) · \d+ active · \d+ queued · \d+ stuck · \d+ needs_retry · \d+ failed · \d+ done 24h · workers 1 running/);
      expect(l.health).toMatchObject({ workers: { running: 1, lost: 0 } });
      expect(typeof l.worker).toBe('string');
    }
    w.kill('SIGTERM');
    const exit = await exitOf(w);
    expect(exit.code, io.stderr()).toBe(0);
    const all = parseLogLines(io.stderr()); // every stderr line is still one JSON document
    const stoppedAt = all.findIndex((l) => l.msg === 'worker stopped');
    expect(stoppedAt).toBeGreaterThan(0);
    expect(all.slice(stoppedAt).some((l) => typeof l.msg === 'string' && l.msg.startsWith('health '))).toBe(false);
  });

  it('refuses an interval under one second: exit 2, one line, nothing claimed', () => {
    const db = library(1);
    for (const bad of ['0', '0.5', 'often']) {
      const r = runCli(['worker', '--db', db, '--drain', '--health-interval', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr.trim().split('\n'), bad).toHaveLength(1);
      expect(r.stderr).toMatch(/--health-interval/);
    }
    expect(withDb(db, (d) => d.prepare('SELECT state, attempts FROM pipelines').all())).toEqual([{ state: 'detected', attempts: 0 }]);
  });
});

describe.skipIf(!hasTmux)('worker logs on a terminal', () => {
  const tmux = new Tmux(`ap-worker-tty-${process.pid}`);
  afterAll(() => tmux.killServer());

  it('one line per event (time, level, message, fields), including the health summary', async () => {
    const db = library(2);
    const PROMPT = 'wk$ ';
    await tmux.startShell('w', { cols: 200, rows: 50, env: isolatedEnv({ NO_COLOR: '1' }), cwd: ROOT, prompt: PROMPT });
    // The pane's history as well as its screen: on a slow machine the log may outgrow 50 rows.
    const everything = () => tmux.run('capture-pane', '-p', '-J', '-S', '-', '-t', 'w').stdout;
    tmux.type('w', `node ${CLI} worker --db ${db} --health-interval 1 --poll-interval 0.1`);
    await waitFor(() => /INFO: health \w+ · /.test(everything()), 'a health summary line', 20_000);
    await waitFor(() => (everything().match(/validating → pending_approval/g) ?? []).length >= 2, 'both books through');
    tmux.run('send-keys', '-t', 'w', 'C-c');
    await tmux.waitFor('w', (x) => x.trimEnd().endsWith(PROMPT.trimEnd()), 'the prompt after Ctrl-C');
    const rows = everything().split('\n');
    const start = rows.findIndex((l) => l.includes(' worker --db '));
    const end = rows.findIndex((l, i) => i > start && /^worker \S+: \d+ claimed/.test(l));
    expect(start).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    // (The terminal echoes Ctrl-C as "^C" at the start of the row the next line lands on.)
    const logRows = rows
      .slice(start + 1, end)
      .map((l) => l.replace(/^\^C/, ''))
      .filter((l) => l.trim() !== '');
    // Every row is an event of its own: no "    key: value" continuation rows.
    const strays = logRows.filter((l) => !/^\[\d\d:\d\d:\d\d\.\d{3}\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL): \S/.test(l));
    expect(strays).toEqual([]);
    const started = logRows.find((l) => l.includes('worker started'))!;
    expect(started).toMatch(/"concurrency":1/);
    // A book's events name it by its short id, ahead of the message.
    expect(logRows.filter((l) => /INFO: [0-9a-f]{8} validating → pending_approval \{/.test(l))).toHaveLength(2);
    expect(logRows.some((l) => /INFO: health \w+ · \d+ active · /.test(l))).toBe(true);
  });
});
