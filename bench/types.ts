/**
 * The contract between `bench/run.ts` and its section modules. A section is any file
 * `bench/sections/<name>.ts` whose default export is a `BenchSection`; run.ts finds them by
 * reading `dist/bench/sections/`, so adding one needs no edit elsewhere.
 */

import fs from 'node:fs';

export interface BenchContext {
  /**
   * A database with `pipelines` pipelines made by bench/generate.ts. Each section gets its own
   * fresh copy, so it may mutate it freely; the copy is deleted after the section.
   */
  dbPath: string;
  /** The cached, pristine database (read it, never write it; use `dbPath` to mutate). */
  sourceDbPath: string;
  /** How many pipelines the database holds. */
  pipelines: number;
  /** A scratch folder for this section, removed afterwards. */
  tmpDir: string;
  /** Progress notes (printed to stderr, indented under the section name). */
  log(message: string): void;
}

export interface BenchResult {
  /** What was measured, e.g. "claims/s, 1 process". */
  name: string;
  value: number;
  /** e.g. "ops/s", "ms". */
  unit: string;
  /** The goal, e.g. ">= 20000" or "<= 2" (the comparison decides pass/fail in the table). */
  goal?: string;
  note?: string;
}

export type BenchSection = (ctx: BenchContext) => Promise<BenchResult[]>;

/** Whether `value` meets a goal like ">= 20000", "<= 2", "== 0" (undefined when no goal). */
export function meetsGoal(value: number, goal: string | undefined): boolean | undefined {
  if (!goal) return undefined;
  const m = /^\s*(>=|<=|==|<|>)\s*(-?[\d_.]+)/.exec(goal);
  if (!m) return undefined;
  const target = Number(m[2]!.replace(/_/g, ''));
  switch (m[1]) {
    case '>=':
      return value >= target;
    case '<=':
      return value <= target;
    case '==':
      return value === target;
    case '<':
      return value < target;
    case '>':
      return value > target;
  }
  return undefined;
}

/**
 * Copies a database and flushes the copy to disk before anything is timed on it: otherwise the
 * first fsync a measured operation makes (a WAL checkpoint) also waits for gigabytes of the
 * copy's own writeback, which is no part of the operation.
 */
export function copyDatabaseForBench(from: string, to: string): void {
  fs.copyFileSync(from, to);
  flushToDisk(to);
}

/** Waits until the file's data is on disk, so its writeback cannot land inside a timing. */
export function flushToDisk(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The median (mean of the middle two for an even count); NaN for no values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
