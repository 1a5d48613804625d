/**
 * Anchors and the keyed chain: what only something outside the database file can catch. An
 * anchor (the chain head appended to a file elsewhere) catches truncation, an emptied or
 * recreated log and a rewritten chain; the audit key catches a rewritten chain and forged rows
 * without any anchor. Each intrusion is done with a separate connection, as an intruder would,
 * and checked with the real CLI.
 */
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, runCliJson } from '../helpers/cli.js';
import { auditRowHashV, type AuditRow } from '../../src/db/audit.js';
import { tempDir } from '../helpers/tmp.js';
import { dbIn, library } from './setup.js';
import { approvedLibrary, DAY, ids, intruder, kinds, rechain, verify } from '../db/audit-intruder.js';

const KEY = { AGENTIC_PIPELINE_AUDIT_KEY: 'a-key-of-at-least-sixteen-bytes' };

function anchorFile(): string {
  return path.join(tempDir('ap-anchor-'), 'audit.anchors');
}

function anchor(db: string, file: string): { id: number; hash: string; count: number } {
  const r = runCliJson<{ id: number; hash: string; count: number; file: string }>(['audit', 'anchor', '--db', db, '--to', file]);
  expect(r.code).toBe(0);
  return r.doc;
}

/** Removes the newest rows and every trace of them: deletion records and the id high-water mark. */
function truncate(db: string, fromId: number): void {
  intruder(db, (raw) => {
    raw.prepare('DELETE FROM audit WHERE id >= ?').run(fromId);
    raw.prepare('DELETE FROM audit_deletions WHERE id >= ?').run(fromId);
    raw.prepare(`UPDATE sqlite_sequence SET seq = ? WHERE name = 'audit'`).run(fromId - 1);
    raw.prepare('UPDATE pipelines SET last_audit_id = NULL WHERE last_audit_id >= ?').run(fromId);
  });
}

