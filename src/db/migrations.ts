/**
 * Versioned schema. `PRAGMA user_version` records how many migrations have run; `migrate` applies
 * the rest, each in its own immediate transaction, so opening a database is always idempotent.
 *
 * Invariants the database enforces itself, so no code path can forget them:
 * - every change of `pipelines.state` writes a `state_history` row (trigger), with the time spent
 *   in the state that was left;
 * - `pipeline_counts` (state × priority → n) is maintained by triggers, so the console's counts
 *   never scan the pipelines table;
 * - `audit` is append-only: UPDATE raises, DELETE raises unless the retention gate is open,
 *   and an INSERT cannot reuse an id (INSERT OR REPLACE would otherwise overwrite a row).
 * Append new migrations at the end; never edit one that has shipped.
 */
// Transitional re-export: the queries that import it from here move into src/db/sqlite (#14).
export { workingList } from './state-lists.js';

/** States in which a book no longer holds its content (another copy may be queued). */
export const DEAD_STATES = ['duplicate', 'rejected', 'archived', 'failed'] as const;

/*
 * The migrations are frozen text: every state list is written out, not interpolated from
 * src/domain/states.ts, so editing a constant can never change what an existing database was
 * (or a new one is) migrated with. Adding a state means a new migration that rebuilds the CHECK
 * and the partial indexes; test/db/migrations-frozen.test.ts fails until one does.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: pipelines, history, counts, audit, workers, stats, library.
  `
  CREATE TABLE pipelines (
    id               TEXT PRIMARY KEY,
    source_path      TEXT NOT NULL,
    content_hash     TEXT,
    size             INTEGER,
    format           TEXT,
    state            TEXT NOT NULL CHECK (state IN ('detected', 'hashing', 'classifying', 'selecting_strategy', 'processing', 'validating', 'pending_approval', 'approved', 'embedding', 'complete', 'needs_retry', 'failed', 'rejected', 'archived', 'duplicate')),
    -- priority is the effective one (aging lowers it); base_priority is what a person set.
    priority         INTEGER NOT NULL DEFAULT 5 CHECK (priority BETWEEN 1 AND 10),
    base_priority    INTEGER NOT NULL DEFAULT 5 CHECK (base_priority BETWEEN 1 AND 10),
    book_type        TEXT,
    confidence       REAL CHECK (confidence IS NULL OR (confidence >= 0 AND confidence <= 1)),
    profile_json     TEXT,
    strategy_json    TEXT,
    result_json      TEXT,
    error_json       TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    next_attempt_at  INTEGER,
    lease_owner      TEXT,
    lease_token      TEXT,
    lease_expires_at INTEGER,
    heartbeat_at     INTEGER,
    auto_recoveries  INTEGER NOT NULL DEFAULT 0,
    duplicate_of     TEXT REFERENCES pipelines(id),
    -- bumped by every meaningful change (not by heartbeats): a batch skips a book whose version
    -- moved since it was previewed.
    version          INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    state_entered_at INTEGER NOT NULL,
    completed_at     INTEGER,
    approved_by      TEXT,
    -- who made the latest state change and why: read by the history trigger.
    last_actor       TEXT NOT NULL DEFAULT 'system:unknown',
    transition_note  TEXT
  );

  -- Claim order over exactly the claimable rows; next_attempt_at rides along so the backoff
  -- check needs no table lookup.
  CREATE INDEX pipelines_claim ON pipelines(priority, created_at, id, next_attempt_at)
    WHERE state IN ('detected', 'needs_retry', 'approved');
  CREATE INDEX pipelines_state_entered ON pipelines(state, state_entered_at);
  CREATE INDEX pipelines_created ON pipelines(created_at);
  CREATE INDEX pipelines_lease_expiry ON pipelines(lease_expires_at) WHERE lease_owner IS NOT NULL;
  CREATE INDEX pipelines_lease_owner ON pipelines(lease_owner) WHERE lease_owner IS NOT NULL;
  CREATE INDEX pipelines_completed ON pipelines(completed_at) WHERE completed_at IS NOT NULL;
  CREATE INDEX pipelines_type_confidence ON pipelines(state, book_type, confidence);
  -- One live pipeline per content: a second copy becomes a 'duplicate' row instead.
  CREATE UNIQUE INDEX pipelines_live_content ON pipelines(content_hash)
    WHERE content_hash IS NOT NULL AND state NOT IN ('duplicate', 'rejected', 'archived', 'failed');
  CREATE INDEX pipelines_content ON pipelines(content_hash) WHERE content_hash IS NOT NULL;

  CREATE TABLE state_history (
    id          INTEGER PRIMARY KEY,
    pipeline_id TEXT NOT NULL REFERENCES pipelines(id),
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    at          INTEGER NOT NULL,
    duration_ms INTEGER,
    actor       TEXT NOT NULL,
    details     TEXT
  );
  CREATE INDEX state_history_pipeline ON state_history(pipeline_id, id);
  -- Learning each state's typical duration: newest samples of one state, covering.
  CREATE INDEX state_history_learning ON state_history(from_state, at, duration_ms);

  CREATE TRIGGER pipelines_history_insert AFTER INSERT ON pipelines BEGIN
    INSERT INTO state_history (pipeline_id, from_state, to_state, at, duration_ms, actor, details)
    VALUES (NEW.id, NULL, NEW.state, NEW.state_entered_at, NULL, NEW.last_actor, NEW.transition_note);
  END;
  CREATE TRIGGER pipelines_history_update AFTER UPDATE OF state ON pipelines
    WHEN OLD.state IS NOT NEW.state BEGIN
    INSERT INTO state_history (pipeline_id, from_state, to_state, at, duration_ms, actor, details)
    VALUES (NEW.id, OLD.state, NEW.state, NEW.state_entered_at,
            NEW.state_entered_at - OLD.state_entered_at, NEW.last_actor, NEW.transition_note);
  END;

  CREATE TABLE pipeline_counts (
    state    TEXT NOT NULL,
    priority INTEGER NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (state, priority)
  ) WITHOUT ROWID;
  CREATE TRIGGER pipeline_counts_insert AFTER INSERT ON pipelines BEGIN
    INSERT INTO pipeline_counts (state, priority, n) VALUES (NEW.state, NEW.priority, 1)
      ON CONFLICT (state, priority) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER pipeline_counts_delete AFTER DELETE ON pipelines BEGIN
    UPDATE pipeline_counts SET n = n - 1 WHERE state = OLD.state AND priority = OLD.priority;
  END;
  CREATE TRIGGER pipeline_counts_update AFTER UPDATE OF state, priority ON pipelines
    WHEN OLD.state IS NOT NEW.state OR OLD.priority IS NOT NEW.priority BEGIN
    UPDATE pipeline_counts SET n = n - 1 WHERE state = OLD.state AND priority = OLD.priority;
    INSERT INTO pipeline_counts (state, priority, n) VALUES (NEW.state, NEW.priority, 1)
      ON CONFLICT (state, priority) DO UPDATE SET n = n + 1;
  END;

  CREATE TABLE audit (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           INTEGER NOT NULL,
    action       TEXT NOT NULL CHECK (action GLOB '[A-Z]*' AND action NOT GLOB '*[^A-Z_]*'),
    actor        TEXT NOT NULL CHECK (actor GLOB 'human:?*' OR actor GLOB 'auto:?*'
                                      OR actor GLOB 'system:?*' OR actor GLOB 'mcp:?*'),
    pipeline_id  TEXT,
    batch_id     INTEGER,
    reason       TEXT,
    before_value TEXT,
    after_value  TEXT,
    filter_json  TEXT,
    ids_json     TEXT,
    count        INTEGER,
    confidence   REAL,
    details_json TEXT,
    -- hash chain: hash = sha256(prev_hash || canonical row); tampering is evident to verify.
    prev_hash    TEXT,
    hash         TEXT NOT NULL
  );
  CREATE INDEX audit_pipeline ON audit(pipeline_id, id) WHERE pipeline_id IS NOT NULL;
  CREATE INDEX audit_actor ON audit(actor, id);
  CREATE INDEX audit_action ON audit(action, id);
  CREATE INDEX audit_at ON audit(at);
  CREATE INDEX audit_batch ON audit(batch_id) WHERE batch_id IS NOT NULL;

  -- The single door through which retention may delete audit rows.
  CREATE TABLE audit_gate (id INTEGER PRIMARY KEY CHECK (id = 1), open INTEGER NOT NULL DEFAULT 0);
  INSERT INTO audit_gate (id, open) VALUES (1, 0);
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN
    SELECT RAISE(ABORT, 'audit rows are append-only: UPDATE is not allowed');
  END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    WHEN (SELECT open FROM audit_gate WHERE id = 1) IS NOT 1 BEGIN
    SELECT RAISE(ABORT, 'audit rows are append-only: DELETE is allowed only through retention');
  END;
  CREATE TRIGGER audit_no_reuse BEFORE INSERT ON audit
    WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit WHERE id = NEW.id) BEGIN
    SELECT RAISE(ABORT, 'audit rows are append-only: an id cannot be reused');
  END;

  CREATE TABLE workers (
    id           TEXT PRIMARY KEY,
    pid          INTEGER,
    host         TEXT,
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    stopped_at   INTEGER,
    concurrency  INTEGER,
    info_json    TEXT
  );
  CREATE INDEX workers_heartbeat ON workers(heartbeat_at);

  -- Learned per-state durations, refreshed by maintenance (stuck detection reads these).
  CREATE TABLE state_stats (
    state       TEXT PRIMARY KEY,
    samples     INTEGER NOT NULL,
    median_ms   INTEGER,
    p95_ms      INTEGER,
    max_ms      INTEGER,
    computed_at INTEGER NOT NULL
  );

  -- The library: what a processed book contributes. Rollback deletes a book's rows (cascade).
  CREATE TABLE books (
    pipeline_id   TEXT PRIMARY KEY REFERENCES pipelines(id),
    title         TEXT,
    author        TEXT,
    language      TEXT,
    format        TEXT,
    book_type     TEXT,
    strategy      TEXT,
    chapter_count INTEGER NOT NULL DEFAULT 0,
    chunk_count   INTEGER NOT NULL DEFAULT 0,
    word_count    INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
  );
  CREATE TABLE chapters (
    id          INTEGER PRIMARY KEY,
    pipeline_id TEXT NOT NULL REFERENCES books(pipeline_id) ON DELETE CASCADE,
    ord         INTEGER NOT NULL,
    title       TEXT,
    word_count  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (pipeline_id, ord)
  );
  CREATE TABLE chunks (
    id          INTEGER PRIMARY KEY,
    pipeline_id TEXT NOT NULL REFERENCES books(pipeline_id) ON DELETE CASCADE,
    chapter_id  INTEGER NOT NULL REFERENCES chapters(id) ON DELETE CASCADE,
    ord         INTEGER NOT NULL,
    text        TEXT NOT NULL,
    word_count  INTEGER NOT NULL DEFAULT 0,
    embedding   BLOB,
    UNIQUE (pipeline_id, ord)
  );
  CREATE INDEX chunks_chapter ON chunks(chapter_id);
  `,
  // 2 (ops): finished runs (complete/failed) newest first, for the failure rate over the last N
  // finished books without scanning history.
  `
  CREATE INDEX state_history_finished ON state_history(at, to_state) WHERE to_state IN ('complete', 'failed');
  `,
  // 3 (ops): expired leases with their state and entry time, so counting stuck books whose lease
  // expired never visits the table (a crashed fleet can leave thousands).
  `
  CREATE INDEX pipelines_lease_stuck ON pipelines(lease_expires_at, state, state_entered_at) WHERE lease_owner IS NOT NULL;
  `,
  // 4: fewer index pages per claim. Each index a claim touches costs a page in every commit
  // (measured: 5.8k → see docs/PERFORMANCE.md). Claims leave a claimable state, so learning
  // samples (working states only) and type/confidence (set later, by classifying) need no entry;
  // pipelines_lease_stuck already leads with lease_expires_at under the same predicate.
  `
  DROP INDEX pipelines_lease_expiry;
  DROP INDEX state_history_learning;
  CREATE INDEX state_history_learning ON state_history(from_state, at, duration_ms)
    WHERE from_state IN ('hashing', 'classifying', 'selecting_strategy', 'processing', 'validating', 'embedding');
  DROP INDEX pipelines_type_confidence;
  CREATE INDEX pipelines_type_confidence ON pipelines(state, book_type, confidence) WHERE book_type IS NOT NULL;
  `,
  // 5: no random index page per state change or audit row. Measured on a 1M-book file, the
  // (pipeline_id, id) indexes of history and audit and the state-dependent content index cost
  // 2-4 page writes per row at random places (splits included): most of a claim's and of a batch
  // approval's time. Instead:
  // - each pipeline points at its newest history row and newest audit row, and each of those rows
  //   at the previous one of the same pipeline: a book's trail is a walk from its row (a few
  //   rowid probes), and writing a row touches only the end of its table plus the book's own row;
  // - a deleted audit row leaves a bridge in audit_deletions, so walks step over it (and verify
  //   can bridge the hash chain across retention's deletions);
  // - live_hash holds content_hash only while the book is live, set by trigger when liveness or
  //   the hash changes, so ordinary state changes leave the uniqueness index alone;
  // - lease_owner rides in pipelines_lease_stuck (leased rows are few) instead of its own index;
  // - type/confidence are indexed for the approval queue only.
  `
  ALTER TABLE pipelines ADD COLUMN live_hash TEXT;
  ALTER TABLE pipelines ADD COLUMN last_history_id INTEGER;
  ALTER TABLE pipelines ADD COLUMN last_audit_id INTEGER;
  ALTER TABLE state_history ADD COLUMN prev_id INTEGER;
  ALTER TABLE audit ADD COLUMN pipeline_prev_id INTEGER;

  UPDATE state_history SET prev_id = x.prev
    FROM (SELECT id, LAG(id) OVER (PARTITION BY pipeline_id ORDER BY id) AS prev FROM state_history) AS x
    WHERE state_history.id = x.id AND x.prev IS NOT NULL;
  UPDATE pipelines SET last_history_id = (SELECT MAX(id) FROM state_history WHERE pipeline_id = pipelines.id);

  DROP TRIGGER audit_no_update;
  UPDATE audit SET pipeline_prev_id = x.prev
    FROM (SELECT id, LAG(id) OVER (PARTITION BY pipeline_id ORDER BY id) AS prev FROM audit WHERE pipeline_id IS NOT NULL) AS x
    WHERE audit.id = x.id AND x.prev IS NOT NULL;
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN
    SELECT RAISE(ABORT, 'audit rows are append-only: UPDATE is not allowed');
  END;
  UPDATE pipelines SET last_audit_id = (SELECT MAX(id) FROM audit WHERE pipeline_id = pipelines.id);

  UPDATE pipelines SET live_hash = content_hash
    WHERE content_hash IS NOT NULL AND state NOT IN ('duplicate', 'rejected', 'archived', 'failed');

  DROP INDEX state_history_pipeline;
  DROP INDEX audit_pipeline;
  DROP INDEX pipelines_live_content;
  DROP INDEX pipelines_lease_owner;
  DROP INDEX pipelines_lease_stuck;
  CREATE UNIQUE INDEX pipelines_live_hash ON pipelines(live_hash) WHERE live_hash IS NOT NULL;
  CREATE INDEX pipelines_lease_stuck ON pipelines(lease_expires_at, state, state_entered_at, lease_owner)
    WHERE lease_owner IS NOT NULL;
  -- Batch filters by type and confidence serve the approval queue; an index over every typed
  -- book moved two entries (state is its first column) for each approval.
  DROP INDEX pipelines_type_confidence;
  CREATE INDEX pipelines_approval_queue ON pipelines(book_type, confidence) WHERE state = 'pending_approval';

  DROP TRIGGER pipelines_history_insert;
  DROP TRIGGER pipelines_history_update;
  CREATE TRIGGER pipelines_history_insert AFTER INSERT ON pipelines BEGIN
    INSERT INTO state_history (pipeline_id, from_state, to_state, at, duration_ms, actor, details, prev_id)
    VALUES (NEW.id, NULL, NEW.state, NEW.state_entered_at, NULL, NEW.last_actor, NEW.transition_note, NULL);
    UPDATE pipelines SET last_history_id = last_insert_rowid() WHERE rowid = NEW.rowid;
  END;
  CREATE TRIGGER pipelines_history_update AFTER UPDATE OF state ON pipelines
    WHEN OLD.state IS NOT NEW.state BEGIN
    INSERT INTO state_history (pipeline_id, from_state, to_state, at, duration_ms, actor, details, prev_id)
    VALUES (NEW.id, OLD.state, NEW.state, NEW.state_entered_at,
            NEW.state_entered_at - OLD.state_entered_at, NEW.last_actor, NEW.transition_note, OLD.last_history_id);
    UPDATE pipelines SET last_history_id = last_insert_rowid() WHERE rowid = NEW.rowid;
  END;

  CREATE TRIGGER pipelines_live_hash_insert AFTER INSERT ON pipelines
    WHEN NEW.content_hash IS NOT NULL AND NEW.state NOT IN ('duplicate', 'rejected', 'archived', 'failed') BEGIN
    UPDATE pipelines SET live_hash = NEW.content_hash WHERE rowid = NEW.rowid;
  END;
  CREATE TRIGGER pipelines_live_hash_update AFTER UPDATE OF state, content_hash ON pipelines
    WHEN NEW.live_hash IS NOT (CASE WHEN NEW.state NOT IN ('duplicate', 'rejected', 'archived', 'failed') THEN NEW.content_hash END) BEGIN
    UPDATE pipelines SET live_hash = CASE WHEN NEW.state NOT IN ('duplicate', 'rejected', 'archived', 'failed') THEN NEW.content_hash END
      WHERE rowid = NEW.rowid;
  END;

  -- Every deleted audit row leaves its links here: the book trail walks over it (prev_id), and
  -- verify bridges the hash chain through it (prev_hash → hash), telling deletions made through
  -- retention's gate (by_retention = 1) from any other. Rows deleted before this migration
  -- were not recorded: verify reports gaps up to recorded_from as unverifiable, not as tampering.
  CREATE TABLE audit_deletions (
    id           INTEGER PRIMARY KEY,
    prev_id      INTEGER,
    prev_hash    TEXT,
    hash         TEXT NOT NULL,
    by_retention INTEGER NOT NULL
  );
  CREATE TABLE audit_deletions_meta (id INTEGER PRIMARY KEY CHECK (id = 1), recorded_from INTEGER NOT NULL);
  INSERT INTO audit_deletions_meta (id, recorded_from) SELECT 1, COALESCE(MAX(id), 0) FROM audit;
  CREATE TRIGGER audit_pipeline_chain_check BEFORE INSERT ON audit
    WHEN NEW.pipeline_id IS NOT NULL
     AND NEW.pipeline_prev_id IS NOT (SELECT last_audit_id FROM pipelines WHERE id = NEW.pipeline_id) BEGIN
    SELECT RAISE(ABORT, 'an audit row must link to the newest audit row of its pipeline (pipeline_prev_id)');
  END;
  CREATE TRIGGER audit_pipeline_chain AFTER INSERT ON audit WHEN NEW.pipeline_id IS NOT NULL BEGIN
    UPDATE pipelines SET last_audit_id = NEW.id WHERE id = NEW.pipeline_id;
  END;
  CREATE TRIGGER audit_deletion_record AFTER DELETE ON audit BEGIN
    INSERT INTO audit_deletions (id, prev_id, prev_hash, hash, by_retention)
    VALUES (OLD.id, OLD.pipeline_prev_id, OLD.prev_hash, OLD.hash,
            COALESCE((SELECT open FROM audit_gate WHERE id = 1), 0));
  END;
  `,
  // 6: an audit trail that cannot be hollowed out in silence (issue #16).
  // - hash_version: NULL rows keep the schema-5 formula; 2 hashes every column a reader relies
  //   on (id and the trail pointer pipeline_prev_id included); 3 is the same as an HMAC with a
  //   key kept outside the file. Old rows stay verifiable with their own formula; turning a new
  //   row into an old one changes its hash, i.e. rewrites the chain.
  // - a deletion records the row's action and time and which AUDIT_PRUNED entry it belongs to
  //   (audit_gate.pruning, set by retention for the entry it is about to append), so verify can
  //   check every removed row against the policy, count and digest that entry names. A gate
  //   opened by hand leaves pruned_by NULL: tampering.
  // - audit_meta.legacy_deletions_upto: deletions recorded under schema 5 (no action, no
  //   entry) are reported as unverifiable, and only up to this id.
  `
  ALTER TABLE audit ADD COLUMN hash_version INTEGER;
  ALTER TABLE audit_deletions ADD COLUMN action TEXT;
  ALTER TABLE audit_deletions ADD COLUMN at INTEGER;
  ALTER TABLE audit_deletions ADD COLUMN pruned_by INTEGER;
  ALTER TABLE audit_gate ADD COLUMN pruning INTEGER;
  CREATE INDEX audit_deletions_pruned ON audit_deletions(pruned_by, id) WHERE pruned_by IS NOT NULL;
  DROP TRIGGER audit_deletion_record;
  CREATE TRIGGER audit_deletion_record AFTER DELETE ON audit BEGIN
    INSERT INTO audit_deletions (id, prev_id, prev_hash, hash, by_retention, action, at, pruned_by)
    VALUES (OLD.id, OLD.pipeline_prev_id, OLD.prev_hash, OLD.hash,
            COALESCE((SELECT open FROM audit_gate WHERE id = 1), 0), OLD.action, OLD.at,
            (SELECT pruning FROM audit_gate WHERE id = 1 AND open = 1));
  END;
  CREATE TABLE audit_meta (id INTEGER PRIMARY KEY CHECK (id = 1), legacy_deletions_upto INTEGER NOT NULL);
  INSERT INTO audit_meta (id, legacy_deletions_upto) SELECT 1, COALESCE(MAX(id), 0) FROM audit_deletions;
  `,
];
