/**
 * Issue #13: the operations files are checked, not just shipped. The alert rules pass their
 * promtool unit tests (and a deliberately wrong expectation fails them, so the tests can fail),
 * every metric a rule or a dashboard panel queries is one the server or the worker exports, every
 * runbook link lands on a heading, and the systemd units pass `systemd-analyze verify`.
 * promtool and systemd-analyze are real programs: without them those checks are skipped, saying
 * so (.ci/run installs promtool).
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, CLI } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { dbIn } from '../cli/setup.js';
import { createServeApp } from '../../src/metrics/serve-app.js';
import { WorkerMetrics } from '../../src/metrics/worker-metrics.js';
import { DEFAULT_WORKER_CONFIG } from '../../src/config/worker.js';

const PROM = path.join(ROOT, 'deploy/prometheus');
const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' }).status === 0;
const promtool = has('promtool', ['--version']);
const systemdAnalyze = has('systemd-analyze', ['--version']);
if (!promtool) console.warn('promtool not found on PATH: skipping the `promtool test rules` checks (install the prometheus package; .ci/run does)');
if (!systemdAnalyze) console.warn('systemd-analyze not found: skipping `systemd-analyze verify` of deploy/systemd');

/** Every metric name the two registries export (histograms with their series suffixes). */
async function exportedNames(): Promise<Set<string>> {
  const app = createServeApp({ dbPath: dbIn() });
  const texts = [await app.metrics.render(), await new WorkerMetrics('w1').render()];
  app.close();
  const names = new Set<string>();
  for (const text of texts) {
    for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      names.add(m[1]!);
      if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m[1]! + s);
    }
  }
  return names;
}

const usedNames = (text: string) => new Set([...text.matchAll(/agentic_pipeline_[a-z_]+/g)].map((m) => m[0]));

function githubAnchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

