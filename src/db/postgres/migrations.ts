/**
 * The PostgreSQL schema, versioned like SQLite's (src/db/migrations.ts): `schema_version` holds
 * how many migrations have run, and `migratePg` applies the rest, each in its own transaction
 * under an advisory lock, so any number of processes may open the database at once.
 *
 * The tables and constraints mirror SQLite's schema 6 (the PostgreSQL engine starts there; it has
 * no history of its own to replay). What differs, and why:
 * - Times are `bigint` milliseconds since the epoch, not timestamptz: rows and `--json` stay
 *   identical to SQLite's, and the domain's clock is ms. Lease expiry and backoff still compare
 *   against the DATABASE's clock (`ap_now`), never a host's: hosts' clocks drift apart, the
 *   server's is one clock for the whole fleet.
 * - JSON columns are `json`, not `jsonb`: jsonb re-orders keys and drops whitespace, so a row read
 *   back would differ from the one written, and the audit hash covers these columns' exact text.
 *   `json` validates and keeps the text. (An expression index can cast to jsonb where a query
 *   needs one.)
 * - History is written by triggers in the same transaction as each pipelines change, like
 *   SQLite's (statement triggers over transition tables since migration 5: one INSERT … SELECT
 *   per statement, not one per row); a book's trail is read through a (pipeline_id, id) index.
 *   SQLite's pointer chains (last_history_id, prev_id) exist there to avoid random index pages
 *   per commit in one file; here an index on the hot end of a bigint sequence costs one page per
 *   row.
 * - Counts are 16 sharded slots per (state, priority), summed on read: one hot row per cell
 *   serialised every claim behind one row lock (measured: half the claims/s; see
 *   shared/notes/operations.md). A transaction writes one slot (its transaction id mod 16, since
 *   migration 5; the backend pid before): concurrent transactions have neighbouring ids, so they
 *   rarely share a slot, and a collision lasts one transaction, not a connection's lifetime.
 * - The audit hash chain takes each row's id (its position) from a locked head row,
 *   `audit_chain_head`, not from an identity column: identities are handed out before commit
 *   and not in commit order, which broke the chain under concurrency. The head also keeps the
 *   last hash given out (the prev_hash of the next row, removed rows included) and the high-water
 *   mark that verify's "tail removed" check needs (SQLite: sqlite_sequence).
 * - Append-only is enforced by row triggers on UPDATE/DELETE and a statement trigger on TRUNCATE
 *   (row triggers do not see TRUNCATE). Owners and superusers can drop triggers: the application
 *   role should not own the audit table; the hash chain makes what they do evident anyway.
 * Append new migrations at the end; never edit one that has shipped.
 */
import { STATES, CLAIMABLE_STATES, WORKING_STATES } from '../../domain/states.js';
import { DEAD_STATES } from '../migrations.js';

const list = (xs: readonly string[]) => xs.map((s) => `'${s}'`).join(', ');
const stateList = list(STATES);
/** Written identically in the claim index and every claim query, so the planner can use the index. */
export const CLAIMABLE_LIST = list(CLAIMABLE_STATES);
const workingList = list(WORKING_STATES);
const deadList = list(DEAD_STATES);

/** Sharded slots per (state, priority) count cell. */
export const COUNT_SLOTS = 16;

/**
 * Adds the signed per-cell deltas `cells` gives (state, priority, n) to this transaction's slot,
 * cells in key order (two transactions sharing a slot lock its rows in the same order).
 */
const addCounts = (cells: string) => `
    INSERT INTO pipeline_counts (state, priority, slot, n)
    SELECT c.state, c.priority, (txid_current() % ${COUNT_SLOTS})::smallint, c.n FROM (${cells}) c
    WHERE c.n <> 0
    ORDER BY c.state, c.priority
    ON CONFLICT (state, priority, slot) DO UPDATE SET n = pipeline_counts.n + excluded.n`;

