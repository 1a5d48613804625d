/**
 * What an intruder with write access to the database file does, for the tampering tests: a
 * separate better-sqlite3 connection that opens the retention gate by hand, drops the triggers,
 * and recomputes the chain with the formula the (public) code uses. Plus the set-up they share.
 */
import Database from 'better-sqlite3';
import { runCliJson } from '../helpers/cli.js';
import { createServices } from '../../src/services.js';
import { auditRowHash, auditRowHashV, type AuditRow, type AuditVerifyReport } from '../../src/db/audit.js';
import { dbIn } from '../cli/setup.js';

export const DAY = 86_400_000;

/** `n` books approved one by one by human:alice (APPROVED rows), with a clock of the test's choosing. */
export async function approvedLibrary(n: number, options: { db?: string; at?: number } = {}): Promise<{ db: string; auditIds: number[]; bookIds: string[] }> {
  const db = options.db ?? dbIn();
  let t = options.at ?? Date.now();
  const s = createServices(db, { clock: () => t++ });
  const bookIds: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = s.pipelines.insert({ source_path: `/books/b${i}-${t}.epub`, content_hash: null, state: 'pending_approval', actor: 'system:test' });
    await s.actions.approve(p.id, 'human:alice', { reason: `ok ${i}` });
    bookIds.push(p.id);
  }
  s.close();
  return { db, auditIds: ids(db), bookIds };
}

export function ids(db: string): number[] {
  const raw = new Database(db, { readonly: true });
  const out = raw.prepare('SELECT id FROM audit ORDER BY id').pluck().all() as number[];
  raw.close();
  return out;
}

export function verify(db: string, extra: string[] = [], env?: NodeJS.ProcessEnv) {
  return runCliJson<AuditVerifyReport>(['audit', '--verify', '--db', db, ...extra], env ? { env } : {});
}

export const kinds = (r: AuditVerifyReport) => r.problems.map((p) => p.kind);

/** The intruder's own connection: triggers dropped, every change is theirs. */
export function intruder(db: string, fn: (raw: Database.Database) => void): void {
  const raw = new Database(db);
  raw.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;');
  fn(raw);
  raw.close();
}

/** Deletes through a gate opened by hand, as retention would look from inside the table. */
export function deleteThroughGate(db: string, where: string): void {
  const raw = new Database(db);
  raw.exec(`UPDATE audit_gate SET open = 1 WHERE id = 1; DELETE FROM audit WHERE ${where}; UPDATE audit_gate SET open = 0 WHERE id = 1;`);
  raw.close();
}

/** Recomputes every hash from `fromId` on with the formula each row claims (the code is public). */
export function rechain(raw: Database.Database, fromId: number): void {
  const rows = raw.prepare('SELECT * FROM audit WHERE id >= ? ORDER BY id').all(fromId) as AuditRow[];
  let prev = (raw.prepare('SELECT hash FROM audit WHERE id < ? ORDER BY id DESC LIMIT 1').pluck().get(fromId) as string | undefined) ?? null;
  const set = raw.prepare('UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?');
  for (const r of rows) {
    const v = r.hash_version ?? 1;
    // Without the key, a keyed row can only be rewritten as an unkeyed one.
    const version = v === 1 ? 1 : 2;
    const hash = version === 1 ? auditRowHash(prev, r) : auditRowHashV(prev, r, r.id, r.pipeline_prev_id ?? null, 2, null);
    if (version !== v) raw.prepare('UPDATE audit SET hash_version = 2 WHERE id = ?').run(r.id);
    set.run(prev, hash, r.id);
    prev = hash;
  }
}

