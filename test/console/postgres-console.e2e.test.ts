/**
 * The console on PostgreSQL in a real terminal (#15): tmux runs the built CLI with
 * `--db postgres://…` in a 100×30 pane. The first frame is the Health tab with the server's
 * counts; a book queued by another process (the CLI's `process`) appears on screen through the
 * engine's change version — LISTEN/NOTIFY on PostgreSQL, data_version on SQLite — because the
 * poller's timed re-read is pushed out of reach (AGENTIC_PIPELINE_TEST_RECHECK_MS), so nothing
 * else could bring it. `q` leaves the shell usable. The same test runs on a SQLite file first,
 * as the reference.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, initDb, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { hasTmux, isolatedEnv, Tmux } from '../helpers/tmux.js';
import { pgAvailable, pgCluster, pgUnavailableReason } from '../helpers/pg-cluster.js';
import { sampleBook, writeTxt } from '../fixtures/books.js';
import { openServices } from '../../src/services.js';

if (!hasTmux) console.warn('postgres-console.e2e: tmux is not installed, skipping (CI installs it)');
const reason = pgUnavailableReason();
if (reason) console.warn(`postgres-console.e2e: PostgreSQL half skipped: ${reason}`);

const tmux = new Tmux(`ap-pgc-${process.pid}`);

afterAll(() => {
  if (hasTmux) tmux.killServer();
});

interface Where {
  name: 'sqlite' | 'postgres';
  skip: boolean;
  fresh(): Promise<string>;
}

const ENGINES: Where[] = [
  { name: 'sqlite', skip: !hasTmux, fresh: async () => path.join(tempDir('ap-pgc-'), 'pipeline.db') },
  { name: 'postgres', skip: !hasTmux || !pgAvailable(), fresh: () => pgCluster().createDatabase() },
];

/** Longer than any test here: only a change notice can make the console read again. */
const NO_RECHECK_MS = String(60 * 60 * 1000);

describe.each(ENGINES)('the console on $name under tmux', (where) => {
  it.skipIf(where.skip)('opens on Health with the database counts; a book queued by another process appears; q quits', async () => {
    const db = initDb(await where.fresh());
    const dir = tempDir('ap-pgc-lib-');
    const setup = await openServices(db);
    try {
      for (let i = 0; i < 3; i++) {
        const file = writeTxt(dir, sampleBook(700 + i), { fileName: `queued-${i}.txt` });
        await setup.engine.pipelines.insert({ source_path: file, actor: 'human:tester' });
      }
    } finally {
      await setup.engine.close();
    }

    const session = `console-${where.name}`;
    const waitFor = (text: string | RegExp, timeoutMs = 20_000) => tmux.waitFor(session, text, String(text), timeoutMs);
    await tmux.startShell(session, {
      cols: 100,
      rows: 30,
      env: isolatedEnv({ NO_COLOR: '1', AGENTIC_PIPELINE_TEST_RECHECK_MS: NO_RECHECK_MS }),
      cwd: ROOT,
      prompt: 'pgc$ ',
    });
    tmux.type(session, `node ${CLI} --db '${db}' --refresh 0.2`);

    const first = await waitFor(/Queued 3/);
    expect(first).toMatch(/\[1 Health.*\]/);
    expect(first).toMatch(/Active 0/);
    expect(first).toMatch(/Stuck 0/);
    // The status bar names the database, never a password.
    expect(first).toContain(where.name === 'postgres' ? 'postgres://' : 'pipeline.db');

    // Another process queues a book: the console shows it without a key being pressed.
    const file = writeTxt(dir, sampleBook(799), { fileName: 'arrived.txt' });
    const queued = runCli(['process', file, '--db', db]);
    expect(queued.code, queued.stderr).toBe(0);
    await waitFor(/Queued 4/);

    await tmux.press(session, 'q');
    await tmux.waitFor(
      session,
      (s) => {
        const lines = s.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
        return !s.includes('Queued 4') && lines[lines.length - 1] === 'pgc$';
      },
      'the shell prompt after quitting',
      20_000,
    );
    tmux.type(session, 'echo quit-$((2+3))-marker');
    await waitFor(/^quit-5-marker\s*$/m);
  }, 120_000);
});