export const PG_MIGRATIONS: readonly string[] = [
  // 1: everything SQLite's schema 6 has.
  `
  -- The database's clock in ms (the statement's start: every row of one statement gets the same
  -- time). ap_now(x) is x when given: tests pass a clock they move; production passes NULL.
  CREATE FUNCTION ap_now_ms() RETURNS bigint LANGUAGE sql STABLE
    AS $$ SELECT (extract(epoch FROM statement_timestamp()) * 1000)::bigint $$;
  CREATE FUNCTION ap_now(given bigint) RETURNS bigint LANGUAGE sql STABLE
    AS $$ SELECT COALESCE(given, (extract(epoch FROM statement_timestamp()) * 1000)::bigint) $$;

  CREATE TABLE pipelines (
    id               text PRIMARY KEY,
    source_path      text NOT NULL,
    content_hash     text,
    size             bigint,
    format           text,
    state            text NOT NULL CHECK (state IN (${stateList})),
    -- priority is the effective one (aging lowers it); base_priority is what a person set.
    priority         integer NOT NULL DEFAULT 5 CHECK (priority BETWEEN 1 AND 10),
    base_priority    integer NOT NULL DEFAULT 5 CHECK (base_priority BETWEEN 1 AND 10),
    book_type        text,
    confidence       double precision CHECK (confidence IS NULL OR (confidence >= 0 AND confidence <= 1)),
    profile_json     json,
    strategy_json    json,
    result_json      json,
    error_json       json,
    attempts         integer NOT NULL DEFAULT 0,
    max_attempts     integer NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    next_attempt_at  bigint,
    lease_owner      text,
    lease_token      text,
    lease_expires_at bigint,
    heartbeat_at     bigint,
    auto_recoveries  integer NOT NULL DEFAULT 0,
    duplicate_of     text REFERENCES pipelines(id),
    -- bumped by every meaningful change (not by heartbeats): a batch skips a book whose version
    -- moved since it was previewed.
    version          integer NOT NULL DEFAULT 0,
    created_at       bigint NOT NULL,
    updated_at       bigint NOT NULL,
    state_entered_at bigint NOT NULL,
    completed_at     bigint,
    approved_by      text,
    -- who made the latest state change and why: read by the history trigger.
    last_actor       text NOT NULL DEFAULT 'system:unknown',
    transition_note  text,
    -- content_hash while the book is live: one live pipeline per content (unique index below).
    live_hash        text GENERATED ALWAYS AS (CASE WHEN state NOT IN (${deadList}) THEN content_hash END) STORED,
    -- the book's newest audit row: what its next row links to (pipeline_prev_id, hashed).
    last_audit_id    bigint,
    -- insertion order (SQLite's rowid): which of two books queued in the same millisecond came
    -- first, for the duplicate rule ("the book queued first is the original"). Not a column of
    -- PipelineRow; only the stage commit's live-copy check reads it.
    queue_seq        bigint GENERATED ALWAYS AS IDENTITY
  );

  -- Claim order over exactly the claimable rows (the claim's FOR UPDATE SKIP LOCKED walks it);
  -- next_attempt_at rides along so the backoff check needs no heap visit.
  CREATE INDEX pipelines_claim ON pipelines (priority, created_at, id) INCLUDE (next_attempt_at)
    WHERE state IN (${CLAIMABLE_LIST});
  CREATE INDEX pipelines_state_entered ON pipelines (state, state_entered_at);
  CREATE INDEX pipelines_created ON pipelines (created_at, id);
  CREATE INDEX pipelines_completed ON pipelines (completed_at) WHERE completed_at IS NOT NULL;
  CREATE UNIQUE INDEX pipelines_live_hash ON pipelines (live_hash) WHERE live_hash IS NOT NULL;
  CREATE INDEX pipelines_content ON pipelines (content_hash) WHERE content_hash IS NOT NULL;
  -- Leased rows are few (the fleet's concurrency): heartbeats and lease rescue read these.
  CREATE INDEX pipelines_lease_stuck ON pipelines (lease_expires_at, state, state_entered_at, lease_owner)
    WHERE lease_owner IS NOT NULL;
  CREATE INDEX pipelines_lease_owner ON pipelines (lease_owner) WHERE lease_owner IS NOT NULL;
  CREATE INDEX pipelines_approval_queue ON pipelines (book_type, confidence) WHERE state = 'pending_approval';

  CREATE TABLE state_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pipeline_id text NOT NULL REFERENCES pipelines(id),
    from_state  text,
    to_state    text NOT NULL,
    at          bigint NOT NULL,
    duration_ms bigint,
    actor       text NOT NULL,
    details     text
  );
  CREATE INDEX state_history_pipeline ON state_history (pipeline_id, id);
  -- Learning each working state's typical duration: newest samples of one state, covering.
  CREATE INDEX state_history_learning ON state_history (from_state, at, duration_ms)
    WHERE from_state IN (${workingList});
  -- Finished runs newest first, for the failure rate over the last N finished books.
  CREATE INDEX state_history_finished ON state_history (at, to_state) WHERE to_state IN ('complete', 'failed');

  CREATE FUNCTION pipelines_history() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'INSERT' THEN
      INSERT INTO state_history (pipeline_id, from_state, to_state, at, duration_ms, actor, details)
      VALUES (NEW.id, NULL, NEW.state, NEW.state_entered_at, NULL, NEW.last_actor, NEW.transition_note);
    ELSE
      INSERT INTO state_history (pipeline_id, from_state, to_state, at, duration_ms, actor, details)
      VALUES (NEW.id, OLD.state, NEW.state, NEW.state_entered_at,
              NEW.state_entered_at - OLD.state_entered_at, NEW.last_actor, NEW.transition_note);
    END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER pipelines_history_insert AFTER INSERT ON pipelines
    FOR EACH ROW EXECUTE FUNCTION pipelines_history();
  CREATE TRIGGER pipelines_history_update AFTER UPDATE OF state ON pipelines
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION pipelines_history();

  CREATE TABLE pipeline_counts (
    state    text NOT NULL,
    priority integer NOT NULL,
    slot     smallint NOT NULL CHECK (slot >= 0 AND slot < ${COUNT_SLOTS}),
    n        bigint NOT NULL,
    PRIMARY KEY (state, priority, slot)
  );
  CREATE FUNCTION pipeline_counts_bump() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    s smallint := pg_backend_pid() % ${COUNT_SLOTS};
  BEGIN
    IF TG_OP <> 'INSERT' THEN
      INSERT INTO pipeline_counts (state, priority, slot, n) VALUES (OLD.state, OLD.priority, s, -1)
        ON CONFLICT (state, priority, slot) DO UPDATE SET n = pipeline_counts.n - 1;
    END IF;
    IF TG_OP <> 'DELETE' THEN
      INSERT INTO pipeline_counts (state, priority, slot, n) VALUES (NEW.state, NEW.priority, s, 1)
        ON CONFLICT (state, priority, slot) DO UPDATE SET n = pipeline_counts.n + 1;
    END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER pipeline_counts_insert AFTER INSERT ON pipelines
    FOR EACH ROW EXECUTE FUNCTION pipeline_counts_bump();
  CREATE TRIGGER pipeline_counts_delete AFTER DELETE ON pipelines
    FOR EACH ROW EXECUTE FUNCTION pipeline_counts_bump();
  CREATE TRIGGER pipeline_counts_update AFTER UPDATE OF state, priority ON pipelines
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.priority IS DISTINCT FROM NEW.priority)
    EXECUTE FUNCTION pipeline_counts_bump();

  CREATE TABLE audit (
    -- taken from audit_chain_head.pos by the writer (see the head's comment), never a sequence.
    id           bigint PRIMARY KEY,
    at           bigint NOT NULL,
    action       text NOT NULL CHECK (action ~ '^[A-Z][A-Z_]*$'),
    actor        text NOT NULL CHECK (actor ~ '^(human|auto|system|mcp):.'),
    pipeline_id  text,
    batch_id     bigint,
    reason       text,
    before_value json,
    after_value  json,
    filter_json  json,
    ids_json     json,
    count        bigint,
    confidence   double precision,
    details_json json,
    -- hash chain: hash = sha256/HMAC(prev_hash || canonical row), as SQLite's auditRowHashV.
    prev_hash    text,
    hash         text NOT NULL,
    pipeline_prev_id bigint,
    hash_version integer
  );
  CREATE INDEX audit_pipeline ON audit (pipeline_id, id) WHERE pipeline_id IS NOT NULL;
  CREATE INDEX audit_actor ON audit (actor, id);
  CREATE INDEX audit_action ON audit (action, id);
  CREATE INDEX audit_at ON audit (at);
  CREATE INDEX audit_batch ON audit (batch_id) WHERE batch_id IS NOT NULL;

  -- The chain's head, one row: pos is the last id given out (ids past it do not exist yet; ids
  -- at or below it that are missing were removed), hash and hash_version those of that entry.
  -- A writer takes its ids with UPDATE … SET pos = pos + n RETURNING: the row lock orders every
  -- append in commit order, which an identity column does not.
  CREATE TABLE audit_chain_head (
    id           integer PRIMARY KEY CHECK (id = 1),
    pos          bigint NOT NULL,
    hash         text,
    hash_version integer
  );
  INSERT INTO audit_chain_head (id, pos) VALUES (1, 0);
  CREATE FUNCTION audit_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NEW.pos < OLD.pos THEN
      RAISE EXCEPTION 'the audit chain head only moves forward';
    END IF;
    RETURN NEW;
  END $$;
  CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_chain_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_forward();
  CREATE FUNCTION audit_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    RAISE EXCEPTION 'audit rows are append-only: TRUNCATE is not allowed';
  END $$;
  CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();

  -- The single door through which retention may delete audit rows; pruning names the
  -- AUDIT_PRUNED entry the deletions belong to.
  CREATE TABLE audit_gate (
    id      integer PRIMARY KEY CHECK (id = 1),
    open    integer NOT NULL DEFAULT 0,
    pruning bigint
  );
  INSERT INTO audit_gate (id, open) VALUES (1, 0);

  -- Every deleted audit row leaves its links here, so verify can bridge the chain across
  -- retention's deletions and tell them from any other.
  CREATE TABLE audit_deletions (
    id           bigint PRIMARY KEY,
    prev_id      bigint,
    prev_hash    text,
    hash         text NOT NULL,
    by_retention integer NOT NULL,
    action       text,
    at           bigint,
    pruned_by    bigint
  );
  CREATE INDEX audit_deletions_pruned ON audit_deletions (pruned_by, id) WHERE pruned_by IS NOT NULL;

  CREATE FUNCTION audit_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    RAISE EXCEPTION 'audit rows are append-only: UPDATE is not allowed';
  END $$;
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_update();
  CREATE FUNCTION audit_refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF (SELECT open FROM audit_gate WHERE id = 1) IS DISTINCT FROM 1 THEN
      RAISE EXCEPTION 'audit rows are append-only: DELETE is allowed only through retention';
    END IF;
    RETURN OLD;
  END $$;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_delete();
  CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
  CREATE TRIGGER audit_deletions_no_truncate BEFORE TRUNCATE ON audit_deletions
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();

  -- An appended row must take its id from the head (not run ahead of it) and link to its
  -- book's newest row; the book then points at it. BEFORE, not AFTER: a multi-row INSERT queues
  -- AFTER row triggers to the statement's end, and a book's second row in one append must see
  -- its first.
  CREATE FUNCTION audit_check_insert() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NEW.id > (SELECT pos FROM audit_chain_head WHERE id = 1) THEN
      RAISE EXCEPTION 'an audit row must take its id from audit_chain_head';
    END IF;
    IF NEW.pipeline_id IS NOT NULL THEN
      IF NEW.pipeline_prev_id IS DISTINCT FROM (SELECT last_audit_id FROM pipelines WHERE id = NEW.pipeline_id) THEN
        RAISE EXCEPTION 'an audit row must link to the newest audit row of its pipeline (pipeline_prev_id)';
      END IF;
      UPDATE pipelines SET last_audit_id = NEW.id WHERE id = NEW.pipeline_id;
    END IF;
    RETURN NEW;
  END $$;
  CREATE TRIGGER audit_check_insert BEFORE INSERT ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_check_insert();
  CREATE FUNCTION audit_deletion_record() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO audit_deletions (id, prev_id, prev_hash, hash, by_retention, action, at, pruned_by)
    VALUES (OLD.id, OLD.pipeline_prev_id, OLD.prev_hash, OLD.hash,
            COALESCE((SELECT open FROM audit_gate WHERE id = 1), 0), OLD.action, OLD.at,
            (SELECT pruning FROM audit_gate WHERE id = 1 AND open = 1));
    RETURN NULL;
  END $$;
  CREATE TRIGGER audit_deletion_record AFTER DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_deletion_record();

  CREATE TABLE workers (
    id           text PRIMARY KEY,
    pid          integer,
    host         text,
    started_at   bigint NOT NULL,
    heartbeat_at bigint NOT NULL,
    stopped_at   bigint,
    concurrency  integer,
    info_json    json
  );
  CREATE INDEX workers_heartbeat ON workers (heartbeat_at);

  -- Learned per-state durations, refreshed by maintenance (stuck detection reads these).
  CREATE TABLE state_stats (
    state       text PRIMARY KEY,
    samples     bigint NOT NULL,
    median_ms   bigint,
    p95_ms      bigint,
    max_ms      bigint,
    computed_at bigint NOT NULL
  );

  -- The library: what a processed book contributes. Rollback deletes a book's rows (cascade).
  CREATE TABLE books (
    pipeline_id   text PRIMARY KEY REFERENCES pipelines(id),
    title         text,
    author        text,
    language      text,
    format        text,
    book_type     text,
    strategy      text,
    chapter_count integer NOT NULL DEFAULT 0,
    chunk_count   integer NOT NULL DEFAULT 0,
    word_count    bigint NOT NULL DEFAULT 0,
    created_at    bigint NOT NULL
  );
  CREATE TABLE chapters (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    pipeline_id text NOT NULL REFERENCES books(pipeline_id) ON DELETE CASCADE,
    ord         integer NOT NULL,
    title       text,
    word_count  bigint NOT NULL DEFAULT 0,
    UNIQUE (pipeline_id, ord)
  );
  CREATE TABLE chunks (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    pipeline_id text NOT NULL REFERENCES books(pipeline_id) ON DELETE CASCADE,
    chapter_id  bigint NOT NULL REFERENCES chapters(id) ON DELETE CASCADE,
    ord         integer NOT NULL,
    text        text NOT NULL,
    word_count  bigint NOT NULL DEFAULT 0,
    embedding   bytea,
    UNIQUE (pipeline_id, ord)
  );
  CREATE INDEX chunks_chapter ON chunks (chapter_id);
  `,
  // 2 (stats): the learned-duration reads (health's averages, the durations job) keep only
  // successful runs (duration known, not an early exit), and to_state is not in
  // state_history_learning, so each of the 200 newest samples per state cost a heap visit
  // (1M books, 2.5M history rows: 10.9 ms for the six states). Replaced by the same key over
  // exactly those rows: an index-only scan (0.45 ms), and no larger to keep up on insert.
  `
  DROP INDEX state_history_learning;
  CREATE INDEX state_history_learning ON state_history (from_state, at, duration_ms)
    WHERE from_state IN (${workingList}) AND duration_ms IS NOT NULL
      AND to_state NOT IN ('needs_retry', 'failed', 'rejected', 'detected', 'approved', 'duplicate');
  `,
  // 3 (windows): the console's Audit tab shows an exact count of the log on every refresh; a
  // COUNT(*) over 10M rows is a full index scan each time. Every id from 1 to the chain head's
  // pos was given to exactly one row, so the rows present are pos minus the rows removed, and
  // a statement trigger keeps that number (one UPDATE per DELETE statement, however many rows
  // it removes; appenders never touch it). Seeded from the table as it is.
  `
  CREATE TABLE audit_removed (
    id integer PRIMARY KEY CHECK (id = 1),
    n  bigint NOT NULL
  );
  INSERT INTO audit_removed (id, n)
    SELECT 1, (SELECT pos FROM audit_chain_head WHERE id = 1) - (SELECT COUNT(*) FROM audit);
  CREATE FUNCTION audit_removed_count() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    UPDATE audit_removed SET n = n + (SELECT COUNT(*) FROM gone) WHERE id = 1;
    RETURN NULL;
  END $$;
  CREATE TRIGGER audit_removed_count AFTER DELETE ON audit REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION audit_removed_count();
  CREATE TRIGGER audit_removed_no_truncate BEFORE TRUNCATE ON audit_removed
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
  `,
  // 4 (migrate-to): the marks older SQLite files carry for audit --verify (audit_deletions_meta
  // .recorded_from: gaps at or below it predate deletion records; audit_meta.legacy_deletions_upto:
  // retention deletions at or below it predate AUDIT_PRUNED accounting). A database created here
  // has no such past (both 0); migrate-to copies a file's marks so its old gaps stay
  // "unverifiable" rather than reading as tampering.
  `
  CREATE TABLE audit_marks (
    id            integer PRIMARY KEY CHECK (id = 1),
    recorded_from bigint NOT NULL DEFAULT 0,
    legacy_upto   bigint NOT NULL DEFAULT 0
  );
  INSERT INTO audit_marks (id) VALUES (1);
  CREATE TRIGGER audit_marks_no_truncate BEFORE TRUNCATE ON audit_marks
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
  `,
  // 5 (claims): history and counts by STATEMENT triggers over transition tables. The row
  // triggers ran two upserts and one insert per book, each its own executor run: a claim of 64
  // books on 1M pipelines spent about half its server time in them (EXPLAIN ANALYZE: 8.5 of
  // ~17 ms). One INSERT … SELECT of the history and one upsert per changed (state, priority)
  // cell per statement: pgbench on the bench's 1M database (2-core VM), claims of 64, 163 → 200
  // statements/s with one client, 278 → 340 with four. The count slot is the transaction's id
  // mod 16: with pid mod 16, two of four long-lived claimers share a slot in a third of starts
  // (1 − 16·15·14·13 / 16⁴), serialised for as long as they run; neighbouring transaction ids
  // rarely collide, and then for one transaction. Cells are upserted in (state, priority) order, so two transactions that do share
  // a slot take its rows in the same order. A transition table cannot be named on a trigger with
  // a column list, so the UPDATE triggers fire on every UPDATE and keep only the rows whose state
  // (or priority) changed, as the row triggers' WHEN did. Written to run again harmlessly (IF
  // EXISTS, OR REPLACE): the triggers keep their names, so dropping them covers either shape.
  `
  DROP TRIGGER IF EXISTS pipelines_history_insert ON pipelines;
  DROP TRIGGER IF EXISTS pipelines_history_update ON pipelines;
  DROP TRIGGER IF EXISTS pipeline_counts_insert ON pipelines;
  DROP TRIGGER IF EXISTS pipeline_counts_delete ON pipelines;
  DROP TRIGGER IF EXISTS pipeline_counts_update ON pipelines;
  DROP FUNCTION IF EXISTS pipelines_history();
  DROP FUNCTION IF EXISTS pipeline_counts_bump();

  CREATE OR REPLACE FUNCTION pipelines_history_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO state_history (pipeline_id, from_state, to_state, at, duration_ms, actor, details)
    SELECT n.id, NULL, n.state, n.state_entered_at, NULL, n.last_actor, n.transition_note FROM new_rows n;
    RETURN NULL;
  END $$;
  CREATE OR REPLACE FUNCTION pipelines_history_updated() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO state_history (pipeline_id, from_state, to_state, at, duration_ms, actor, details)
    SELECT n.id, o.state, n.state, n.state_entered_at, n.state_entered_at - o.state_entered_at,
           n.last_actor, n.transition_note
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE o.state IS DISTINCT FROM n.state;
    RETURN NULL;
  END $$;
  CREATE TRIGGER pipelines_history_insert AFTER INSERT ON pipelines REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pipelines_history_inserted();
  CREATE TRIGGER pipelines_history_update AFTER UPDATE ON pipelines REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pipelines_history_updated();

  CREATE OR REPLACE FUNCTION pipeline_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    ${addCounts('SELECT state, priority, COUNT(*) AS n FROM new_rows GROUP BY state, priority')};
    RETURN NULL;
  END $$;
  CREATE OR REPLACE FUNCTION pipeline_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    ${addCounts('SELECT state, priority, -COUNT(*) AS n FROM old_rows GROUP BY state, priority')};
    RETURN NULL;
  END $$;
  CREATE OR REPLACE FUNCTION pipeline_counts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    ${addCounts(`
      SELECT d.state, d.priority, SUM(d.n) AS n
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      CROSS JOIN LATERAL (VALUES (o.state, o.priority, -1), (n.state, n.priority, 1)) AS d(state, priority, n)
      WHERE o.state IS DISTINCT FROM n.state OR o.priority IS DISTINCT FROM n.priority
      GROUP BY d.state, d.priority`)};
    RETURN NULL;
  END $$;
  CREATE TRIGGER pipeline_counts_insert AFTER INSERT ON pipelines REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pipeline_counts_inserted();
  CREATE TRIGGER pipeline_counts_delete AFTER DELETE ON pipelines REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pipeline_counts_deleted();
  CREATE TRIGGER pipeline_counts_update AFTER UPDATE ON pipelines REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pipeline_counts_updated();
  `,
];
