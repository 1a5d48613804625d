/**
 * Issue #16 (defects 1, 6, 7, 8) and #11 (points 5, 6, 7) through the real binary on real
 * databases: every bad input is one line on stderr, exit 2, and not one row changes (a dump of
 * every table before and after); the good inputs beside them still work.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { runCli, runCliJson } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { dumpAll } from '../db/helpers.js';
import { createServices } from '../../src/services.js';
import { validateFilter } from '../../src/ops/batch-filter.js';
import { InputError } from '../../src/domain/errors.js';
import { dbIn, library, moveTo, TO_COMPLETE, TO_PENDING } from './setup.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ESC = '\u001b';
const BEL = '\u0007';

function queue(db: string, file: string): string {
  const r = runCliJson<Doc>(['process', file, '--db', db]);
  if (r.code !== 0) throw new Error(`process failed: ${r.stderr}`);
  return r.doc.id as string;
}

/** A library with books in every state the checks below need. */
function fixture() {
  const lib = library({
    'p1.epub': 'pending one', 'p2.epub': 'pending two', 'p3.epub': 'pending three',
    'd.epub': 'detected', 'f.epub': 'failed', 'c.epub': 'complete', 'r.epub': 'rejected', 'dup.epub': 'pending one',
  });
  const db = dbIn();
  const id: Record<string, string> = {};
  for (const f of ['p1', 'p2', 'p3', 'd', 'f', 'c', 'r', 'dup']) id[f] = queue(db, path.join(lib, `${f}.epub`));
  moveTo(db, id.p1!, TO_PENDING, { book_type: 'textbook', confidence: 0.9 });
  moveTo(db, id.p2!, TO_PENDING, { book_type: 'fiction', confidence: 0.8 });
  moveTo(db, id.p3!, TO_PENDING, { book_type: 'textbook', confidence: 0.7 });
  moveTo(db, id.f!, ['hashing', 'failed']);
  moveTo(db, id.c!, TO_COMPLETE);
  const rj = runCli(['reject', id.r!, '--reason', 'wrong book', '--db', db]);
  if (rj.code !== 0) throw new Error(rj.stderr);
  return { lib, db, id };
}

