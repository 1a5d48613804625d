/**
 * Bad input: one line on stderr, exit code 2, nothing on stdout, and not one row changed
 * (a dump of every table before and after). Runtime failures exit 1.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { dumpAll } from '../db/helpers.js';
import { createServices } from '../../src/services.js';
import { dbIn, library, moveTo, TO_PENDING } from './setup.js';

const lib = library({ 'a.epub': 'A', 'b.epub': 'B', 'c.epub': 'C' });
const db = dbIn();
const ids: string[] = [];
{
  for (const f of ['a.epub', 'b.epub', 'c.epub']) {
    const r = runCli(['process', path.join(lib, f), '--db', db, '--json']);
    ids.push((JSON.parse(r.stdout) as { id: string }).id);
  }
  moveTo(db, ids[1]!, TO_PENDING);
  moveTo(db, ids[2]!, ['hashing', 'failed']);
}
// Two pipelines whose ids share a prefix make an ambiguous prefix.
const ambiguous = 'abcd';
const s = createServices(db);
for (const id of ['abcd' + '0'.repeat(28), 'abcd' + '1'.repeat(28)]) {
  s.pipelines.insert({ id, source_path: `/books/${id}.epub`, state: 'detected', actor: 'system:test' });
}
const all = s.db.prepare('SELECT id FROM pipelines').pluck().all() as string[];
s.close();
const unknownId = (() => {
  for (const c of '0123456789abcdef') if (!all.some((id) => id.startsWith(c))) return c.repeat(8);
  return 'f'.repeat(32);
})();

const a = () => ids[0]!;
const pending = () => ids[1]!;

const BAD: [string, string[], RegExp][] = [
  ['unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
  ['unknown flag', ['list', '--colour'], /unknown flag '--colour'/],
  ['process: priority 0', ['process', path.join(lib, 'a.epub'), '--priority', '0'], /--priority must be a whole number from 1 to 10/],
  ['process: priority 11', ['process', path.join(lib, 'a.epub'), '--priority', '11'], /--priority must be a whole number/],
  ['process: priority 2.5', ['process', path.join(lib, 'a.epub'), '--priority', '2.5'], /--priority must be a whole number/],
  ['process: priority abc', ['process', path.join(lib, 'a.epub'), '--priority', 'abc'], /--priority needs a number/],
  ['process: missing file', ['process', path.join(lib, 'missing.epub')], /file not found/],
  ['process: no file given', ['process'], /missing FILE/],
  ['process: two files', ['process', path.join(lib, 'a.epub'), path.join(lib, 'b.epub')], /unexpected argument/],
  ['batch-queue: missing folder', ['batch-queue', path.join(lib, 'nope')], /folder not found/],
  ['batch-queue: a file', ['batch-queue', path.join(lib, 'a.epub')], /not a folder/],
  ['batch-queue: priority -1', ['batch-queue', lib, '--priority', '-1'], /--priority must be a whole number/],
  ['status: unknown id', ['status', unknownId], /no pipeline matches id/],
  ['status: not hex', ['status', 'xyz'], /invalid pipeline id 'xyz'/],
  ['status: no id', ['status'], /missing ID/],
  ['list: bad state', ['list', '--state', 'sleeping'], /unknown state 'sleeping'/],
  ['list: limit 0', ['list', '--limit', '0'], /--limit must be a whole number from 1/],
  ['priority: 0', ['priority', 'ID', '0'], /priority must be a whole number from 1/],
  ['priority: 11', ['priority', 'ID', '11'], /priority must be a whole number/],
  ['priority: 1.5', ['priority', 'ID', '1.5'], /priority must be a whole number/],
  ['priority: high', ['priority', 'ID', 'high'], /priority must be a whole number/],
  ['priority: unknown id', ['priority', 'UNKNOWN', '3'], /no pipeline matches id/],
  ['approve: not pending', ['approve', 'ID'], /cannot approve pipeline .*: it is detected/],
  ['approve: unknown id', ['approve', 'UNKNOWN'], /no pipeline matches id/],
  ['reject: no reason', ['reject', 'PENDING'], /reject needs a reason/],
  ['reject: blank reason', ['reject', 'PENDING', '--reason', '   '], /reject needs a reason/],
  ['reject: failed book', ['reject', 'FAILED', '--reason', 'x'], /cannot reject pipeline .*: it is failed, and only .* can be rejected$/m],
  ['rollback: not complete', ['rollback', 'PENDING', '--reason', 'x'], /cannot roll back pipeline .*: it is pending_approval/],
  ['rollback: no reason', ['rollback', 'ID'], /rollback needs a reason/],
  ['audit: bad since', ['audit', '--since', 'yesterday-ish'], /invalid --since/],
  ['audit: bad actor', ['audit', '--actor', 'alice'], /invalid actor 'alice'/],
  ['audit: bad action', ['audit', '--action', 'DROP TABLE'], /invalid --action/],
  ['audit: misspelt action', ['audit', '--action', 'APPROVE'], /unknown action 'APPROVE' for --action: expected one of QUEUED, /],
  ['audit: last 0', ['audit', '--last', '0'], /--last must be a whole number/],
  ['bad --actor', ['approve', 'PENDING', '--actor', 'root'], /invalid actor 'root'/],
];

describe('bad input exits 2 with one line on stderr and changes nothing', () => {
  it('has an ambiguous prefix to test with', () => {
    expect(ambiguous.length).toBeGreaterThan(0);
  });

  it.each(BAD)('%s', (_name, argsTemplate, message) => {
    const args = argsTemplate.map((x) => (x === 'ID' ? a() : x === 'PENDING' ? pending() : x === 'FAILED' ? ids[2]! : x === 'UNKNOWN' ? unknownId : x));
    const before = dumpAll(db);
    const r = runCli([...args, '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.endsWith('\n')).toBe(true);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^agentic-pipeline: /);
    expect(r.stderr).toMatch(message);
    expect(dumpAll(db)).toEqual(before);
  });

  it('an ambiguous id prefix', () => {
    const before = dumpAll(db);
    for (const cmd of [['status'], ['approve'], ['priority', 'X', '3']]) {
      const args = cmd.length === 3 ? [cmd[0]!, ambiguous, cmd[2]!] : [cmd[0]!, ambiguous];
      const r = runCli([...args, '--db', db]);
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/is ambiguous: matches/);
    }
    expect(dumpAll(db)).toEqual(before);
  });

  it('with --json too: nothing on stdout, one line on stderr', () => {
    const r = runCli(['approve', a(), '--db', db, '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('every command but init, on a missing database (a mistyped --db), exits 2 and creates nothing', () => {
    const missing = path.join(path.dirname(db), 'nothing-here.db');
    const book = path.join(lib, 'a.epub');
    for (const args of [
      ['list'], ['status', 'abc'], ['queue'], ['audit'], ['approve', 'abc'], ['priority', 'abc', '3'],
      ['process', book], ['batch-queue', lib], ['worker', '--drain'], ['worker', '--watch', lib],
    ]) {
      const r = runCli([...args, '--db', missing]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/database not found/);
    }
    expect(fs.existsSync(missing)).toBe(false);
  });

  it('a --db that is not a database exits 2 with one line naming it (issue 16; more in test/db/open-db.test.ts)', () => {
    const junk = path.join(path.dirname(db), 'junk.db');
    fs.writeFileSync(junk, 'this is not sqlite '.repeat(100));
    const r = runCli(['list', '--db', junk]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${junk}: is not an SQLite database`);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