describe('audit anchor', () => {
  it('appends the chain head as one JSON line (default beside the db), prints it, and --json is one document', async () => {
    const { db, auditIds } = await approvedLibrary(3);
    const r = runCli(['audit', 'anchor', '--db', db]);
    expect(r.code).toBe(0);
    const line = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(line).toMatchObject({ anchor: 'agentic-pipeline-audit', id: auditIds.at(-1), count: 3, db: path.resolve(db) });
    expect(line.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.readFileSync(`${db}.anchors`, 'utf8').trim()).toBe(JSON.stringify(line));
    const file = anchorFile();
    const j = runCliJson<Record<string, unknown>>(['audit', 'anchor', '--db', db, '--to', file]);
    expect(j.doc).toMatchObject({ file, id: auditIds.at(-1), count: 3 });
    anchor(db, file);
    expect(fs.readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
    expect(verify(db, ['--anchor', file]).doc).toMatchObject({ intact: true, anchors_checked: 2, problems: [] });
  });

  it('maintain --anchor FILE writes one after its steps', async () => {
    const { db, auditIds } = await approvedLibrary(2);
    const file = anchorFile();
    const m = runCliJson<{ anchor: { id: number; file: string } }>(['maintain', '--db', db, '--anchor', file, '--skip', 'durations,recovery,aging']);
    expect(m.code).toBe(0);
    expect(m.doc.anchor).toMatchObject({ id: auditIds.at(-1), file });
    expect(verify(db, ['--anchor', file]).code).toBe(0);
  });

  it('bad input: a missing or malformed anchor file, flags that do not go together, --last-days not a positive whole number', async () => {
    const { db } = await approvedLibrary(1);
    const bad = anchorFile();
    fs.writeFileSync(bad, 'not json\n');
    for (const args of [
      ['audit', '--verify', '--anchor', path.join(tempDir('ap-x-'), 'missing')],
      ['audit', '--verify', '--anchor', bad],
      ['audit', '--anchor', bad],
      ['audit', 'anchor', '--verify'],
      ['audit', 'anchors'],
      ['audit', '--last-days', '0'],
      ['audit', '--last-days', '1.5'],
      ['audit', '--last-days', '0x5'],
      ['audit', '--last-days', '-3'],
      ['audit', '--last-days', '2', '--since', '2d'],
    ]) {
      const r = runCli([...args, '--db', db]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('--last-days N is --since Nd', async () => {
    const old = await approvedLibrary(2, { at: Date.now() - 10 * DAY });
    const { db } = await approvedLibrary(1, { db: old.db });
    const a = runCliJson<{ count: number }>(['audit', '--last-days', '3', '--db', db]);
    const b = runCliJson<{ count: number }>(['audit', '--since', '3d', '--db', db]);
    expect(a.code).toBe(0);
    expect(a.doc).toEqual(b.doc);
    expect(a.doc.count).toBe(1);
    expect(runCliJson<{ count: number }>(['audit', '--last-days', '30', '--db', db]).doc.count).toBe(3);
  });
});

describe('with an anchor, what the file alone cannot show is caught', () => {
  it('truncation: the newest entries removed with every trace (passes without the anchor, fails with it)', async () => {
    const { db, auditIds } = await approvedLibrary(4);
    const file = anchorFile();
    anchor(db, file);
    truncate(db, auditIds[2]!);
    expect(verify(db).code).toBe(0); // the limit of a file-only check
    const r = verify(db, ['--anchor', file]);
    expect(r.code).toBe(3);
    expect(kinds(r.doc)).toContain('anchor_missing');
    expect(runCli(['audit', '--verify', '--anchor', file, '--db', db]).stdout).toMatch(
      new RegExp(`ANCHOR MISSING: entry #${auditIds[3]}, anchored .* is missing: the log was truncated, emptied or recreated`),
    );
  });

  it('a rewritten chain: a row edited and every later hash recomputed', async () => {
    const { db, auditIds } = await approvedLibrary(4);
    const file = anchorFile();
    anchor(db, file);
    intruder(db, (raw) => {
      raw.prepare(`UPDATE audit SET actor = 'human:mallory' WHERE id = ?`).run(auditIds[1]);
      rechain(raw, auditIds[1]!);
    });
    expect(verify(db).code).toBe(0);
    const r = verify(db, ['--anchor', file]);
    expect(r.code).toBe(3);
    expect(kinds(r.doc)).toEqual(['anchor_rewritten']);
    expect(runCli(['audit', '--verify', '--anchor', file, '--db', db]).stdout).toMatch(/ANCHOR MISMATCH: .* the chain was rewritten/);
  });

  it('an emptied log, with every book gone too, reads as a new database: only the anchor tells', async () => {
    const a = await approvedLibrary(3);
    const file = anchorFile();
    anchor(a.db, file);
    intruder(a.db, (raw) =>
      raw.exec(`PRAGMA foreign_keys = OFF; DELETE FROM audit; DELETE FROM audit_deletions; DELETE FROM sqlite_sequence WHERE name = 'audit';
                DELETE FROM state_history; DELETE FROM pipelines; DELETE FROM pipeline_counts;`),
    );
    expect(verify(a.db).code).toBe(0);
    const r = verify(a.db, ['--anchor', file]);
    expect(r.code).toBe(3);
    expect(kinds(r.doc)).toEqual(['anchor_missing']);
    expect(runCli(['audit', '--verify', '--anchor', file, '--db', a.db]).stdout).not.toMatch(/intact/);
  });

  it('a legitimate retention run after the anchor still verifies, even when it removed the anchored head', async () => {
    const old = await approvedLibrary(3, { at: Date.now() - 400 * DAY });
    const file = anchorFile();
    const head = anchor(old.db, file);
    const { db } = await approvedLibrary(2, { db: old.db });
    anchor(db, file);
    const cfg = path.join(tempDir('ap-cfg-'), 'cfg.json');
    fs.writeFileSync(cfg, JSON.stringify({ ops: { retention: { days: { APPROVED: 365 } } } }));
    const m = runCliJson<{ retention: { total: number } }>(['maintain', '--db', db, '--config', cfg, '--anchor', file, '--skip', 'durations,recovery,aging']);
    expect(m.doc.retention.total).toBe(3);
    expect(ids(db)).not.toContain(head.id);
    const r = verify(db, ['--anchor', file]);
    expect(r.doc).toMatchObject({ intact: true, anchors_checked: 3, retention_gaps: 1, problems: [] });
    expect(r.code).toBe(0);
  });
});

describe('with the audit key, rewriting and forging need the key', () => {
  function keyedLibrary(): { db: string; auditIds: number[] } {
    const lib = library({ 'a.txt': 'A book.', 'b.txt': 'B book.', 'c.txt': 'C book.' });
    const db = dbIn();
    for (const f of ['a.txt', 'b.txt', 'c.txt']) expect(runCli(['process', path.join(lib, f), '--db', db], { env: KEY }).code).toBe(0);
    return { db, auditIds: ids(db) };
  }

  it('keyed entries verify with the key; without it verify says it cannot check them; an unkeyed writer is refused', () => {
    const { db } = keyedLibrary();
    const raw = new Database(db, { readonly: true });
    expect(raw.prepare('SELECT DISTINCT hash_version FROM audit').pluck().all()).toEqual([3]);
    raw.close();
    expect(verify(db, [], KEY).doc).toMatchObject({ intact: true, keyed: 3, unchecked_keyed: 0, key_used: true });
    const without = verify(db);
    expect(without.code).toBe(3);
    expect(kinds(without.doc)).toEqual(['key_missing']);
    expect(runCli(['audit', '--verify', '--db', db]).stdout).toMatch(/UNCHECKED: 3 keyed entries cannot be checked without the audit key/);
    const lib = library({ 'd.txt': 'D book.' });
    const refused = runCli(['process', path.join(lib, 'd.txt'), '--db', db]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/the audit trail is keyed/);
    expect(ids(db)).toHaveLength(3);
  });

  it('a rewritten chain (edited, every later hash recomputed without the key) is caught with the key alone', () => {
    const { db, auditIds } = keyedLibrary();
    intruder(db, (raw) => {
      raw.prepare(`UPDATE audit SET actor = 'human:mallory' WHERE id = ?`).run(auditIds[1]);
      rechain(raw, auditIds[1]!);
    });
    const r = verify(db, [], KEY);
    expect(r.code).toBe(3);
    expect(kinds(r.doc)).toEqual(['unkeyed_after_keyed']);
  });

  it('a forged row appended with a correct hash: unkeyed, or keyed with another key, is caught', () => {
    for (const forgedKey of [null, Buffer.from('not-the-real-key-at-all')]) {
      const { db } = keyedLibrary();
      intruder(db, (raw) => {
        const last = raw.prepare('SELECT * FROM audit ORDER BY id DESC LIMIT 1').get() as AuditRow;
        const version = forgedKey ? 3 : 2;
        const row = { ...last, id: last.id + 1, action: 'APPROVED', actor: 'human:mallory', pipeline_id: null, pipeline_prev_id: null, hash_version: version };
        const hash = auditRowHashV(last.hash, row, row.id, null, version, forgedKey);
        raw.prepare(
          `INSERT INTO audit (id, at, action, actor, pipeline_id, batch_id, reason, before_value, after_value, filter_json, ids_json,
             count, confidence, details_json, prev_hash, hash, pipeline_prev_id, hash_version)
           VALUES (@id, @at, @action, @actor, @pipeline_id, @batch_id, @reason, @before_value, @after_value, @filter_json, @ids_json,
             @count, @confidence, @details_json, @prev_hash, @hash, @pipeline_prev_id, @hash_version)`,
        ).run({ ...row, prev_hash: last.hash, hash });
      });
      expect(verify(db).doc.problems.map((p) => p.kind)).not.toContain('edited'); // unkeyed check alone: the row's hash is right
      const r = verify(db, [], KEY);
      expect(r.code).toBe(3);
      expect(kinds(r.doc)).toEqual([forgedKey ? 'edited' : 'unkeyed_after_keyed']);
    }
  });

  it('the key file can be named in the config file (audit.key_file, relative to it); a missing one is one clear line, exit 2', () => {
    const db = dbIn();
    fs.writeFileSync(path.join(path.dirname(db), 'audit.key'), 'a-key-from-the-config-file-1234\n');
    fs.writeFileSync(path.join(path.dirname(db), 'agentic-pipeline.json'), JSON.stringify({ audit: { key_file: 'audit.key' } }));
    const lib = library({ 'a.txt': 'A book.' });
    expect(runCli(['process', path.join(lib, 'a.txt'), '--db', db]).code).toBe(0);
    const raw = new Database(db, { readonly: true });
    expect(raw.prepare('SELECT hash_version FROM audit').pluck().all()).toEqual([3]);
    raw.close();
    expect(verify(db).doc).toMatchObject({ intact: true, keyed: 1, unchecked_keyed: 0 });
    // The same key given through the environment checks the same HMACs.
    expect(verify(db, [], { AGENTIC_PIPELINE_AUDIT_KEY: 'a-key-from-the-config-file-1234' }).code).toBe(0);
    fs.rmSync(path.join(path.dirname(db), 'audit.key'));
    const r = runCli(['audit', '--verify', '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot read the audit key file .*audit\.key/);
  });
});
