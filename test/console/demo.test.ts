/**
 * `npm run demo` in a real terminal: tmux runs `agentic-pipeline demo` from a shell in a 110×34
 * pane, with HOME, the XDG folders and TMPDIR pointed into a temp folder (the demo's temporary
 * database lands there, and nothing can touch the real user's data). Checks what a person would
 * see: the console with its tabs, books moving (queue draining, books reaching pending approval,
 * the broken files failing), the crashed worker's book on the Stuck tab, `q` back to a usable
 * shell on the normal screen with the cursor shown, and the temporary files removed as the demo
 * promises. Every wait polls capture-pane against a generous deadline: the demo runs two workers
 * with deliberate stage delays and a 20 s stalled lease, and must pass on a loaded 2-core machine.
 * Skipped when tmux is not installed.
 *
 * The tmux helpers follow tmux.e2e.test.ts (same send-keys / capture-pane approach).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const hasTmux = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;
if (!hasTmux) console.warn('demo: tmux is not installed, skipping the real-terminal demo test (CI installs it)');

const socket = `ap-demo-${process.pid}`;
const session = 'demo';
// -f /dev/null: no tmux.conf (the machine's or the user's) changes what the pane shows.
const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
/** The visible pane, wrapped lines joined (long temp paths stay on one line). */
const capture = (): string => tmux('capture-pane', '-p', '-J', '-t', session).stdout;
const paneFlag = (name: string): string => tmux('display-message', '-p', '-t', session, `#{${name}}`).stdout.trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForScreen(test: (screen: string) => boolean, what: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const screen = capture();
    if (test(screen)) return screen;
    if (Date.now() > deadline) throw new Error(`tmux: never saw ${what} within ${timeoutMs} ms. Screen:\n${screen}`);
    await sleep(200);
  }
}
const waitFor = (text: string | RegExp, timeoutMs?: number) =>
  waitForScreen((s) => (typeof text === 'string' ? s.includes(text) : text.test(s)), String(text), timeoutMs);
async function press(...keys: string[]): Promise<void> {
  for (const k of keys) {
    tmux('send-keys', '-t', session, k);
    await sleep(30);
  }
}

/** The Health tab's counters line: "Active 3 │ Queued 18 │ Pending approval 6 │ … │ Failed 0 │ Stuck 0". */
interface Counts {
  queued: number;
  pending: number;
  failed: number;
}
function healthCounts(screen: string): Counts | undefined {
  const m = /Queued (\d+) │ Pending approval (\d+) │ Needs retry \d+ │ Failed (\d+)/.exec(screen);
  return m ? { queued: Number(m[1]), pending: Number(m[2]), failed: Number(m[3]) } : undefined;
}

const demoDirs = (tmp: string): string[] => fs.readdirSync(tmp).filter((n) => n.startsWith('agentic-pipeline-demo-'));

afterAll(() => {
  // Also ends a demo left running by a failed assertion (its terminal hangs up; it cleans up).
  if (hasTmux) tmux('kill-server');
});

