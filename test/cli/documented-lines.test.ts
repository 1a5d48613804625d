/**
 * Issue #11: the command lines of the product's own documentation, run verbatim through the real
 * binary (aliases where our name differs, `--help` showing both). Each asserts what a person who
 * pasted the line would see happen.
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI, runCli, runCliJson } from '../helpers/cli.js';
import { dumpAll } from '../db/helpers.js';
import { createServices } from '../../src/services.js';
import { BOOK_TYPES } from '../../src/domain/states.js';
import { dbIn, library, moveTo, TO_PENDING } from './setup.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `agentic-pipeline <line> --db DB`, the line split as a shell would split it. */
function run(db: string, line: string) {
  return runCli([...shellWords(line), '--db', db]);
}

function shellWords(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

function fixture() {
  const lib = library({ 't1.epub': 'text one', 't2.epub': 'text two', 'f1.epub': 'fiction one', 'q.epub': 'queued' });
  const db = dbIn();
  const id: Record<string, string> = {};
  for (const f of ['t1', 't2', 'f1', 'q']) {
    const r = runCliJson<Doc>(['process', path.join(lib, `${f}.epub`), '--db', db]);
    id[f] = r.doc.id as string;
  }
  moveTo(db, id.t1!, TO_PENDING, { book_type: 'textbook', confidence: 0.9 });
  moveTo(db, id.t2!, TO_PENDING, { book_type: 'textbook', confidence: 0.6 });
  moveTo(db, id.f1!, TO_PENDING, { book_type: 'fiction', confidence: 0.95 });
  return { lib, db, id };
}

const state = (db: string, id: string) => {
  const s = createServices(db, { readonly: true });
  try {
    return s.pipelines.require(id);
  } finally {
    s.close();
  }
};

describe('--book-type T (alias of --type)', () => {
  it('batch-approve --book-type textbook: the dry run shows only textbooks, --execute approves them', () => {
    const { db, id } = fixture();
    const before = dumpAll(db);
    const dry = run(db, 'batch-approve --book-type textbook');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^Dry run: 2 books match \(batch-approve\)\.$/m);
    expect(dumpAll(db)).toEqual(before);
    const done = run(db, 'batch-approve --book-type textbook --execute');
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/^batch-approve: 2 of 2 books done/m);
    expect([state(db, id.t1!).state, state(db, id.t2!).state, state(db, id.f1!).state]).toEqual(['approved', 'approved', 'pending_approval']);
  });

  it('batch-reject --book-type fiction --reason "…" rejects the fiction only', () => {
    const { db, id } = fixture();
    const r = run(db, 'batch-reject --book-type fiction --reason "not for this library" --execute');
    expect(r.code, r.stderr).toBe(0);
    expect(state(db, id.f1!).state).toBe('rejected');
    expect(state(db, id.t1!).state).toBe('pending_approval');
  });

  it('batch-priority 2 --book-type textbook re-prioritises the textbooks', () => {
    const { db, id } = fixture();
    const r = run(db, 'batch-priority 2 --book-type textbook --state pending_approval --execute');
    expect(r.code, r.stderr).toBe(0);
    expect([state(db, id.t1!).priority, state(db, id.t2!).priority, state(db, id.f1!).priority]).toEqual([2, 2, 5]);
  });

  it('an unknown type (newspaper) is one line listing the known types, exit 2, nothing changed', () => {
    const { db } = fixture();
    for (const cmd of ['batch-approve', 'batch-reject --reason "x"', 'batch-priority 3']) {
      const before = dumpAll(db);
      const r = run(db, `${cmd} --book-type newspaper --execute`);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`unknown book type 'newspaper': the known types are ${BOOK_TYPES.join(', ')}`);
      expect(dumpAll(db)).toEqual(before);
    }
  });

  it('--help shows both --type and --book-type', () => {
    for (const cmd of ['batch-approve', 'batch-reject', 'batch-priority', 'batch-retry']) {
      const help = runCli([cmd, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^ {2}--type <value> /m);
      expect(help.stdout).toMatch(/^ {2}--book-type <value> +the same as --type/m);
      expect(help.stdout).toMatch(/^ {2}--dry-run /m);
    }
  });
});

