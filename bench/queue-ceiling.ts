/**
 * The in-run reference for claim figures: what this machine's SQLite does on a bare queue table,
 * measured in the same run as the figures it is set beside (this VM's speed varies by tens of
 * percent between runs, so a ratio to the reference says more than a figure alone).
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';

/**
 * What this machine's SQLite allows for one book at a time — claim + transition as two IMMEDIATE
 * transactions — on a table of 1M narrow (id, state, priority, lease…) rows with a partial claim
 * index, our pragmas and our claim statement's shape. `guarantees` adds what every state change
 * of ours carries: a history row (trigger), maintained counts (trigger), a state index (partial,
 * as claimable rows need none) and a lease index. Any path that commits each book on its own,
 * on a wider row, stays below these.
 */
export function queueCeiling(file: string, seconds: number, guarantees: boolean): number {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('wal_autocheckpoint = 10000');
    db.pragma('cache_size = -65536');
    db.exec(`CREATE TABLE q (id INTEGER PRIMARY KEY, state INTEGER NOT NULL, priority INTEGER NOT NULL,
               entered INTEGER, lease TEXT, lease_expires INTEGER, last_history INTEGER);
             CREATE INDEX q_claim ON q(priority, id) WHERE state = 0;`);
    if (guarantees) {
      db.exec(`
        CREATE TABLE h (id INTEGER PRIMARY KEY, pipeline INTEGER, from_state INTEGER, to_state INTEGER, at INTEGER,
                        duration INTEGER, actor TEXT, prev INTEGER);
        CREATE TRIGGER q_history AFTER UPDATE OF state ON q WHEN OLD.state IS NOT NEW.state BEGIN
          INSERT INTO h (pipeline, from_state, to_state, at, duration, actor, prev)
          VALUES (NEW.id, OLD.state, NEW.state, NEW.entered, NEW.entered - OLD.entered, 'system:worker:w', OLD.last_history);
        END;
        CREATE TABLE c (state INTEGER, priority INTEGER, n INTEGER, PRIMARY KEY (state, priority)) WITHOUT ROWID;
        CREATE TRIGGER q_counts AFTER UPDATE OF state ON q WHEN OLD.state IS NOT NEW.state BEGIN
          UPDATE c SET n = n - 1 WHERE state = OLD.state AND priority = OLD.priority;
          INSERT INTO c VALUES (NEW.state, NEW.priority, 1) ON CONFLICT DO UPDATE SET n = n + 1;
        END;
        CREATE INDEX q_state ON q(state, entered) WHERE state <> 0;
        CREATE INDEX q_lease ON q(lease_expires, state, entered, lease) WHERE lease IS NOT NULL;`);
    }
    const insert = db.prepare('INSERT INTO q (state, priority, entered) VALUES (0, ?, ?)');
    db.transaction(() => {
      for (let i = 0; i < 1_000_000; i++) insert.run(1 + (i % 10), i);
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    const claim = db
      .prepare(
        `UPDATE q SET state = 1, lease = ?, lease_expires = ?, entered = ?
         WHERE id = (SELECT id FROM q INDEXED BY q_claim WHERE state = 0 ORDER BY priority, id LIMIT 1) AND state = 0 RETURNING id`,
      )
      .pluck();
    const move = db.prepare('UPDATE q SET state = 2, entered = ? WHERE id = ? AND state = 1 AND lease = ?');
    const claimTx = db.transaction((lease: string) => claim.get(lease, Date.now() + 600_000, Date.now()) as number);
    const moveTx = db.transaction((id: number, lease: string) => move.run(Date.now(), id, lease));
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      const id = claimTx.immediate('w');
      moveTx.immediate(id, 'w');
      n++;
    }
    return n / ((performance.now() - t0) / 1000);
  } finally {
    db.close();
    for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
  }
}
