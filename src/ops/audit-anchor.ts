/**
 * Anchors: the audit chain's head (id, hash, count, time, database) written outside the
 * database, one JSON line appended per anchor, so a log that was truncated, emptied, recreated
 * or rewritten no longer matches what was anchored (`audit --verify --anchor FILE`). The file is
 * only ever appended to; keep it (or ship its lines, e.g. to syslog) where an intruder with the
 * database cannot rewrite it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../domain/errors.js';
import type { AuditAnchor } from '../db/audit.js';
import type { Engine } from '../db/engine.js';
import { isPostgresLocation } from '../db/location.js';

/**
 * The anchor file's default: beside the database file. A PostgreSQL database has no folder
 * beside it on this host, and a default would scatter anchors over whichever folder each run
 * started in, so there the file must be named.
 */
export function defaultAnchorFile(dbPath: string): string {
  if (isPostgresLocation(dbPath)) throw new InputError('on PostgreSQL there is no folder beside the database: name the anchor file with --to FILE');
  return `${path.resolve(dbPath)}.anchors`;
}

/** One anchor line as written (and printed for syslog). */
export interface AnchorLine {
  anchor: 'agentic-pipeline-audit';
  id: number;
  hash: string | null;
  count: number;
  hash_version: number | null;
  at: string;
  at_ms: number;
  db: string;
}

/** Appends the chain head to `file` (created if missing) and fsyncs it; returns the line written. */
export async function writeAnchor(engine: Engine, dbPath: string, file: string): Promise<AnchorLine> {
  // The head, the count and the time read together, so they describe the same moment.
  const head = await engine.upkeep.anchorHead();
  const atMs = head.at;
  const line: AnchorLine = {
    anchor: 'agentic-pipeline-audit',
    id: head.id,
    hash: head.hash,
    count: head.count,
    hash_version: head.hash_version,
    at: new Date(atMs).toISOString(),
    at_ms: atMs,
    // The file, or the server URL without its password (an anchor file may be shipped anywhere).
    db: engine.kind === 'sqlite' ? path.resolve(dbPath) : engine.location,
  };
  let fd: number;
  try {
    fd = fs.openSync(file, 'a', 0o644);
  } catch (err) {
    throw new InputError(`cannot append to the anchor file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    fs.writeSync(fd, JSON.stringify(line) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return line;
}

/** Reads every anchor in `file`; a missing, empty or malformed file is a usage error. */
export function readAnchors(file: string): AuditAnchor[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read the anchor file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const anchors: AuditAnchor[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    let doc: Partial<AnchorLine>;
    try {
      doc = JSON.parse(raw) as Partial<AnchorLine>;
    } catch {
      throw new InputError(`the anchor file ${file} has a line that is not JSON (line ${i + 1})`);
    }
    const ok =
      doc.anchor === 'agentic-pipeline-audit' && Number.isInteger(doc.id) && doc.id! >= 0 && Number.isInteger(doc.count) &&
      (doc.hash === null || typeof doc.hash === 'string') && Number.isFinite(doc.at_ms);
    if (!ok) throw new InputError(`the anchor file ${file} has a line that is not an audit anchor (line ${i + 1})`);
    anchors.push({ id: doc.id!, hash: doc.hash ?? null, count: doc.count!, at: doc.at_ms!, line: i + 1 });
  }
  if (anchors.length === 0) throw new InputError(`the anchor file ${file} holds no anchors`);
  return anchors;
}
