/**
 * Opens the console on a terminal. `bin/` imports this lazily, after mapping NO_COLOR, and only
 * when stdout and stdin are TTYs (Ink never renders into a pipe).
 *
 * One exit path: q / Ctrl-C (or a signal) → controller.quit() stops the poller and unmounts Ink;
 * then, here, the database is closed and the alternate screen left, so the shell gets back the
 * terminal as it was.
 */
import { render } from 'ink';
import type { Actor } from '../src/domain/actor.js';
import { openServices, type Services } from '../src/services.js';
import { detectTheme, ThemeProvider } from '../components/theme.js';
import { createConsoleStores } from '../store/stores.js';
import { ConsoleController } from './controller.js';
import { ConsoleApp } from './App.js';
import { HANGUP_EXIT_CODE, openTerminalSession } from './terminal.js';

export interface ConsoleOptions {
  dbPath: string;
  actor: Actor;
  refreshSeconds: number;
  readOnly: boolean;
  /** Already-open services (the demo); closed by the caller. Default: open `dbPath` here. */
  services?: Services;
}

/**
 * Resolves with 0 after q / Ctrl-C. When the terminal hung up (SIGHUP), a console that opened its
 * own database ends the process by the signal once it is closed (see `exitByHangup`); with
 * `options.services` it resolves with HANGUP_EXIT_CODE and the caller, after its own cleanup,
 * must call `exitByHangup()` rather than return to a normal exit.
 */
export async function runConsole(options: ConsoleOptions): Promise<number> {
  // A SQLite path or a PostgreSQL URL; the console reads both through the same engine operations.
  const services = options.services ?? (await openServices(options.dbPath, { readonly: options.readOnly }));
  const controller = new ConsoleController({
    services,
    stores: createConsoleStores(),
    actor: options.actor,
    readOnly: options.readOnly,
    refreshMs: Math.max(100, Math.round(options.refreshSeconds * 1000)),
    ...recheckFromEnv(process.env),
  });
  const session = openTerminalSession({ stdout: process.stdout, onSignal: () => controller.quit() });
  try {
    const instance = render(
      <ThemeProvider theme={detectTheme(process.env)}>
        <ConsoleApp controller={controller} dbPath={shownLocation(services)} readOnly={options.readOnly} />
      </ThemeProvider>,
      // Not `incrementalRendering`: in Ink 6.8 its diff moves the cursor up one line too few when
      // the previous frame ended with a newline (always, at height rows - 1), so every update
      // is drawn one row lower and the screen scrolls (seen under tmux 3.3). Standard rendering
      // rewrites the frame only when it changed; idle refreshes change nothing and write nothing.
      // `exitOnCtrlC` is off: Ctrl-C is a keymap binding (`global.forceQuit`) that goes through
      // the single exit path (stop the poller, unmount, then close the database here).
      { incrementalRendering: false, maxFps: 10, exitOnCtrlC: false, patchConsole: true },
    );
    controller.poller.start();
    await instance.waitUntilExit();
  } finally {
    controller.poller.stop();
    if (!options.services) services.close();
    session.close();
    // Stop reading the terminal: keys typed from now on belong to the shell, not to us.
    process.stdin.pause();
  }
  if (!session.hungUp) return 0;
  if (!options.services) session.exitAfterHangup();
  return HANGUP_EXIT_CODE;
}

/** What the status bar names: the file path, or the server URL without its password. */
function shownLocation(services: Services): string {
  return services.engine.kind === 'sqlite' ? services.dbPath : services.engine.location;
}

/**
 * Test hook: AGENTIC_PIPELINE_TEST_RECHECK_MS lengthens the poller's periodic re-check, so an
 * end-to-end test proves a change reached the screen through the engine's change version
 * (data_version, LISTEN/NOTIFY) and not through the timed re-read.
 */
function recheckFromEnv(env: NodeJS.ProcessEnv): { recheckMs?: number } {
  const ms = Number(env.AGENTIC_PIPELINE_TEST_RECHECK_MS);
  return Number.isFinite(ms) && ms > 0 ? { recheckMs: ms } : {};
}
