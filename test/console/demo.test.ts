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
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { hasTmux, isolatedEnv, Tmux, type ScreenTest } from '../helpers/tmux.js';

if (!hasTmux) console.warn('demo: tmux is not installed, skipping the real-terminal demo test (CI installs it)');

const tmuxServer = new Tmux(`ap-demo-${process.pid}`);
const session = 'demo';
const paneFlag = (name: string): string => tmuxServer.paneFlag(session, name);
const waitForScreen = (test: ScreenTest, what: string, timeoutMs?: number) => tmuxServer.waitFor(session, test, what, timeoutMs);
const waitFor = (text: string | RegExp, timeoutMs?: number) => tmuxServer.waitFor(session, text, String(text), timeoutMs);
const press = (...keys: string[]) => tmuxServer.press(session, ...keys);

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
  if (hasTmux) tmuxServer.killServer();
});

describe.skipIf(!hasTmux)('npm run demo under tmux', () => {
  it('shows the tabs, moves the books, shows the stalled book on Stuck, and quits to a clean shell, removing its database', { timeout: 240_000 }, async () => {
    const root = tempDir('ap-demo-test-');
    const home = path.join(root, 'home');
    const tmp = path.join(root, 'tmp');
    for (const d of [home, tmp]) fs.mkdirSync(d, { recursive: true });
    const errPath = path.join(root, 'demo.err');
    const env = isolatedEnv({
      HOME: home,
      XDG_DATA_HOME: path.join(home, '.local/share'),
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_STATE_HOME: path.join(home, '.local/state'),
      XDG_CACHE_HOME: path.join(home, '.cache'),
      TMPDIR: tmp,
      NO_COLOR: '1',
    });
    await tmuxServer.startShell(session, { cols: 110, rows: 34, env, cwd: root, prompt: 'demo$ ' });
    // What `npm run demo` runs, with stderr kept apart so it can be checked to carry nothing.
    tmuxServer.type(session, `cd ${ROOT} && node ${CLI} demo 2>${errPath}; echo "demo-exit=$?"`);

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
    // (The demo keeps stalling a book now and then, so there may be more than one by now.)
    await waitFor(/2 Stuck \(\d+\)/, 120_000);
    await press('2');
    await waitFor(/\[2 Stuck \(\d+\)\]/);
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
    tmuxServer.type(session, 'echo done-$((1+1))-marker');
    await waitFor(/^done-2-marker$/m);

    expect(fs.existsSync(demoDir)).toBe(false);
    expect(demoDirs(tmp)).toEqual([]);
    // Nothing in the user's data folder (no default database was created), nothing on stderr.
    expect(fs.existsSync(path.join(home, '.local/share/agentic-pipeline'))).toBe(false);
    expect(fs.readFileSync(errPath, 'utf8')).toBe('');
  });
});
