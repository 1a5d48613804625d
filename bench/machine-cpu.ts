/**
 * How busy the whole machine was between two moments, in cores, from /proc/stat (Linux; elsewhere
 * undefined). The claims runs report it beside their rate: on a 2-core VM where the database and
 * its claimers share the cores, a 4-process run at ~1.95 of 2 cores busy is bound by the machine,
 * not by the queue, and that is what its 4 / 1 ratio then measures.
 */
import fs from 'node:fs';
import os from 'node:os';

export interface CpuSnapshot {
  busy: number;
  all: number;
}

export function cpuSnapshot(): CpuSnapshot | undefined {
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal …: idle and iowait are the idle time.
    const idle = fields[3]! + (fields[4] ?? 0);
    const all = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: all - idle, all };
  } catch {
    return undefined;
  }
}

/** Cores busy on average between `a` and `b` (0 … os.cpus().length). */
export function busyCores(a: CpuSnapshot | undefined, b: CpuSnapshot | undefined): number | undefined {
  if (!a || !b || b.all <= a.all) return undefined;
  return ((b.busy - a.busy) / (b.all - a.all)) * os.cpus().length;
}