describe('--dry-run (explicit) on every batch command', () => {
  it('changes nothing and says it was a dry run; --dry-run --execute together is a usage error', () => {
    const { db } = fixture();
    for (const cmd of ['batch-approve', 'batch-reject --reason "x"', 'batch-retry', 'batch-priority 1']) {
      const before = dumpAll(db);
      const dry = run(db, `${cmd} --dry-run`);
      expect(dry.code, `${cmd}: ${dry.stderr}`).toBe(0);
      expect(dry.stdout).toMatch(/^Dry run: /m);
      const j = runCliJson<Doc>([...shellWords(cmd), '--dry-run', '--db', db]);
      expect(j.doc.dry_run).toBe(true);
      const both = run(db, `${cmd} --dry-run --execute`);
      expect(both.code).toBe(2);
      expect(both.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(both.stderr).toMatch(/--dry-run and --execute contradict each other/);
      expect(dumpAll(db)).toEqual(before);
    }
  });
});

describe('batch-retry --max-attempts N', () => {
  it('retries only books with fewer than N attempts so far', () => {
    const { db, id } = fixture();
    moveTo(db, id.q!, ['hashing', 'failed']);
    const lib = library({ 'x.epub': 'many attempts' });
    const x = runCliJson<Doc>(['process', path.join(lib, 'x.epub'), '--db', db]).doc.id as string;
    moveTo(db, x, ['hashing', 'failed']);
    // What the worker's claims would have left: one attempt on q, three on x.
    const s = createServices(db);
    s.db.prepare('UPDATE pipelines SET attempts = ? WHERE id = ?').run(1, id.q!);
    s.db.prepare('UPDATE pipelines SET attempts = ? WHERE id = ?').run(3, x);
    s.close();
    const dry = runCliJson<Doc>(['batch-retry', '--max-attempts', '3', '--db', db]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.doc.books.map((b: Doc) => b.id)).toEqual([id.q]);
    const r = run(db, 'batch-retry --max-attempts 3 --execute');
    expect(r.code, r.stderr).toBe(0);
    expect(state(db, id.q!).state).toBe('needs_retry');
    expect(state(db, x).state).toBe('failed');
  });
});

describe('batch-priority N keeps N positional and also accepts --priority N', () => {
  it('--priority N works alone; both given and equal is fine; different is a usage error', () => {
    const { db, id } = fixture();
    const r = run(db, 'batch-priority --priority 3 --execute');
    expect(r.code, r.stderr).toBe(0);
    expect(state(db, id.q!).priority).toBe(3);
    expect(run(db, 'batch-priority 4 --priority 4 --execute').code).toBe(0);
    expect(state(db, id.q!).priority).toBe(4);
    const before = dumpAll(db);
    const both = run(db, 'batch-priority 1 --priority 2 --execute');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/two priorities given: 1 and --priority 2; give one/);
    expect(dumpAll(db)).toEqual(before);
  });
});

describe('process --json prints the pipeline at the top level', () => {
  it('`process FILE --json | jq .id` prints the id; audit_id and duplicate_of are fields', () => {
    const lib = library({ 'a.epub': 'book a', 'copy.epub': 'book a' });
    const db = dbIn();
    const sh = (file: string, filter: string) =>
      spawnSync('sh', ['-c', `"${process.execPath}" "${CLI}" process "${file}" --db "${db}" --json | jq -r '${filter}'`], {
        encoding: 'utf8',
        env: { ...process.env, USER: 'tester' },
      });
    const first = sh(path.join(lib, 'a.epub'), '.id');
    expect(first.status, first.stderr).toBe(0);
    const id = first.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const copy = sh(path.join(lib, 'copy.epub'), '[.state, .duplicate_of, (.audit_id | type)] | @tsv');
    expect(copy.stdout.trim().split('\t')).toEqual(['duplicate', id, 'number']);
    // The same document as `status --json` for the same book (plus what this call did).
    const status = runCliJson<Doc>(['status', id, '--db', db]).doc;
    const again = runCliJson<Doc>(['process', path.join(lib, 'a.epub'), '--db', db]).doc;
    expect(again).toMatchObject({ outcome: 'already_queued', audit_id: null, duplicate_of: null });
    for (const key of ['id', 'source_path', 'state', 'priority', 'content_hash', 'duplicate_of']) expect(again[key]).toEqual(status[key]);
  });
});
