/**
 * `health --watch` in a real 80x24 terminal (tmux): a report longer than the screen (ten
 * workers, three alerts) is redrawn in place, status and alerts first, detail rows dropped to
 * fit; after Ctrl-C the shell's scrollback holds no copy of any frame. Redraws are waited for
 * as events (a book queued from outside shows up on screen), never slept for.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createServices } from '../../src/services.js';
import { CLI, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { hasTmux, isolatedEnv, Tmux } from '../helpers/tmux.js';

const tmux = new Tmux(`ap-health-watch-${process.pid}`);
const session = 'watch';
const PROMPT = 'hw$ ';

afterAll(() => {
  if (hasTmux) tmux.killServer();
});

/** The whole pane history plus the screen (what a person scrolls back through). */
const scrollback = () => tmux.run('capture-pane', '-p', '-J', '-S', '-', '-E', '-', '-t', session).stdout;
const count = (s: string, what: string) => s.split(what).length - 1;

describe.skipIf(!hasTmux)('health --watch under tmux at 80x24', () => {
  it('redraws in place with status and alerts on top, fits the screen, and leaves no copy in the scrollback', async () => {
    const db = path.join(tempDir('ap-health-watch-'), 'pipeline.db');
    const s = createServices(db);
    // Ten running workers and two dead ones (lost), a stuck book, queued books: a long report.
    const now = s.clock();
    for (let i = 0; i < 10; i++) s.queue.register(`live-worker-${i}`, { leaseMs: 3_600_000 });
    for (let i = 0; i < 2; i++) {
      s.queue.register(`dead-worker-${i}`, { leaseMs: 3_000 });
      s.db.prepare('UPDATE workers SET heartbeat_at = ? WHERE id = ?').run(now - 60_000, `dead-worker-${i}`);
    }
    s.db.transaction(() => {
      for (let i = 0; i < 3; i++) s.pipelines.insert({ source_path: `/library/watch/book-${i}.txt`, priority: 1 + i, actor: 'system:test' });
    })();
    const stalled = s.queue.claimNext('dead-worker-0', 3_000)!;
    s.db.prepare('UPDATE pipelines SET lease_expires_at = ? WHERE id = ?').run(now - 50_000, stalled.pipeline.id);

    await tmux.startShell(session, { cols: 80, rows: 24, env: isolatedEnv({ NO_COLOR: '1' }), cwd: ROOT, prompt: PROMPT });
    tmux.type(session, `node ${CLI} health --db ${db} --watch --interval 0.3`);
    let screen = await tmux.waitFor(session, 'Pipeline Health · Status: DEGRADED', 'the first frame');
    expect(tmux.paneFlag(session, 'alternate_on')).toBe('1');
    let lines = screen.split('\n');
    expect(lines[0]).toBe('Pipeline Health · Status: DEGRADED');
    expect(lines[1]).toBe('Alerts:');
    expect(lines[2]).toMatch(/^ {2}\[warning\] 1 pipeline stuck/);
    expect(lines[3]).toMatch(/^ {2}\[warning\] 2 workers lost/);
    expect(screen).toContain('  Queued:     2 (waiting)');
    expect(screen).toMatch(/Ctrl-C to stop/);
    // Every line fits the 80 columns (nothing wrapped onto a second row).
    expect(tmux.run('capture-pane', '-p', '-t', session).stdout.split('\n').every((l) => l.length <= 80)).toBe(true);

    // Redraws are events: queue books from another connection and watch the count move.
    for (const n of [3, 4, 5]) {
      s.db.transaction(() => s.pipelines.insert({ source_path: `/library/watch/more-${n}.txt`, priority: 5, actor: 'system:test' }))();
      screen = await tmux.waitFor(session, `  Queued:     ${n} (waiting)`, `the redraw showing ${n} queued`);
    }
    lines = screen.split('\n');
    expect(lines[0]).toBe('Pipeline Health · Status: DEGRADED');
    // Detail rows gave way: not all twelve worker lines fit, but the summary line did.
    expect(screen).toContain('  Workers:    10 running, 2 LOST');
    expect(count(screen, 'live-worker-')).toBeLessThan(10);
    // Lost workers are the last worker lines to go.
    expect(screen).toMatch(/dead-worker-0 +LOST \(heartbeat \d+s ago, lease 3s\), 1 book stuck/);
    expect(screen).toMatch(/dead-worker-1 +LOST/);

    // Nothing of the frames reached the scrollback while watching …
    expect(count(scrollback(), 'Pipeline Health')).toBe(1);
    tmux.run('send-keys', '-t', session, 'C-c');
    await tmux.waitFor(session, (x) => x.trimEnd().endsWith(PROMPT.trimEnd()), 'the prompt after Ctrl-C');
    expect(tmux.paneFlag(session, 'alternate_on')).toBe('0');
    // … nor after: the shell has its screen back with no copy of a frame.
    const history = scrollback();
    expect(count(history, 'Pipeline Health')).toBe(0);
    expect(count(history, 'Queued:')).toBe(0);
    expect(tmux.paneFlag(session, 'cursor_flag')).toBe('1');
    s.close();
  });
});