describe.skipIf(!hasTmux)('npm run demo under tmux', () => {
  it('shows the tabs, moves the books, shows the stalled book on Stuck, and quits to a clean shell, removing its database', { timeout: 240_000 }, async () => {
    const root = tempDir('ap-demo-test-');
    const home = path.join(root, 'home');
    const tmp = path.join(root, 'tmp');
    for (const d of [home, tmp]) fs.mkdirSync(d, { recursive: true });
    const errPath = path.join(root, 'demo.err');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: home,
      XDG_DATA_HOME: path.join(home, '.local/share'),
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_STATE_HOME: path.join(home, '.local/state'),
      XDG_CACHE_HOME: path.join(home, '.cache'),
      TMPDIR: tmp,
      LANG: 'C.UTF-8',
      USER: 'tester',
      NO_COLOR: '1',
    };
    for (const name of ['TMUX', 'TMUX_PANE', 'AGENTIC_PIPELINE_DB', 'AGENTIC_PIPELINE_CONFIG']) delete env[name];
    const started = spawnSync(
      'tmux',
      ['-L', socket, '-f', '/dev/null', 'new-session', '-d', '-s', session, '-x', '110', '-y', '34', 'bash --norc --noprofile'],
      { env, encoding: 'utf8', cwd: root },
    );
    expect(started.status, started.stderr).toBe(0);
    await waitForScreen((s) => s.trim() !== '', 'a shell prompt');
    tmux('send-keys', '-t', session, "PS1='demo$ '; unset HISTFILE", 'Enter'); // no history written into the temp HOME
    await waitFor(/^demo\$/m);
    // What `npm run demo` runs, with stderr kept apart so it can be checked to carry nothing.
    tmux('send-keys', '-t', session, `cd ${ROOT} && node ${CLI} demo 2>${errPath}; echo "demo-exit=$?"`, 'Enter');

    // The console, with every tab, on the alternate screen. (The demo first writes and queues
    // its sample library, real EPUB/PDF files: allow for a slow machine.)
    const first = await waitFor(/1 Health.*2 Stuck.*3 Queue.*4 Batch.*5 Audit/, 60_000);
    expect(paneFlag('alternate_on')).toBe('1');
    // Its temporary database lives under TMPDIR, nowhere else.
    expect(demoDirs(tmp)).toHaveLength(1);
    const demoDir = path.join(tmp, demoDirs(tmp)[0]!);
    expect(fs.existsSync(path.join(demoDir, 'pipeline.db'))).toBe(true);
    expect(first).toContain(path.join(demoDir, 'pipeline.db')); // the status bar names the file

    // Books move: the queue drains, books reach pending approval, the broken files fail.
    const start = healthCounts(await waitForScreen((s) => healthCounts(s) !== undefined, 'the Health counters'))!;
    await waitForScreen(
      (s) => {
        const now = healthCounts(s);
        return now !== undefined && now.queued < start.queued && now.pending > start.pending;
      },
      `the queue shrinking below ${start.queued} and pending approval growing above ${start.pending}`,
      120_000,
    );
    await waitForScreen((s) => (healthCounts(s)?.failed ?? 0) >= 1, 'a broken sample file failing', 120_000);

    // The crashed worker's book: once its 20 s lease runs out it is stuck, counted on the tab bar
    // and listed on the Stuck tab with the reason.
    await waitFor(/2 Stuck \(1\)/, 120_000);
    await press('2');
    await waitFor(/\[2 Stuck \(1\)\]/);
    await waitFor(/[0-9a-f]{8} hashing .* lease expired .*\.\w+/);

    // The Batch tab counts the books waiting for approval.
    await press('4');
    await waitFor(/\[4 Batch \(\d+ pending\)\]/);

    await press('q');
    // Back in the shell on the normal screen; the demo said it removed its database, and did.
    // (Not anchored at the line start: with -J output can join a wrapped command line.)
    const after = await waitFor(/demo-exit=0$/m, 60_000);
    expect(after).toContain(`demo: removed ${path.join(demoDir, 'pipeline.db')} (use --keep to keep it)`);
    expect(after).not.toMatch(/1 Health/);
    expect(paneFlag('alternate_on')).toBe('0');
    expect(paneFlag('cursor_flag')).toBe('1'); // the cursor Ink hid is shown again
    tmux('send-keys', '-t', session, 'echo done-$((1+1))-marker', 'Enter');
    await waitFor(/^done-2-marker$/m);

    expect(fs.existsSync(demoDir)).toBe(false);
    expect(demoDirs(tmp)).toEqual([]);
    // Nothing in the user's data folder (no default database was created), nothing on stderr.
    expect(fs.existsSync(path.join(home, '.local/share/agentic-pipeline'))).toBe(false);
    expect(fs.readFileSync(errPath, 'utf8')).toBe('');
  });
});