/** Runs a bad command line: exit 2, nothing on stdout, one line on stderr, no row changed. */
function refused(db: string, args: readonly string[], message: RegExp): string {
  const before = dumpAll(db);
  const r = runCli([...args, '--db', db]);
  expect(r.code, `${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.endsWith('\n')).toBe(true);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^agentic-pipeline: /);
  expect(r.stderr).toMatch(message);
  expect(dumpAll(db)).toEqual(before);
  return r.stderr;
}

describe('#16.1 an empty filter value never means "any"', () => {
  const { db } = fixture();
  const EMPTY: [string, string[]][] = [
    ['--id ""', ['--id', '']],
    ['--id ","', ['--id', ',']],
    ['--id " , "', ['--id', ' , ']],
    ['--type ""', ['--type', '']],
    ['--type ","', ['--type', ',']],
    ['--book-type ","', ['--book-type', ',']],
    ['--state ""', ['--state', '']],
    ['--state ","', ['--state', ',']],
    ['--path ""', ['--path', '']],
    ['--created-before ""', ['--created-before', '']],
    ['--priority-is ""', ['--priority-is', '']],
  ];
  const COMMANDS: string[][] = [['batch-approve'], ['batch-reject', '--reason', 'x'], ['batch-retry'], ['batch-priority', '3']];
  for (const [label, flag] of EMPTY) {
    it(`${label} is a usage error on every batch command, even with --execute --max 100`, () => {
      for (const cmd of COMMANDS) {
        refused(db, [...cmd, ...flag, '--max', '100', '--execute'], /needs a value|names nothing|empty|needs a number/);
      }
    });
  }

  it('the domain filter refuses empty lists and a blank path too (the console form and any future interface)', () => {
    for (const f of [{ ids: [] }, { book_types: [] }, { states: [] }, { ids: [''] }, { path_glob: '   ' }, { priorities: [] }]) {
      expect(() => validateFilter(f as never), JSON.stringify(f)).toThrow(InputError);
    }
  });
});

describe('#16.6 / #11.7 batch-queue skips symlink loops and unreadable entries, and counts what it scanned', () => {
  it('queues the good files, counts each skipped entry with its reason, and says "N files scanned, M matching"', () => {
    const lib = library({ 'good.epub': 'a good book', 'notes.txt': 'some notes', 'sub/other.pdf': 'a pdf' });
    fs.symlinkSync('loop-b.epub', path.join(lib, 'loop-a.epub'));
    fs.symlinkSync('loop-a.epub', path.join(lib, 'loop-b.epub'));
    fs.symlinkSync('self.epub', path.join(lib, 'self.epub'));
    fs.symlinkSync('missing.epub', path.join(lib, 'broken.epub'));
    const db = dbIn();
    const r = runCliJson<Doc>(['batch-queue', lib, '--pattern', '*.epub', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc).toMatchObject({ scanned: 7, matching: 1, queued: 1 });
    expect(r.doc.skipped_by_reason).toMatchObject({ symlink_loop: 3, broken_link: 1, not_matching: 2 });
    const reasons = Object.fromEntries((r.doc.skipped_entries as Doc[]).map((e) => [e.path, e.reason]));
    expect(reasons).toMatchObject({ 'loop-a.epub': 'symlink_loop', 'loop-b.epub': 'symlink_loop', 'self.epub': 'symlink_loop', 'broken.epub': 'broken_link' });
    const s = createServices(db);
    expect(s.pipelines.list({ limit: 10 }).map((p) => path.basename(p.source_path))).toEqual(['good.epub']);
    s.close();

    const human = runCli(['batch-queue', lib, '--pattern', '*.epub', '--db', dbIn()]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`7 files scanned under ${lib}, 1 matching *.epub:`);
    expect(human.stdout).toMatch(/^ {2}Skipped +6 {2}\(2 not matching the pattern, 3 symlink loop, 1 broken symlink\)$/m);
    expect(human.stdout).toContain('skipped loop-a.epub: symlink loop');
  });

  it('a named pipe is skipped as "not a regular file" at once (never opened, so never a hang)', () => {
    const lib = library({ 'good.epub': 'a good book' });
    const made = spawnSync('mkfifo', [path.join(lib, 'pipe.epub')]);
    expect(made.status).toBe(0);
    const r = runCliJson<Doc>(['batch-queue', lib, '--db', dbIn()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc).toMatchObject({ scanned: 2, matching: 1, queued: 1 });
    expect(r.doc.skipped_entries).toContainEqual({ path: 'pipe.epub', reason: 'not_regular_file' });
  });

  it.skipIf(process.getuid?.() === 0)('an unreadable folder is skipped with its reason and the rest is queued', () => {
    const lib = library({ 'good.epub': 'good', 'locked/hidden.epub': 'hidden' });
    fs.chmodSync(path.join(lib, 'locked'), 0o000);
    try {
      const r = runCliJson<Doc>(['batch-queue', lib, '--db', dbIn()]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.doc).toMatchObject({ queued: 1 });
      expect(r.doc.skipped_entries).toContainEqual(expect.objectContaining({ path: 'locked', reason: 'unreadable' }));
    } finally {
      fs.chmodSync(path.join(lib, 'locked'), 0o755);
    }
  });
});

describe('#16.7 terminal injection: control characters refused at the edge, stored text escaped', () => {
  const title = `evil${ESC}]0;pwned${BEL}.epub`;
  const clear = `clear${ESC}[2J.epub`;
  const lib = tempDir('ap-evil-');
  fs.writeFileSync(path.join(lib, title), 'evil book');
  fs.writeFileSync(path.join(lib, clear), 'clearing book');
  const db = dbIn();
  const evil = queue(db, path.join(lib, title));
  const clearing = queue(db, path.join(lib, clear));
  moveTo(db, clearing, TO_PENDING, { book_type: 'textbook', confidence: 0.9 });

  const raw = (out: string) => out.includes(ESC) || out.includes(BEL);

  it('every human output shows the names escaped, never raw', () => {
    const outputs: [string, string[]][] = [
      ['process', ['process', path.join(lib, title)]],
      ['list', ['list']],
      ['queue', ['queue']],
      ['status', ['status', evil]],
      ['status (pending)', ['status', clearing]],
      ['batch preview', ['batch-approve']],
      ['batch-queue', ['batch-queue', lib, '--db', dbIn()]],
    ];
    for (const [label, args] of outputs) {
      const r = runCli(args.includes('--db') ? args : [...args, '--db', db]);
      expect(r.code, `${label}: ${r.stderr}`).toBe(0);
      expect(raw(r.stdout), `${label} printed a raw control character:\n${JSON.stringify(r.stdout)}`).toBe(false);
      expect(raw(r.stderr)).toBe(false);
      if (label !== 'batch-queue') {
        expect(r.stdout, label).toMatch(/evil\\x1b\]0;pwned\\x07\.epub|clear\\x1b\[2J\.epub/);
      }
    }
  });

  it('--json keeps the stored value exact', () => {
    const r = runCliJson<Doc>(['status', evil, '--db', db]);
    expect(r.doc.source_path).toBe(path.join(lib, title));
  });

  it('an actor or reason holding a control character is refused in one line', () => {
    refused(db, ['approve', clearing, '--actor', `human:al${ESC}[2Jice`], /control character/);
    refused(db, ['approve', clearing, '--actor', 'human:alice\nhuman:mallory'], /control character/);
    refused(db, ['reject', clearing, '--reason', `bad${ESC}]0;pwned${BEL}`], /control character/);
    refused(db, ['reject', clearing, '--reason', 'line one\nline two'], /control character/);
    refused(db, ['approve', clearing, '--reason', `ok${BEL}`], /control character/);
    refused(db, ['priority', evil, '2', '--reason', `x${ESC}[2J`], /control character/);
    refused(db, ['batch-reject', '--reason', `x${ESC}[2J`, '--execute'], /control character/);
  });

  it('a control character in $USER (the default actor) never reaches the audit trail', () => {
    const file = path.join(library({ 'u.epub': 'from a strange user' }), 'u.epub');
    const r = runCliJson<Doc>(['process', file, '--db', db], { env: { USER: `ev${ESC}[2Jil` } });
    expect(r.code, r.stderr).toBe(0);
    const entry = runCliJson<Doc>(['audit', '--book-id', r.doc.id, '--db', db]).doc.entries[0];
    expect(entry.actor).toBe('human:ev_[2Jil'); // the escape character itself replaced
  });

  it('the domain refuses them too, whatever interface calls it', async () => {
    const s = createServices(db);
    try {
      await expect(s.actions.reject(clearing, 'human:alice', `why${ESC}[2J`)).rejects.toThrow(/control character/);
      await expect(s.actions.approve(clearing, 'human:alice', { reason: `ok${BEL}` })).rejects.toThrow(/control character/);
      await expect(s.ops.batch.preview({}, { kind: 'reject', reason: `x${ESC}[2J` })).rejects.toThrow(/plain text/);
    } finally {
      s.close();
    }
  });
});

describe('#16.8 / #11.6 argument strictness', () => {
  const { lib, db, id } = fixture();
  const book = path.join(lib, 'p1.epub');
  const configFile = path.join(tempDir('ap-cfg-'), 'bad-cron.json');
  fs.writeFileSync(configFile, JSON.stringify({ worker: { maintenance: { schedule: 'every minute' } } }));
  const glob = 'a'.repeat(100 * 1024);

  const BAD: [string, string[], RegExp][] = [
    ['--json=yes', ['list', '--json=yes'], /--json takes no value/],
    ['--json=false', ['list', '--json=false'], /--json takes no value/],
    ['--execute=no', ['batch-approve', '--execute=no'], /--execute takes no value/],
    ['--dry-run=1', ['batch-approve', '--dry-run=1'], /--dry-run takes no value/],
    ['repeated --limit', ['list', '--limit', '5', '--limit', '6'], /--limit given more than once/],
    ['repeated --priority', ['process', book, '--priority', '2', '--priority', '3'], /--priority given more than once/],
    ['repeated --reason', ['reject', 'P2', '--reason', 'a', '--reason', 'b'], /--reason given more than once/],
    ['repeated --max', ['batch-approve', '--max', '5', '--max', '500', '--execute'], /--max given more than once/],
    ['100 KB --path glob', ['batch-approve', '--path', glob], /--path is too long/],
    ['100 KB --pattern glob', ['batch-queue', lib, '--pattern', glob], /--pattern is too long/],
    ['--limit 0x5', ['list', '--limit', '0x5'], /--limit needs a number, got '0x5'/],
    ['--limit 1e2', ['list', '--limit', '1e2'], /--limit needs a number, got '1e2'/],
    ['--limit 5.0', ['list', '--limit', '5.0'], /--limit must be a whole number/],
    ['--priority 5.0', ['process', book, '--priority', '5.0'], /--priority must be a whole number/],
    ['--max 1e2', ['batch-approve', '--max', '1e2', '--execute'], /--max needs a number/],
    ['--max 5.0', ['batch-approve', '--max', '5.0', '--execute'], /--max must be a whole number/],
    ['--max absurd', ['batch-approve', '--max', '99999999999999999999', '--execute'], /--max: .* is out of range/],
    ['--priority-is 0x2', ['batch-approve', '--priority-is', '0x2', '--execute'], /--priority-is needs a number/],
    ['--min-confidence 5e-1', ['batch-approve', '--min-confidence', '5e-1', '--execute'], /--min-confidence needs a number/],
    ['batch-priority 5.0', ['batch-priority', '5.0', '--execute'], /priority must be a whole number/],
    ['priority ID 0x5', ['priority', 'P1', '0x5'], /priority must be a whole number/],
    ['--created-before 2024-02-30', ['batch-approve', '--created-before', '2024-02-30', '--execute'], /invalid --created-before '2024-02-30'/],
    ['--created-after 2023-13-01', ['batch-approve', '--created-after', '2023-13-01', '--execute'], /invalid --created-after '2023-13-01'/],
    ['--created-before 2023-04-31T10:00:00Z', ['batch-approve', '--created-before', '2023-04-31T10:00:00Z', '--execute'], /invalid --created-before/],
    ['--since 1', ['audit', '--since', '1'], /invalid --since '1': an age needs a unit/],
    ['--created-before 7 (no unit)', ['batch-approve', '--created-before', '7', '--execute'], /an age needs a unit/],
    ['--since -3d', ['audit', '--since', '-3d'], /must be positive/],
    ['--since=-3d', ['audit', '--since=-3d'], /must be positive/],
    ['--created-after -1h', ['batch-approve', '--created-after', '-1h', '--execute'], /must be positive/],
    ['--since 1000000d', ['audit', '--since', '1000000d'], /invalid --since '1000000d'/],
    ['--since 2024-02-30', ['audit', '--since', '2024-02-30'], /invalid --since '2024-02-30'/],
    ['maintain --skip ""', ['maintain', '--skip', ''], /--skip needs a value/],
    ['maintain --skip ","', ['maintain', '--skip', ','], /flag --skip was given ',', which names nothing/],
    ['actor with a newline', ['approve', 'P1', '--actor', 'human:alice\nsystem:root'], /--actor holds a control character/],
    ['bad cron pattern in the config', ['worker', '--drain', '--config', configFile], /worker\.maintenance\.schedule: not a valid cron pattern 'every minute'/],
    ['unknown flag suggests the nearest', ['list', '--limt', '5'], /unknown flag '--limt' \(did you mean --limit\?\)/],
    ['unknown flag on a batch command', ['batch-approve', '--excute'], /unknown flag '--excute' \(did you mean --execute\?\)/],
    ['unknown command suggests the nearest', ['lsit'], /unknown command 'lsit' \(did you mean list\?\)/],
    ['unknown command: batch-aprove', ['batch-aprove'], /unknown command 'batch-aprove' \(did you mean batch-approve\?\)/],
    ['a far-off name suggests nothing', ['list', '--zzzzzzzz'], /^agentic-pipeline: unknown flag '--zzzzzzzz'\n$/],
  ];

  it.each(BAD)('%s', (_label, template, message) => {
    const args = template.map((a) => (a === 'P1' ? id.p1! : a === 'P2' ? id.p2! : a));
    refused(db, args, message);
  });
});

describe('#11.5 priority writes only real changes, and only for books still to be claimed', () => {
  const { db, id } = fixture();
  const audit = () => (runCliJson<Doc>(['audit', '--last', '1000', '--db', db]).doc.count as number);

  it('priority ID N with N already the priority writes nothing and says so', () => {
    const before = dumpAll(db);
    const r = runCli(['priority', id.d!, '5', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`Priority of ${id.d!.slice(0, 8)} is already 5 (detected); nothing changed.`);
    const j = runCliJson<Doc>(['priority', id.d!, '5', '--db', db]);
    expect(j.doc).toMatchObject({ changed: false, audit_id: null, before: 5, after: 5 });
    expect(dumpAll(db)).toEqual(before); // no audit row, no version bump, no history
    const changed = runCliJson<Doc>(['priority', id.d!, '2', '--db', db]);
    expect(changed.doc).toMatchObject({ changed: true, before: 5, after: 2 });
    expect(typeof changed.doc.audit_id).toBe('number');
  });

  it('priority on a book in a terminal state is refused', () => {
    const count = audit();
    for (const which of ['f', 'c', 'r', 'dup']) {
      refused(db, ['priority', id[which]!, '3'], /cannot set the priority of pipeline .*: it is (failed|complete|rejected|duplicate)/);
    }
    expect(audit()).toBe(count);
  });
});

describe('#11.6 init refuses a missing parent folder unless --parents', () => {
  it('exits 2 and creates nothing; --parents creates the folders and the database', () => {
    const root = tempDir('ap-init-');
    const target = path.join(root, 'no', 'such', 'dir', 'x.db');
    const r = runCli(['init', '--db', target]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/folder .*no\/such\/dir does not exist; create it, or pass --parents/);
    expect(fs.existsSync(path.join(root, 'no'))).toBe(false);
    const ok = runCli(['init', '--db', target, '--parents']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(fs.existsSync(target)).toBe(true);
    expect(runCli(['init', '--db', target]).code).toBe(0); // the folder exists now: plain init is fine
  });
});
