/** Stand-ins for the process and its streams, for terminal-session tests that must not touch the real ones. */
import { EventEmitter } from 'node:events';
import { vi } from 'vitest';
import type { TerminalStream } from '../../screens/terminal.js';

/** A stream that records what is written; `isTTY` and the size are what the code under test reads. */
export class FakeTty extends EventEmitter implements TerminalStream {
  written: string[] = [];
  constructor(
    public isTTY: boolean,
    public columns = 120,
    public rows = 40,
  ) {
    super();
  }
  write(data: string): boolean {
    this.written.push(data);
    return true;
  }
}

/** The process's signal and exit surface, with exit and kill recorded instead of done. */
export class FakeProcess extends EventEmitter {
  readonly pid = 4242;
  exit = vi.fn();
  kill = vi.fn();
}
