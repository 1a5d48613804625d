/**
 * Each command through the real binary: what a person reads (ids, states, counts, aligned
 * columns within 80 characters) and the one JSON document --json prints.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI, runCli, runCliJson, spawnCli } from '../helpers/cli.js';
import { createServices } from '../../src/services.js';
import { COMMANDS } from '../../src/cli/registry.js';
import { displayWidth } from '../../components/text.js';
import { dbIn, library, maxWidth, moveTo, TO_COMPLETE, TO_PENDING } from './setup.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function processFile(db: string, file: string, ...extra: string[]): Doc {
  const r = runCliJson<Doc>(['process', file, '--db', db, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return r.doc;
}

describe('process', () => {
  it('queues a file, reports the same file again, a copy as duplicate, and re-queues a rejected book', () => {
    const lib = library({ 'a.epub': 'book A', 'copy-of-a.epub': 'book A', 'b.txt': 'book B' });
    const db = dbIn();
    const human = runCli(['process', path.join(lib, 'a.epub'), '--db', db, '--priority', '2']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stderr).toBe('');
    const id = /Queued ([0-9a-f]{8}) at priority 2: (.*)$/m.exec(human.stdout);
    expect(id?.[2]).toBe(path.join(lib, 'a.epub'));

    const again = processFile(db, path.join(lib, 'a.epub'));
    expect(again).toMatchObject({ outcome: 'already_queued', duplicate_of: null, state: 'detected' });
    expect(again.id.startsWith(id![1]!)).toBe(true);

    const dup = processFile(db, path.join(lib, 'copy-of-a.epub'));
    expect(dup.outcome).toBe('duplicate');
    expect(dup.duplicate_of).toBe(again.id);
    expect(dup).toMatchObject({ state: 'duplicate', duplicate_of: again.id, source_path: path.join(lib, 'copy-of-a.epub') });
    const dupHuman = runCli(['process', path.join(lib, 'copy-of-a.epub'), '--db', db]);
    expect(dupHuman.code).toBe(0);
    expect(dupHuman.stdout).toContain(`Already in the pipeline: ${dup.id.slice(0, 8)} is duplicate (duplicate of ${again.id.slice(0, 8)})`);

    const rejected = runCli(['reject', again.id.slice(0, 8), '--reason', 'wrong edition', '--db', db]);
    expect(rejected.code, rejected.stderr).toBe(0);
    const re = processFile(db, path.join(lib, 'a.epub'), '--priority', '7');
    expect(re).toMatchObject({ outcome: 'requeued', id: again.id, previous_state: 'rejected', duplicate_of: null });
    expect(re).toMatchObject({ state: 'detected', priority: 7 });

    const b = processFile(db, path.join(lib, 'b.txt'));
    expect(b).toMatchObject({ outcome: 'queued', duplicate_of: null });
    expect(b).toMatchObject({ format: 'txt', state: 'detected', priority: 5, size: 6 });
    expect(typeof b.audit_id).toBe('number');
  });
});

describe('batch-queue', () => {
  it('queues a folder recursively in one batch: counts, one BATCH_QUEUED row, per-book rows pointing at it', () => {
    const lib = library({
      'tech/one.epub': 'one',
      'tech/deep/two.pdf': 'two',
      'fiction/three.md': 'three',
      'fiction/three-again.md': 'three',
      'notes.docx': 'not a book',
      'cover.jpg': 'img',
      'four.html': '<html>four</html>',
    });
    const db = dbIn();
    const first = processFile(db, path.join(lib, 'four.html'));
    const r = runCliJson<Doc>(['batch-queue', lib, '--db', db, '--priority', '3']);
    expect(r.code, r.stderr).toBe(0);
    const d = r.doc;
    expect(d).toMatchObject({ scanned: 7, matching: 5, found: 7, queued: 3, duplicates: 1, already_queued: 1, requeued: 0, skipped: 2, priority: 3 });
    expect(d.skipped_by_reason).toMatchObject({ unsupported: 2, not_matching: 0, unreadable: 0, symlink_loop: 0 });
    expect(d.already_queued_ids).toEqual([first.id]);

    const s = createServices(db);
    const batch = s.audit.get(d.batch_audit_id)!;
    expect(batch.action).toBe('BATCH_QUEUED');
    const listed = JSON.parse(batch.ids_json!) as string[];
    expect(listed.sort()).toEqual([...d.queued_ids, ...d.duplicate_books.map((x: Doc) => x.id)].sort());
    const members = s.audit.batchMembers(d.batch_audit_id);
    expect(members.map((m) => m.action).sort()).toEqual(['DUPLICATE_DETECTED', 'QUEUED', 'QUEUED', 'QUEUED']);
    expect(members.every((m) => m.id > batch.id)).toBe(true);
    expect(members.map((m) => m.pipeline_id).sort()).toEqual([...listed].sort());
    for (const id of d.queued_ids as string[]) expect(s.pipelines.require(id)).toMatchObject({ state: 'detected', priority: 3 });
    expect(s.audit.verify().modified).toEqual([]);
    s.close();

    // Again: everything is already there; nothing is written, no batch row.
    const again = runCliJson<Doc>(['batch-queue', lib, '--db', db]);
    expect(again.doc).toMatchObject({ queued: 0, duplicates: 0, already_queued: 5, batch_audit_id: null });
  });

  it('--pattern narrows by glob (basename or path) and the human report lines up', () => {
    const lib = library({ 'a/x.epub': 'x', 'a/y.pdf': 'y', 'b/z.epub': 'z' });
    const db = dbIn();
    const r = runCli(['batch-queue', lib, '--pattern', '*.epub', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`3 files scanned under ${lib}, 2 matching *.epub:`);
    expect(r.stdout).toMatch(/^ {2}Queued {10}2$/m);
    expect(r.stdout).toMatch(/^ {2}Skipped {9}1 {2}\(1 not matching the pattern\)$/m);
    const j = runCliJson<Doc>(['batch-queue', lib, '--pattern', 'a/**', '--db', db]);
    expect(j.doc).toMatchObject({ queued: 1, already_queued: 1, skipped: 1 });
  });
});

describe('status, list, queue', () => {
  it('status shows the pipeline and its history (from, to, at, took, actor); --json adds history', () => {
    const lib = library({ 'a.epub': 'A' });
    const db = dbIn();
    const a = processFile(db, path.join(lib, 'a.epub'));
    moveTo(db, a.id, TO_PENDING, { book_type: 'fiction', confidence: 0.91 });
    const r = runCli(['status', a.id.slice(0, 6), '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Pipeline ${a.id.slice(0, 8)}`);
    expect(r.stdout).toMatch(/^ {2}Id {12}[0-9a-f]{32}$/m);
    expect(r.stdout).toMatch(/^ {2}State {9}pending_approval for /m);
    expect(r.stdout).toMatch(/^ {2}Type {10}fiction \(confidence 0\.91\)$/m);
    expect(r.stdout).toContain('History (7 changes):');
    const lines = r.stdout.split('\n');
    const header = lines.findIndex((l) => /^FROM +TO +AT +TOOK +ACTOR$/.test(l));
    expect(header).toBeGreaterThan(0);
    const rows = lines.slice(header + 1, header + 8);
    expect(rows[0]).toMatch(/^- +detected +\d\d-\d\d \d\d:\d\d:\d\d +- +human:tester$/);
    expect(rows[6]).toMatch(/^validating +pending_approval +\d\d-\d\d .* +\d+s +(system:worker:test|…\S*worker:test)$/);
    // Columns align: TO starts at the same offset on every row.
    const toCol = lines[header]!.indexOf('TO');
    for (const row of rows) expect(row.slice(toCol).split(' ')[0]).toMatch(/^[a-z_]+$/);
    expect(maxWidth(r.stdout.split('History')[1]!)).toBeLessThanOrEqual(80);
    expect(rows[1]).toMatch(/^detected +hashing +\S+ \S+ +0s +…?\S*worker:test$/);

    const j = runCliJson<Doc>(['status', a.id, '--db', db]);
    expect(j.doc).toMatchObject({ id: a.id, state: 'pending_approval', book_type: 'fiction', confidence: 0.91 });
    expect(j.doc.history).toHaveLength(7);
    expect(j.doc.history[0]).toMatchObject({ from: null, to: 'detected', actor: 'human:tester', duration_ms: null });
    expect(j.doc.history[6]).toMatchObject({ from: 'validating', to: 'pending_approval', actor: 'system:worker:test' });
    expect(Object.keys(j.doc.history[1]).sort()).toEqual(['actor', 'at', 'details', 'duration_ms', 'from', 'to']);
  });

  it('list: newest first, --state and --limit, 8-char ids, within 80 columns', () => {
    const lib = library({ 'a.epub': 'A', 'b.epub': 'B', 'c.epub': 'C', [`${'very-long-folder-name/'.repeat(4)}d.epub`]: 'D' });
    const db = dbIn();
    const ids = ['a.epub', 'b.epub', 'c.epub', `${'very-long-folder-name/'.repeat(4)}d.epub`].map(
      (f) => processFile(db, path.join(lib, f)).id as string,
    );
    moveTo(db, ids[1]!, TO_PENDING);
    const r = runCli(['list', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +STATE +PRI +TYPE +CREATED +SOURCE$/);
    const shown = lines.slice(1, 5).map((l) => l.slice(0, 8));
    expect(new Set(shown)).toEqual(new Set(ids.map((i) => i.slice(0, 8))));
    expect(lines[5]).toBe('4 of 4 pipelines');
    expect(maxWidth(r.stdout)).toBeLessThanOrEqual(80);
    expect(r.stdout).toContain('…'); // the long path was cut to fit, keeping its end
    expect(r.stdout).toContain('d.epub');

    const pending = runCli(['list', '--state', 'pending_approval', '--db', db]);
    expect(pending.stdout.split('\n')[1]).toMatch(new RegExp(`^${ids[1]!.slice(0, 8)} +pending_approval +5 +textbook`));
    expect(pending.stdout).toContain('1 of 1 pending_approval pipeline');

    const j = runCliJson<Doc>(['list', '--limit', '2', '--db', db]);
    expect(j.doc).toMatchObject({ total: 4, count: 2, state: null });
    expect(j.doc.pipelines).toHaveLength(2);
    expect(j.doc.pipelines[0]).toHaveProperty('source_path');
    const none = runCli(['list', '--state', 'failed', '--db', db]);
    expect(none.stdout.trim()).toBe('No pipelines are failed.');
  });

  it('queue: counts by priority and the next books in claim order', () => {
    const lib = library({ 'a.epub': 'A', 'b.epub': 'B', 'c.epub': 'C', 'd.epub': 'D' });
    const db = dbIn();
    const a = processFile(db, path.join(lib, 'a.epub'), '--priority', '5');
    const b = processFile(db, path.join(lib, 'b.epub'), '--priority', '2');
    const c = processFile(db, path.join(lib, 'c.epub'), '--priority', '5');
    const d = processFile(db, path.join(lib, 'd.epub'), '--priority', '9');
    moveTo(db, d.id, TO_PENDING); // not queued any more
    const j = runCliJson<Doc>(['queue', '--db', db]);
    expect(j.doc.total).toBe(3);
    expect(j.doc.by_priority).toMatchObject({ 2: 1, 5: 2, 9: 0 });
    expect(j.doc.next.map((x: Doc) => x.id)).toEqual([b.id, a.id, c.id]);
    expect(j.doc.next.map((x: Doc) => x.position)).toEqual([1, 2, 3]);

    const r = runCli(['queue', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Queued: 3 books');
    expect(r.stdout).toMatch(/^ {2}PRIORITY {2}QUEUED$/m);
    expect(r.stdout).toMatch(/^ {9}2 {7}1$/m);
    expect(r.stdout).toMatch(/^ {9}5 {7}2$/m);
    expect(r.stdout).toMatch(/^ {8}10 {7}0$/m);
    const rows = r.stdout.split('\n').filter((l) => /^\d /.test(l));
    expect(rows.map((l) => l.split(/ +/)[1])).toEqual([b.id, a.id, c.id].map((x: string) => x.slice(0, 8)));
    expect(rows[0]).toMatch(/^1 {2}[0-9a-f]{8} {4}2 {2}detected +\S+ ago {2}now {4}\//);
    expect(maxWidth(r.stdout)).toBeLessThanOrEqual(80);
  });
});

describe('actions: priority, approve, reject, rollback, and the audit trail', () => {
  it('each action changes the book, says so, and is audited', () => {
    const lib = library({ 'a.epub': 'A', 'b.epub': 'B', 'c.epub': 'C' });
    const db = dbIn();
    const a = processFile(db, path.join(lib, 'a.epub'));
    const b = processFile(db, path.join(lib, 'b.epub'));
    const c = processFile(db, path.join(lib, 'c.epub'));

    const pr = runCli(['priority', a.id.slice(0, 8), '1', '--db', db]);
    expect(pr.code, pr.stderr).toBe(0);
    expect(pr.stdout.trim()).toBe(`Priority of ${a.id.slice(0, 8)} changed 5 → 1 (detected).`);
    const prj = runCliJson<Doc>(['priority', a.id, '4', '--db', db]);
    expect(prj.doc).toMatchObject({ id: a.id, before: 1, after: 4 });
    expect(prj.doc.pipeline).toMatchObject({ priority: 4, base_priority: 4 });

    moveTo(db, b.id, TO_PENDING, { book_type: 'textbook', confidence: 0.77 });
    const ap = runCli(['approve', b.id.slice(0, 8), '--db', db, '--actor', 'human:alice']);
    expect(ap.code, ap.stderr).toBe(0);
    expect(ap.stdout.trim()).toBe(`Approved ${b.id.slice(0, 8)} (textbook, confidence 0.77); it is now approved.`);

    const rj = runCliJson<Doc>(['reject', c.id, '--reason', 'not a book', '--db', db]);
    expect(rj.code).toBe(0);
    expect(rj.doc).toMatchObject({ id: c.id, before: 'detected' });
    expect(rj.doc.pipeline.state).toBe('rejected');

    moveTo(db, a.id, TO_COMPLETE);
    const rb = runCli(['rollback', a.id.slice(0, 8), '--reason', 'bad OCR', '--db', db]);
    expect(rb.code, rb.stderr).toBe(0);
    expect(rb.stdout.trim()).toBe(`Rolled back ${a.id.slice(0, 8)}: now archived; removed 0 chapters and 0 chunks from the library.`);

    const au = runCliJson<Doc>(['audit', '--db', db]);
    expect(au.doc.entries.map((e: Doc) => e.action)).toEqual([
      'ROLLED_BACK', 'REJECTED', 'APPROVED', 'PRIORITY_CHANGED', 'PRIORITY_CHANGED', 'QUEUED', 'QUEUED', 'QUEUED',
    ]);
    expect(au.doc.entries[1]).toMatchObject({ pipeline_id: c.id, reason: 'not a book', actor: 'human:tester', before: 'detected', after: 'rejected' });
    expect(au.doc.entries[2]).toMatchObject({ pipeline_id: b.id, actor: 'human:alice', confidence: 0.77 });

    const byBook = runCliJson<Doc>(['audit', '--book-id', a.id.slice(0, 8), '--db', db]);
    expect(byBook.doc.entries.map((e: Doc) => e.action)).toEqual(['ROLLED_BACK', 'PRIORITY_CHANGED', 'PRIORITY_CHANGED', 'QUEUED']);
    expect(runCliJson<Doc>(['audit', '--actor', 'human:alice', '--db', db]).doc.count).toBe(1);
    expect(runCliJson<Doc>(['audit', '--actor', 'human:*', '--action', 'queued', '--db', db]).doc.count).toBe(3);
    expect(runCliJson<Doc>(['audit', '--since', '1h', '--last', '2', '--db', db]).doc.count).toBe(2);

    const human = runCli(['audit', '--db', db]);
    expect(human.code).toBe(0);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +AT +ACTION +ACTOR +BOOK +DETAIL$/);
    expect(lines[2]).toMatch(new RegExp(`^ 7 +\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +REJECTED +human:tester +${c.id.slice(0, 8)} +"not a book"`));
    expect(lines[lines.length - 1]).toBe('8 entries, newest first');
    expect(maxWidth(human.stdout)).toBeLessThanOrEqual(80);
    const actionCol = lines[0]!.indexOf('ACTION');
    for (const l of lines.slice(1, -1)) expect(l.slice(actionCol)).toMatch(/^[A-Z_]+ /);
  });
});

describe('--json prints exactly one document and nothing else', () => {
  it('for every read command', () => {
    const lib = library({ 'a.epub': 'A' });
    const db = dbIn();
    const a = processFile(db, path.join(lib, 'a.epub'));
    for (const args of [['status', a.id], ['list'], ['queue'], ['audit'], ['batch-queue', lib]]) {
      const r = runCli([...args, '--db', db, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(() => JSON.parse(r.stdout)).not.toThrow();
      expect(r.stdout.trim().startsWith('{')).toBe(true);
    }
    expect(fs.existsSync(db)).toBe(true);
  });
});

describe('global flags', () => {
  it('may stand before the command: `--db X --json status ID` is the same as `status ID --db X --json`', () => {
    const lib = library({ 'g.txt': 'book G' });
    const db = dbIn();
    const queued = runCliJson<Doc>(['--db', db, 'process', path.join(lib, 'g.txt')]);
    expect(queued.code, queued.stderr).toBe(0);
    const before = runCliJson<Doc>(['--db', db, '--actor', 'human:ops', 'status', queued.doc.id.slice(0, 8)]);
    const after = runCliJson<Doc>(['status', queued.doc.id.slice(0, 8), '--db', db]);
    expect(before.code, before.stderr).toBe(0);
    expect(before.doc.id).toBe(queued.doc.id);
    expect(after.doc.id).toBe(queued.doc.id);
    // A value of --db is never taken for the command.
    const missing = runCli(['--db', path.join(lib, 'status'), 'list']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/database not found/);
  });
});

describe('a reader that goes away (`| head`)', () => {
  it('ends the command quietly: no EPIPE stack trace on stderr', async () => {
    const lib = library({ 'a.epub': 'A', 'b.txt': 'B' });
    const db = dbIn();
    const a = processFile(db, path.join(lib, 'a.epub'));
    processFile(db, path.join(lib, 'b.txt'));
    for (const args of [['status', a.id], ['list'], ['audit']]) {
      const child = spawnCli([...args, '--db', db]);
      child.stdout!.destroy(); // the reader is gone before the first line is written
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(stderr, args[0]).toBe('');
      expect(code, args[0]).toBe(0);
    }
  });
});

describe('--help', () => {
  it('names each command once and fits 80 columns below the usage line', () => {
    for (const name of [...Object.keys(COMMANDS), 'demo']) {
      const r = runCli([name, '--help']);
      expect(r.code, name).toBe(0);
      expect(r.stderr, name).toBe('');
      const [usage, ...rest] = r.stdout.split('\n');
      expect(usage, name).toMatch(new RegExp(`^Usage: agentic-pipeline ${name}( |$)`));
      expect(maxWidth(rest.join('\n')), `${name} --help`).toBeLessThanOrEqual(80);
    }
  });
});

describe('tables with CJK or odd file names', () => {
  it('fit 80 terminal columns, one line per book', () => {
    const long = '日本語の本のタイトル・とても長い名前の電子書籍ファイル';
    const lib = library({ [`${long}.txt`]: 'wide', 'new\nline\ttab.txt': 'odd', 'plain.txt': 'plain' });
    const db = dbIn();
    for (const f of fs.readdirSync(lib)) processFile(db, path.join(lib, f));
    const r = runCli(['list', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1 + 3 + 1); // header, three books, the count
    for (const l of lines) expect(displayWidth(l), l).toBeLessThanOrEqual(80);
    // Columns line up: SOURCE starts at the same column on every row.
    const col = lines[0]!.indexOf('SOURCE');
    for (const l of lines.slice(1, 4)) expect(/^ [^ ]$/.test(l.slice(col - 1, col + 1)), l).toBe(true);
    expect(r.stdout).toContain('new\\nline\\ttab.txt'); // control characters shown escaped, never raw
  });
});

describe('a database folder that cannot be created', () => {
  // Under /proc, mkdir answers ENOENT although the parent exists: Node's recursive mkdir looped.
  // An unusable database path is a usage error (#16.8): exit 2 with a sentence naming the path.
  it.skipIf(!fs.existsSync('/proc/self'))('fails at once with one line (exit 2), not a hang', () => {
    const r = spawnSync(process.execPath, [CLI, 'init', '--db', '/proc/agentic-nope/sub/pipeline.db', '--parents'], { encoding: 'utf8', timeout: 10_000 });
    expect(r.error, 'the command hung').toBeUndefined();
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^agentic-pipeline: .*making the folder \/proc\/agentic-nope failed/);
  });

  it('creates missing folders of a new database with --parents', () => {
    const db = path.join(dbIn(), '..', 'a', 'b', 'pipeline.db');
    const r = runCli(['init', '--db', db, '--parents']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(db)).toBe(true);
  });
});
