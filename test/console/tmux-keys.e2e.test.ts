/**
 * Issue #11 in a real terminal, at 80×24 and 120×35: keys that arrive in one read (tmux
 * `send-keys -l`, as key repeat over SSH or a paste delivers them) are all handled, and the Batch
 * tab approves nothing when the form no longer matches the preview. Skipped without tmux.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createServices } from '../../src/services.js';
import { CLI, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { hasTmux, isolatedEnv, Tmux } from '../helpers/tmux.js';
import { buildFixture } from './fixtures.js';

if (!hasTmux) console.warn('tmux-keys.e2e: tmux is not installed, skipping');

const tmux = new Tmux(`ap-keys-${process.pid}`);
afterAll(() => {
  if (hasTmux) tmux.killServer();
});

/** The selected row's index among the table rows (the line after the header is row 0). */
function cursorRow(screen: string): number {
  const lines = screen.split('\n');
  const header = lines.findIndex((l) => /^ +ID +P STATE/.test(l));
  const cursor = lines.findIndex((l) => l.startsWith('›'));
  return header < 0 || cursor < 0 ? -1 : cursor - header - 1;
}

describe.skipIf(!hasTmux).each([
  [80, 24],
  [120, 35],
])('at %ix%i', (cols, rows) => {
  it('a burst of jjjjj moves 5 rows, a pasted filter with Enter applies, and a stale Batch preview approves nothing', { timeout: 90_000 }, async () => {
    const session = `keys-${cols}`;
    const dbPath = path.join(tempDir(), 'pipeline.db');
    const fx = buildFixture(dbPath, { pending: 9, queued: 12 });
    for (let i = 0; i < 3; i++) {
      fx.services.db.transaction(() => fx.services.pipelines.insert({ source_path: `/library/batch2/pasted-${i}.epub`, priority: 9, actor: 'system:test' }))();
    }
    fx.services.close();
    await tmux.startShell(session, { cols, rows, env: isolatedEnv({ NO_COLOR: '1' }), cwd: ROOT, prompt: 'keys$ ' });
    tmux.type(session, `node ${CLI} --db ${dbPath}`);
    await tmux.waitFor(session, /\[1 Health/);

    // Queue: five j's in one read move five rows.
    await tmux.press(session, '3');
    await tmux.waitFor(session, (s) => cursorRow(s) === 0, 'the cursor on the first queued book');
    tmux.run('send-keys', '-t', session, '-l', 'jjjjj');
    await tmux.waitFor(session, (s) => cursorRow(s) === 5, 'the cursor 5 rows down');

    // A pasted filter and its Enter in one read: applied, prompt closed.
    await tmux.press(session, '/');
    await tmux.waitFor(session, 'Enter submit  Esc cancel');
    tmux.run('send-keys', '-t', session, '-l', '*/batch2/*\r');
    const filtered = await tmux.waitFor(session, /1–3 of 3/, 'the queue filtered to 3 books');
    expect(filtered).not.toContain('Enter submit  Esc cancel');
    expect(filtered).toContain('pasted-0.epub');

    // Batch: set State to failed after a preview of 9 books; a then y approves nothing.
    await tmux.press(session, 'Escape', '4');
    await tmux.waitFor(session, 'Preview: 9 books match');
    await tmux.press(session, 'j', 'j', 'j', 'Enter');
    await tmux.waitFor(session, 'State:');
    await tmux.press(session, 'C-u');
    tmux.run('send-keys', '-t', session, '-l', 'failed');
    await tmux.press(session, 'Enter');
    await tmux.waitFor(session, 'Nothing can be approved or rejected.');
    await tmux.press(session, 'a');
    await tmux.waitFor(session, 'approve: refused, no preview');
    await tmux.press(session, 'y');
    await tmux.press(session, 'q');
    await tmux.waitFor(session, /^keys\$ $/m, 'the shell prompt');

    const s = createServices(dbPath, { readonly: true });
    try {
      expect(s.pipelines.countsByState().approved ?? 0).toBe(0);
      expect(s.pipelines.countsByState().pending_approval).toBe(9);
    } finally {
      s.close();
    }
  });
});
