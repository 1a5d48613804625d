/**
 * A real terminal for end-to-end tests: a private tmux server (its own socket, no tmux.conf), keys
 * in through send-keys, the screen back through capture-pane. Every wait polls the screen against
 * a deadline; nothing asserts speed.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';

export const hasTmux = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type ScreenTest = string | RegExp | ((screen: string) => boolean);

export interface SessionOptions {
  readonly cols: number;
  readonly rows: number;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export class Tmux {
  constructor(readonly socket: string) {}

  /** tmux on this server; -f /dev/null keeps the machine's or user's tmux.conf out of the pane. */
  run(...args: string[]): SpawnSyncReturns<string> {
    return spawnSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  }

  /** The visible pane, wrapped lines joined (long paths stay on one line). */
  capture(target: string): string {
    return this.run('capture-pane', '-p', '-J', '-t', target).stdout;
  }

  /** A pane format variable, e.g. alternate_on or cursor_flag. */
  paneFlag(target: string, name: string): string {
    return this.run('display-message', '-p', '-t', target, `#{${name}}`).stdout.trim();
  }

  async waitFor(target: string, test: ScreenTest, what = String(test), timeoutMs = 30_000): Promise<string> {
    const matches = (s: string) => (typeof test === 'string' ? s.includes(test) : test instanceof RegExp ? test.test(s) : test(s));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.capture(target);
      if (matches(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`tmux: never saw ${what} within ${timeoutMs} ms. Screen:\n${screen}`);
      await sleep(100);
    }
  }

  /** One key per send-keys, as a person types (tmux would otherwise deliver several in one read). */
  async press(target: string, ...keys: string[]): Promise<void> {
    for (const k of keys) {
      this.run('send-keys', '-t', target, k);
      await sleep(30);
    }
  }

  /** Types a command line and presses Enter. */
  type(target: string, line: string): void {
    this.run('send-keys', '-t', target, line, 'Enter');
  }

  /**
   * A new session running bash (no rc files) in `cwd` with `env`, its prompt set to `prompt`
   * and no history file (bash would write one into the test's HOME when the server is killed);
   * resolves once the prompt shows.
   */
  async startShell(session: string, options: SessionOptions & { prompt: string }): Promise<void> {
    this.newSession(session, 'bash --norc --noprofile', options);
    await this.waitFor(session, (s) => s.trim() !== '', 'a shell');
    this.type(session, `PS1='${options.prompt}'; unset HISTFILE`);
    const escaped = options.prompt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    await this.waitFor(session, new RegExp(`^${escaped}`, 'm'), 'the shell prompt');
  }

  /** A detached session running `command` (a shell command line) in a pane of `cols`×`rows`. */
  newSession(session: string, command: string, options: SessionOptions): void {
    const started = spawnSync(
      'tmux',
      ['-L', this.socket, '-f', '/dev/null', 'new-session', '-d', '-s', session, '-x', String(options.cols), '-y', String(options.rows), command],
      { env: options.env, encoding: 'utf8', cwd: options.cwd },
    );
    if (started.status !== 0) throw new Error(`tmux new-session failed: ${started.stderr}`);
  }

  killServer(): void {
    this.run('kill-server');
  }
}

/** The environment for a console under test: the caller's, minus anything naming a real database or tmux. */
export function isolatedEnv(overrides: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LANG: 'C.UTF-8', USER: 'tester', ...overrides };
  for (const name of ['TMUX', 'TMUX_PANE', 'AGENTIC_PIPELINE_DB', 'AGENTIC_PIPELINE_CONFIG']) delete env[name];
  return env;
}
