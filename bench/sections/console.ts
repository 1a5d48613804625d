/**
 * Console bench on the generated database (ctx.dbPath, 1M pipelines by default).
 *
 * - start to first frame: the real CLI in a real terminal (tmux, 100×30, a pty): time from
 *   spawning tmux to the first frame with data on screen ("Status …" on the Health tab), by
 *   polling capture-pane every 5 ms. Without tmux this result is left out (noted).
 * - resident memory of that process after visiting every tab and jumping to the end of the queue
 *   (G), from /proc/<pid>/status VmRSS.
 * - poll + render per refresh, in-process: the console rendered by Ink to a fake TTY stdout;
 *   another connection claims one book, then Poller.poll() runs and we wait for Ink's write.
 *   Median over 30 refreshes on the Queue tab at the END of a 1M queue (the deepest window) and
 *   on the Health tab.
 * - bytes written per idle refresh: 20 timer ticks with no writes anywhere, bytes Ink wrote.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { median, type BenchContext, type BenchResult } from '../types.js';
import { createServices } from '../../src/services.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(ROOT, 'dist/bin/agentic-pipeline.js');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class FakeTty extends Writable {
  readonly isTTY = true;
  readonly columns = 100;
  readonly rows = 30;
  bytes = 0;
  writes = 0;
  private readonly events = new EventEmitter();
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.bytes += Buffer.byteLength(chunk);
    this.writes++;
    this.events.emit('wrote');
    cb();
  }
  nextWrite(timeoutMs = 2000): Promise<boolean> {
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.events.once('wrote', () => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }
}

class FakeStdin extends EventEmitter {
  readonly isTTY = false;
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
  read(): null {
    return null;
  }
}

async function realTerminal(ctx: BenchContext): Promise<BenchResult[]> {
  if (spawnSync('tmux', ['-V']).status !== 0) {
    ctx.log('tmux not found: start-to-first-frame and RSS of a real process not measured');
    return [];
  }
  const socket = `ap-bench-${process.pid}`;
  const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  const capture = () => tmux('capture-pane', '-p', '-t', 'b').stdout;
  const env: NodeJS.ProcessEnv = { ...process.env, LANG: 'C.UTF-8', NO_COLOR: '1' };
  delete env.TMUX;
  const results: BenchResult[] = [];
  const starts: number[] = [];
  let rssMb = NaN;
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now();
    spawnSync('tmux', ['-L', socket, 'new-session', '-d', '-s', 'b', '-x', '100', '-y', '30', `node ${CLI} --db ${ctx.dbPath}`], { env });
    let first = NaN;
    while (performance.now() - t0 < 15_000) {
      if (/Status (HEALTHY|DEGRADED|UNHEALTHY)/.test(capture())) {
        first = performance.now() - t0;
        break;
      }
      await sleep(5);
    }
    starts.push(first);
    if (run === 2) {
      const pid = Number(tmux('list-panes', '-t', 'b', '-F', '#{pane_pid}').stdout.trim());
      for (const k of ['2', '3', 'G', '4', '5', '1']) {
        tmux('send-keys', '-t', 'b', k);
        await sleep(400);
      }
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      rssMb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
    }
    tmux('kill-server');
    await sleep(100);
  }
  results.push({
    name: 'console start to first frame with data (real process, tmux pty)',
    value: Math.round(median(starts)),
    unit: 'ms',
    goal: '<= 500',
    note: `median of 3: ${starts.map((s) => Math.round(s)).join(', ')} ms (tmux spawn included)`,
  });
  results.push({ name: 'console resident memory after every tab and G', value: Math.round(rssMb), unit: 'MB', goal: '<= 200', note: 'VmRSS' });
  return results;
}

async function inProcess(ctx: BenchContext): Promise<BenchResult[]> {
  // As bin/ does for users: React's production build (must be set before React loads).
  process.env.NODE_ENV ??= 'production';
  const { render } = await import('ink');
  const { createElement } = await import('react');
  const { createConsoleStores } = await import('../../store/stores.js');
  const { ConsoleController } = await import('../../screens/controller.js');
  const { ConsoleApp } = await import('../../screens/App.js');
  const { makeTheme, ThemeProvider } = await import('../../components/theme.js');
  const { keepControlSequencesOff } = await import('../../screens/terminal.js');
  // Ink's cursor handling writes ESC[?25h to stderr at exit; the bench's stderr is its log.
  keepControlSequencesOff(process.stderr);
  const services = createServices(ctx.dbPath);
  const writer = createServices(ctx.dbPath);
  const stores = createConsoleStores('queue');
  const controller = new ConsoleController({ services, stores, actor: 'human:bench', readOnly: false, refreshMs: 2000 });
  const stdout = new FakeTty();
  const instance = render(
    createElement(ThemeProvider, { theme: makeTheme({ colour: false, ascii: false }) }, createElement(ConsoleApp, { controller, dbPath: ctx.dbPath, readOnly: false })),
    { stdout: stdout as unknown as NodeJS.WriteStream, stdin: new FakeStdin() as unknown as NodeJS.ReadStream, maxFps: 1000, exitOnCtrlC: false, patchConsole: false },
  );
  const results: BenchResult[] = [];
  try {
    controller.poller.poll({ force: true });
    await stdout.nextWrite();
    controller.run('list.bottom');
    await stdout.nextWrite();
    const measure = async (label: string, note: string) => {
      const times: number[] = [];
      const polls: number[] = [];
      for (let i = 0; i < 30; i++) {
        writer.queue.claimNext('bench-w', 60_000);
        const t0 = performance.now();
        const wrote = stdout.nextWrite();
        const r = await controller.poller.poll();
        polls.push(r.ms);
        await wrote;
        times.push(performance.now() - t0);
      }
      results.push({ name: `poll + render per refresh, ${label}`, value: Math.round(median(times) * 10) / 10, unit: 'ms', goal: '<= 50', note: `${note}; poll alone p50 ${median(polls).toFixed(1)} ms` });
    };
    await measure('Queue tab at the end of the queue', 'in-process, Ink to a fake 100x30 TTY, one claim by another connection before each');
    controller.switchTab('health');
    await stdout.nextWrite();
    await measure('Health tab', 'in-process, as above');

    // Idle: nothing writes; the timer ticks.
    await sleep(50);
    const before = stdout.bytes;
    for (let i = 0; i < 20; i++) {
      controller.poller.tick();
      await sleep(5);
    }
    await sleep(50);
    results.push({
      name: 'bytes written per idle refresh',
      value: (stdout.bytes - before) / 20,
      unit: 'bytes',
      goal: '== 0',
      note: 'in-process, 20 ticks with data_version unchanged',
    });
    results.push({ name: 'in-process heap after the above', value: Math.round(process.memoryUsage().heapUsed / 1048576), unit: 'MB', note: 'bench process, for reference' });
  } finally {
    controller.poller.stop();
    instance.unmount();
    services.close();
    writer.close();
  }
  return results;
}

export default async function consoleBench(ctx: BenchContext): Promise<BenchResult[]> {
  ctx.log(`console on ${ctx.pipelines.toLocaleString('en-US')} pipelines`);
  const real = await realTerminal(ctx);
  const inproc = await inProcess(ctx);
  return [...real, ...inproc];
}