describe('alert rules', () => {
  const rules = fs.readFileSync(path.join(PROM, 'alerts.yml'), 'utf8');
  const alertNames = [...rules.matchAll(/^\s+- alert: (\S+)$/gm)].map((m) => m[1]!);

  it.skipIf(!promtool)('promtool check rules and promtool test rules pass', () => {
    const check = spawnSync('promtool', ['check', 'rules', path.join(PROM, 'alerts.yml')], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const test = spawnSync('promtool', ['test', 'rules', path.join(PROM, 'alerts.test.yml')], { encoding: 'utf8' });
    expect(test.status, test.stdout + test.stderr).toBe(0);
  });

  it.skipIf(!promtool)('a deliberately wrong expectation fails the unit tests (they can fail)', () => {
    const dir = tempDir('ap-promtool-');
    fs.copyFileSync(path.join(PROM, 'alerts.yml'), path.join(dir, 'alerts.yml'));
    const tests = fs.readFileSync(path.join(PROM, 'alerts.test.yml'), 'utf8');
    // The disk alert's firing case, told to expect silence instead.
    const wrong = tests.replace(/(- eval_time: 15m\n\s+alertname: AgenticPipelineDiskLow\n\s+exp_alerts:)\n(?:\s+- exp_labels:[\s\S]*?runbook_url: \S+\n)/, '$1 []\n');
    expect(wrong).not.toBe(tests);
    fs.writeFileSync(path.join(dir, 'alerts.test.yml'), wrong);
    const r = spawnSync('promtool', ['test', 'rules', path.join(dir, 'alerts.test.yml')], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('AgenticPipelineDiskLow');
  });

  it('one rule per health alert, plus freshness; each with severity, summary, description and a runbook link that lands', () => {
    for (const name of ['StuckBooks', 'HighFailureRate', 'QueueBackup', 'WorkerIdle', 'WorkerLost', 'DiskLow', 'FreshnessSLO']) {
      expect(alertNames).toContain(`AgenticPipeline${name}`);
    }
    const runbook = fs.readFileSync(path.join(ROOT, 'docs/RUNBOOK.md'), 'utf8');
    const anchors = new Set([...runbook.matchAll(/^#{1,4} (.+)$/gm)].map((m) => githubAnchor(m[1]!)));
    const blocks = rules.split(/^\s+- alert: /m).slice(1);
    expect(blocks).toHaveLength(alertNames.length);
    for (const block of blocks) {
      const name = block.split('\n')[0]!;
      expect(block, name).toMatch(/\n\s+severity: (info|warning|critical)\n/);
      expect(block, name).toMatch(/\n\s+summary: \S/);
      expect(block, name).toMatch(/\n\s+description: \S/);
      const url = /\n\s+runbook_url: docs\/RUNBOOK\.md#(\S+)/.exec(block)?.[1];
      expect(url, `${name} runbook_url`).toBeDefined();
      expect(anchors.has(url!), `docs/RUNBOOK.md has a heading for #${url}`).toBe(true);
      // Every alert is tested both ways in alerts.test.yml.
      const tests = fs.readFileSync(path.join(PROM, 'alerts.test.yml'), 'utf8');
      expect(tests.split(`alertname: ${name}\n`).length - 1, `${name} is tested firing and silent`).toBeGreaterThanOrEqual(2);
    }
  });

  it('every metric a rule queries is exported by serve or the worker', async () => {
    const exported = await exportedNames();
    const used = usedNames(rules);
    expect(used.size).toBeGreaterThan(5);
    expect([...used].filter((n) => !exported.has(n))).toEqual([]);
  });
});

describe('Grafana dashboard', () => {
  const file = path.join(ROOT, 'deploy/grafana/agentic-pipeline.json');
  type Panel = { id: number; title: string; datasource?: { uid?: string }; targets?: { expr: string; datasource?: { uid?: string } }[] };
  const dash = JSON.parse(fs.readFileSync(file, 'utf8')) as { panels: Panel[]; templating: { list: { name: string; type: string; query?: string }[] } };

  it('has unique panel ids and a templated Prometheus datasource that every panel and query uses', () => {
    const ids = dash.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const ds = dash.templating.list.find((v) => v.type === 'datasource');
    expect(ds).toMatchObject({ name: 'datasource', query: 'prometheus' });
    for (const p of dash.panels) {
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
      for (const t of p.targets ?? []) expect(t.datasource?.uid ?? '${datasource}', p.title).toBe('${datasource}');
    }
    const titles = dash.panels.map((p) => p.title.toLowerCase()).join(' | ');
    for (const want of ['queue by priority', 'throughput', 'failure rate', 'stage duration p50', 'stage duration p95', 'stuck', 'workers', 'oldest queued', 'slo burn']) {
      expect(titles).toContain(want);
    }
  });

  it('every metric name used in a query is one serve or the worker exports', async () => {
    const exported = await exportedNames();
    const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
    const used = usedNames(exprs + '\n' + JSON.stringify(dash.templating));
    expect(used.size).toBeGreaterThan(8);
    expect([...used].filter((n) => !exported.has(n))).toEqual([]);
  });
});

describe('systemd units', () => {
  const dir = path.join(ROOT, 'deploy/systemd');
  const unit = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
  const setting = (text: string, key: string) => [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!);

  it('the worker restarts on failure, stops with SIGTERM, and waits longer than its grace period', () => {
    const w = unit('agentic-pipeline-worker@.service');
    expect(setting(w, 'Restart')).toEqual(['on-failure']);
    expect(setting(w, 'KillSignal')).toEqual(['SIGTERM']);
    const stop = setting(w, 'TimeoutStopSec')[0]!;
    expect(Number(stop.replace(/s$/, '')) * 1000).toBeGreaterThan(DEFAULT_WORKER_CONFIG.shutdown_grace_ms);
    for (const f of ['agentic-pipeline-worker@.service', 'agentic-pipeline-serve.service', 'agentic-pipeline-maintain.service']) {
      const u = unit(f);
      for (const h of ['NoNewPrivileges', 'ProtectSystem', 'PrivateTmp', 'ProtectKernelTunables', 'RestrictSUIDSGID']) expect(setting(u, h), `${f} ${h}`).toHaveLength(1);
    }
    expect(setting(unit('agentic-pipeline-maintain.timer'), 'Unit').concat(setting(unit('agentic-pipeline-maintain.timer'), 'OnCalendar'))).not.toHaveLength(0);
  });

  it.skipIf(!systemdAnalyze)('systemd-analyze verify accepts every unit (ExecStart pointed at the built CLI)', () => {
    const tmp = tempDir('ap-systemd-');
    const exec = `${process.execPath} ${CLI}`;
    for (const f of fs.readdirSync(dir)) {
      const text = unit(f).replaceAll('/usr/local/bin/agentic-pipeline', exec);
      fs.writeFileSync(path.join(tmp, f === 'agentic-pipeline-worker@.service' ? 'agentic-pipeline-worker@1.service' : f), text);
    }
    const units = fs.readdirSync(tmp).map((f) => path.join(tmp, f));
    expect(units.length).toBe(4);
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...units], { encoding: 'utf8' });
    // verify only warns (exit 0) about a misspelt setting: any output is a failure here.
    expect({ status: r.status, out: (r.stdout + r.stderr).trim() }).toEqual({ status: 0, out: '' });
  });
});

describe('CI', () => {
  it('.ci/run installs promtool so the rule tests run there', () => {
    expect(fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8')).toMatch(/promtool/);
  });
});
