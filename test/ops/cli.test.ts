import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { createServices, type SqliteServices as Services } from '../../src/services.js';
import { runCli, runCliJson, spawnCli } from '../helpers/cli.js';
import { tempDbPath } from '../helpers/tmp.js';
import { addBook, addWorking, HOUR, MIN } from './helpers.js';

function fresh(): { s: Services; db: string } {
  const db = tempDbPath();
  const s = createServices(db, { opsConfig: {} });
  return { s, db };
}

describe('health command', () => {
  it('prints the summary shape and exits 0; --json has the documented keys', () => {
    const { s, db } = fresh();
    s.queue.register('w1');
    const b = addWorking(s, 'processing', 45 * MIN);
    for (let i = 0; i < 3; i++) addBook(s);
    addBook(s, { state: 'needs_retry' });
    s.close();
    const r = runCli(['health', '--db', db]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Pipeline Health\n-----------------------------------\n  Active:     1 (processing now)\n');
    expect(r.stdout).toContain(`  Stuck:      1 (${b.id.slice(0, 8)}, processing, 45 min)`);
    expect(r.stdout).toContain('  Queued:     4 (waiting)');
    expect(r.stdout).toContain('  Failed:     1 (needs_retry)');
    expect(r.stdout).toContain(`Alerts:\n  [warning] 1 pipeline stuck (${b.id.slice(0, 8)} in processing for 45 min, expected 15)`);
    const j = runCliJson<Record<string, unknown>>(['health', '--db', db]);
    expect(j.code).toBe(0);
    for (const k of ['status', 'active', 'queued', 'stuck', 'pending_approval', 'needs_retry', 'failed', 'completed_24h', 'avg_processing_seconds',
      'throughput_per_hour', 'estimated_queue_minutes', 'queue_by_priority', 'oldest_queued_seconds', 'workers', 'alerts']) {
      expect(j.doc).toHaveProperty(k);
    }
    expect(j.doc.status).toBe('degraded');
    expect((j.doc.alerts as { code: string; severity: string }[])[0]).toMatchObject({ code: 'stuck_pipeline', severity: 'warning' });
  });

  it('--fail-on sets exit 3 for cron when an alert is at least that severe', () => {
    const { s, db } = fresh();
    s.queue.register('w1');
    addWorking(s, 'processing', 45 * MIN);
    s.close();
    expect(runCli(['health', '--db', db, '--fail-on', 'warning']).code).toBe(3);
    expect(runCli(['health', '--db', db, '--fail-on', 'critical']).code).toBe(0);
    expect(runCli(['health', '--db', db, '--fail-on', 'critical', '--disk-min-gb', '1000000000']).code).toBe(3);
    const bad = runCli(['health', '--db', db, '--fail-on', 'sometimes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(runCli(['health', '--help']).stdout).toMatch(/exit code is 3/);
  });

  it('--watch redraws in place until interrupted', async () => {
    const { s, db } = fresh();
    s.close();
    const child = spawnCli(['health', '--db', db, '--watch', '--interval', '0.2']);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 15_000;
    while ((out.match(/Pipeline Health/g) ?? []).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect((out.match(/Pipeline Health/g) ?? []).length).toBeGreaterThanOrEqual(2);
    expect(out).toContain('\u001b[H');
    expect(code).toBe(0);
  });

  it('reads thresholds from the config file beside the database', () => {
    const { s, db } = fresh();
    s.queue.register('w1');
    for (let i = 0; i < 3; i++) addBook(s);
    s.close();
    expect(runCliJson<{ alerts: unknown[] }>(['health', '--db', db]).doc.alerts).toEqual([]);
    fs.writeFileSync(path.join(path.dirname(db), 'agentic-pipeline.json'), JSON.stringify({ ops: { health: { queue_backup: 2 } } }));
    expect(runCliJson<{ alerts: { code: string }[] }>(['health', '--db', db]).doc.alerts.map((a) => a.code)).toEqual(['queue_backup']);
    fs.writeFileSync(path.join(path.dirname(db), 'agentic-pipeline.json'), JSON.stringify({ ops: { health: { queue_backup: 'many' } } }));
    const bad = runCli(['health', '--db', db]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/health\.queue_backup/);
  });
});

describe('stuck command', () => {
  it('lists stuck books (JSON fields) and recovers one; a second recovery is refused with exit 2', () => {
    const { s, db } = fresh();
    const b = addWorking(s, 'hashing', 10_000, -1000);
    addWorking(s, 'processing', MIN);
    s.close();
    const list = runCliJson<{ stuck: Record<string, unknown>[] }>(['stuck', '--db', db]);
    expect(list.code).toBe(0);
    expect(list.doc.stuck).toHaveLength(1);
    expect(list.doc.stuck[0]).toMatchObject({ id: b.id, state: 'hashing', reason: 'lease_expired', expected_seconds: 60, source_path: b.source_path });
    expect(list.doc.stuck[0]!.stuck_seconds).toBeGreaterThanOrEqual(10);
    const human = runCli(['stuck', '--db', db]);
    expect(human.stdout).toMatch(new RegExp(`${b.id.slice(0, 8)}\\s+hashing\\s+\\d+s\\s+60s\\s+lease_expired`));

    const r = runCliJson<{ to: string; audit_id: number }>(['stuck', '--db', db, '--retry', b.id.slice(0, 10)]);
    expect(r.code).toBe(0);
    expect(r.doc.to).toBe('needs_retry');
    const again = runCli(['stuck', '--db', db, '--reset', b.id]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already recovered/);
    const s2 = createServices(db, { opsConfig: {} });
    expect(s2.audit.query({ action: 'STUCK_RECOVERED' }).map((a) => a.actor)).toEqual(['human:tester']);
    expect(s2.pipelines.require(b.id).state).toBe('needs_retry');
    s2.close();
  });

  it('--reject needs --reason; --recover takes every stuck book', () => {
    const { s, db } = fresh();
    const a = addWorking(s, 'hashing', 10_000, -1000);
    const b = addWorking(s, 'processing', 31 * MIN);
    s.close();
    const noReason = runCli(['stuck', '--db', db, '--reject', a.id]);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toMatch(/--reason/);
    const r = runCliJson<{ recovered: { id: string; to: string }[] }>(['stuck', '--db', db, '--recover', '--action', 'reset']);
    expect(r.code).toBe(0);
    expect(r.doc.recovered.map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
    expect(r.doc.recovered.every((x) => x.to === 'detected')).toBe(true);
    expect(runCliJson<{ stuck: unknown[] }>(['stuck', '--db', db]).doc.stuck).toEqual([]);
  });

  it('the process clock offset moves time for stuck detection', () => {
    const { s, db } = fresh();
    addWorking(s, 'processing', 10 * MIN);
    s.close();
    expect(runCliJson<{ stuck: unknown[] }>(['stuck', '--db', db]).doc.stuck).toHaveLength(0);
    const later = runCliJson<{ stuck: unknown[] }>(['stuck', '--db', db, '--expected', 'processing=600'], { env: { AGENTIC_PIPELINE_CLOCK_OFFSET_MS: String(HOUR) } });
    expect(later.doc.stuck).toHaveLength(1);
  });
});

describe('batch commands', () => {
  function library(): { db: string; ids: string[] } {
    const { s, db } = fresh();
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(addBook(s, { state: 'pending_approval', book_type: 'fiction', confidence: 0.5 + i * 0.1, source_path: `/lib/fic/${i}.epub` }).id);
    addBook(s, { state: 'pending_approval', book_type: 'textbook', confidence: 0.99, source_path: '/lib/tb/x.pdf' });
    s.close();
    return { db, ids };
  }
  const states = (db: string) => {
    const s = createServices(db, { opsConfig: {} });
    const rows = s.db.prepare('SELECT state, COUNT(*) AS n FROM pipelines GROUP BY state').all();
    const audit = (s.db.prepare('SELECT COUNT(*) AS n FROM audit').get() as { n: number }).n;
    s.close();
    return { rows, audit };
  };

  it('dry run by default: count and rows, nothing changed; --execute applies with audit', () => {
    const { db, ids } = library();
    const before = states(db);
    const dry = runCliJson<{ dry_run: boolean; matched: number; books: { id: string }[]; filter: Record<string, unknown> }>(
      ['batch-approve', '--db', db, '--type', 'fiction', '--min-confidence', '0.8'],
    );
    expect(dry.code).toBe(0);
    expect(dry.doc.dry_run).toBe(true);
    expect(dry.doc.matched).toBe(3);
    expect(dry.doc.books.map((b) => b.id).sort()).toEqual(ids.slice(3).sort());
    expect(dry.doc.books[0]).toHaveProperty('source_path');
    expect(dry.doc.filter).toMatchObject({ book_types: ['fiction'], min_confidence: 0.8 });
    expect(states(db)).toEqual(before);
    const human = runCli(['batch-approve', '--db', db, '--type', 'fiction,textbook', '--path', '/lib/fic/*', '--max-confidence', '0.6']);
    expect(human.stdout).toMatch(/^Dry run: 2 books match \(batch-approve\)\./);
    expect(human.stdout).toMatch(/--execute/);

    const ex = runCliJson<{ dry_run: boolean; affected: number; skipped: unknown[]; audit_id: number }>(
      ['batch-approve', '--db', db, '--type', 'fiction', '--min-confidence', '0.8', '--execute'],
    );
    expect(ex.code).toBe(0);
    expect(ex.doc).toMatchObject({ dry_run: false, affected: 3, skipped: [] });
    const s = createServices(db, { opsConfig: {} });
    expect(s.audit.get(ex.doc.audit_id)).toMatchObject({ action: 'BATCH_APPROVED', actor: 'human:tester', count: 3 });
    expect(s.audit.batchMembers(ex.doc.audit_id)).toHaveLength(3);
    s.close();
  });

  it('confidence 1.5 → exit 2, one line, nothing changed', () => {
    const { db } = library();
    const before = states(db);
    const r = runCli(['batch-approve', '--db', db, '--min-confidence', '1.5', '--execute']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/between 0 and 1/);
    expect(r.stdout).toBe('');
    expect(states(db)).toEqual(before);
  });

  it('more matches than --max → exit 2 saying how many matched, nothing changed', () => {
    const { db } = library();
    const before = states(db);
    const r = runCli(['batch-approve', '--db', db, '--max', '5', '--execute']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/7 books match, more than the maximum of 5/);
    expect(states(db)).toEqual(before);
  });

  it('batch-reject needs --reason; batch-priority N; batch-retry; bad dates and states are usage errors', () => {
    const { db, ids } = library();
    expect(runCli(['batch-reject', '--db', db, '--type', 'textbook']).code).toBe(2);
    const rj = runCliJson<{ affected: number }>(['batch-reject', '--db', db, '--type', 'textbook', '--reason', 'not ours', '--execute']);
    expect(rj.doc.affected).toBe(1);
    const rt = runCliJson<{ affected: number }>(['batch-retry', '--db', db, '--state', 'rejected', '--execute']);
    expect(rt.doc.affected).toBe(1);
    const pr = runCliJson<{ affected: number }>(['batch-priority', '2', '--db', db, '--state', 'pending_approval', '--id', ids[0]!.slice(0, 8), '--id', ids[1]!, '--execute']);
    expect(pr.doc.affected).toBe(2);
    expect(runCli(['batch-priority', '11', '--db', db]).code).toBe(2);
    expect(runCli(['batch-approve', '--db', db, '--created-before', 'yesterday']).code).toBe(2);
    expect(runCli(['batch-approve', '--db', db, '--state', 'complete']).code).toBe(2);
    const recent = runCliJson<{ matched: number }>(['batch-approve', '--db', db, '--created-after', '1h']);
    expect(recent.doc.matched).toBe(6);
    const later = runCliJson<{ matched: number }>(['batch-approve', '--db', db, '--created-after', '1h'], { env: { AGENTIC_PIPELINE_CLOCK_OFFSET_MS: String(2 * HOUR) } });
    expect(later.doc.matched).toBe(0);
  });
});

describe('maintain command', () => {
  it('runs once and prints a JSON summary', () => {
    const { s, db } = fresh();
    const dead = addWorking(s, 'hashing', 10_000, -1000);
    s.close();
    const r = runCliJson<{ recovery: { recovered: { id: string }[] }; aging: { aged: number }; errors: unknown[] }>(['maintain', '--db', db]);
    expect(r.code).toBe(0);
    expect(r.doc.recovery.recovered.map((x) => x.id)).toEqual([dead.id]);
    expect(r.doc.errors).toEqual([]);
    const aged = runCliJson<{ aging: { aged: number } }>(['maintain', '--db', db, '--skip', 'recovery'], { env: { AGENTIC_PIPELINE_CLOCK_OFFSET_MS: String(30 * HOUR) } });
    expect(aged.doc.aging.aged).toBe(1); // the recovered book waits in needs_retry
    expect(runCli(['maintain', '--db', db, '--skip', 'nothing']).code).toBe(2);
  });
});
