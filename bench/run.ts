/**
 * The benchmark harness: `npm run bench [-- --pipelines N] [--only SECTION] [--regenerate]`.
 *
 * 1. Generates a database of N pipelines (default 1,000,000) with bench/generate.ts, cached under
 *    .bench/ (git-ignored) and reused while the schema and generator are unchanged.
 * 2. Runs every section module in dist/bench/sections/*.js (found by readdir, so a new
 *    bench/sections/<name>.ts needs no edit here), each on its own fresh copy of the database.
 * 3. Prints a table and writes .bench/results.json with the machine it ran on.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { generate } from './generate.js';
import { MIGRATIONS } from '../src/db/migrations.js';
import type { BenchContext, BenchResult, BenchSection } from './types.js';
import { copyDatabaseForBench, flushToDisk, meetsGoal } from './types.js';

/** Bump when generate.ts changes what it produces, so cached databases are rebuilt. */
const GENERATOR_VERSION = 3;

const HERE = path.dirname(fileURLToPath(import.meta.url)); // dist/bench
const ROOT = path.resolve(HERE, '../..');
const BENCH_DIR = path.join(ROOT, '.bench');

interface Args {
  pipelines: number;
  only: string[];
  seed: number;
  auditPerPipeline: number;
  regenerate: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { pipelines: 1_000_000, only: [], seed: 1, auditPerPipeline: 3, regenerate: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const whole = () => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < 0) throw new Error(`${flag} needs a whole number`);
      return v;
    };
    switch (flag) {
      case '--pipelines': a.pipelines = whole(); break;
      case '--only': a.only.push(...value().split(',')); break;
      case '--seed': a.seed = whole(); break;
      case '--audit-per-pipeline': a.auditPerPipeline = whole(); break;
      case '--regenerate': a.regenerate = true; break;
      default:
        throw new Error(`unknown flag '${arg}' (usage: bench [--pipelines N] [--only SECTION] [--seed S] [--audit-per-pipeline K] [--regenerate])`);
    }
  }
  if (a.pipelines < 1) throw new Error('--pipelines must be at least 1');
  return a;
}

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  let sqlite = 'unknown';
  try {
    const db = new Database(':memory:');
    sqlite = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
    db.close();
  } catch {
    // leave unknown
  }
  return {
    cpu_model: cpus[0]?.model ?? 'unknown',
    cores: os.availableParallelism?.() ?? cpus.length,
    memory_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    sqlite,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  };
}

const fmt = (v: number): string =>
  Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(3);

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  const log = (m: string) => process.stderr.write(`${m}\n`);

  const sectionsDir = path.join(HERE, 'sections');
  const available = fs.existsSync(sectionsDir)
    ? fs.readdirSync(sectionsDir).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3)).sort()
    : [];
  const unknown = args.only.filter((o) => !available.includes(o));
  if (unknown.length) throw new Error(`no bench section named ${unknown.join(', ')} (have: ${available.join(', ') || 'none'})`);
  const chosen = args.only.length ? available.filter((s) => args.only.includes(s)) : available;

  const cached = path.join(
    BENCH_DIR,
    `pipelines-${args.pipelines}-seed${args.seed}-audit${args.auditPerPipeline}-schema${MIGRATIONS.length}-gen${GENERATOR_VERSION}.db`,
  );
  let generateSeconds: number | null = null;
  if (args.regenerate || !fs.existsSync(cached)) {
    log(`generating ${args.pipelines.toLocaleString('en-US')} pipelines into ${path.relative(ROOT, cached)} …`);
    const report = generate({
      dbPath: cached,
      pipelines: args.pipelines,
      seed: args.seed,
      auditPerPipeline: args.auditPerPipeline,
      force: true,
      log: (m) => log(`  generate: ${m}`),
    });
    generateSeconds = report.seconds;
    // Flush the new file now, so its writeback does not land inside the first section's timings.
    flushToDisk(cached);
  } else {
    log(`reusing ${path.relative(ROOT, cached)} (--regenerate to rebuild)`);
  }

  const results: Record<string, { results: BenchResult[]; seconds: number; error?: string }> = {};
  const tmpRoot = path.join(BENCH_DIR, 'tmp');
  fs.mkdirSync(tmpRoot, { recursive: true });
  for (const name of chosen) {
    log(`\n[${name}]`);
    const tmpDir = fs.mkdtempSync(path.join(tmpRoot, `${name}-`));
    const dbPath = path.join(tmpDir, 'bench.db');
    copyDatabaseForBench(cached, dbPath);
    const ctx: BenchContext = {
      dbPath,
      sourceDbPath: cached,
      pipelines: args.pipelines,
      tmpDir,
      log: (m) => log(`  ${m}`),
    };
    const t0 = performance.now();
    try {
      const mod = (await import(pathToFileURL(path.join(sectionsDir, `${name}.js`)).href)) as { default?: BenchSection };
      if (typeof mod.default !== 'function') throw new Error(`bench/sections/${name} has no default export function`);
      results[name] = { results: await mod.default(ctx), seconds: (performance.now() - t0) / 1000 };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log(`  FAILED: ${message}`);
      results[name] = { results: [], seconds: (performance.now() - t0) / 1000, error: message };
    } finally {
      fs.rmSync(tmpDir, { recursive: true, force: true });
    }
  }

  // The table.
  const rows: string[][] = [['SECTION', 'MEASURE', 'VALUE', 'UNIT', 'GOAL', '']];
  for (const [name, r] of Object.entries(results)) {
    if (r.error) rows.push([name, 'ERROR: ' + r.error.slice(0, 60), '', '', '', 'FAIL']);
    for (const x of r.results) {
      // No value (an engine without the operation yet, a skipped engine): say why instead.
      if (Number.isNaN(x.value)) {
        rows.push([name, x.name, 'n/a', x.unit, x.goal ?? '', x.note ?? '']);
        continue;
      }
      const ok = meetsGoal(x.value, x.goal);
      rows.push([name, x.name, fmt(x.value), x.unit, x.goal ?? '', ok === undefined ? '' : ok ? 'ok' : 'MISS']);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const out = rows
    .map((r) => r.map((c, i) => (i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd())
    .join('\n');
  process.stdout.write(`\n${out}\n`);
  if (generateSeconds !== null) process.stdout.write(`\ngenerated ${args.pipelines.toLocaleString('en-US')} pipelines in ${generateSeconds.toFixed(1)} s\n`);

  const file = path.join(BENCH_DIR, 'results.json');
  const doc = {
    at: new Date().toISOString(),
    machine: machine(),
    pipelines: args.pipelines,
    seed: args.seed,
    audit_per_pipeline: args.auditPerPipeline,
    database: { file: path.relative(ROOT, cached), bytes: fs.statSync(cached).size, generate_seconds: generateSeconds },
    sections: results,
  };
  fs.writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  process.stdout.write(`results: ${path.relative(ROOT, file)}\n`);
  return Object.values(results).some((r) => r.error) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
