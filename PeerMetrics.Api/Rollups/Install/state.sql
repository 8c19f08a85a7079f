-- Write-time rollups of the eight summaries (docs/rollups.md), installed by RollupsSql from the files of this
-- folder in its order (RollupsSql.InstallFiles), with the placeholders (slash-star-at comments) filled: SQL and
-- INSTANT with the very SQL the raw summaries use, so a cell computes each rule and reads JSON, text times and
-- coordinates exactly as the raw query does (SQL(required_columns): the columns RequiredSchema reads); VERSION and
-- VERSION(min_reader) with RollupsSql.Version and MinReaderVersion; WATCHED_TABLES with RollupsSql.WatchedTables.
-- Re-runnable: every object is created only if missing or replaced in place, and the state row (with its
-- backfill cursor) survives a re-run. No file before triggers.sql locks a peermetrics table.

-- This file: the schema, its one state row, the families of change and the maintainer's list of touched buckets.

CREATE SCHEMA IF NOT EXISTS peermetrics_rollups;

-- Installation state: one row. 'backfilling' until every conference has been folded in; the cursor is the
-- last (app, created_at, id) done, so an interrupted backfill resumes where it stopped.
CREATE TABLE IF NOT EXISTS peermetrics_rollups.state (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version        integer NOT NULL,
    phase          text NOT NULL CHECK (phase IN ('backfilling', 'ready')),
    backfill_app   uuid,
    backfill_at    timestamptz,
    backfill_id    uuid,
    backfill_done  bigint NOT NULL DEFAULT 0,
    backfill_total bigint NOT NULL DEFAULT 0,
    installed_at   timestamptz NOT NULL DEFAULT now(),
    ready_at       timestamptz,
    applied_at     timestamptz,
    -- The start of the last run that left nothing visible to it unapplied: the rollups then hold every change
    -- committed before this instant (a run's snapshot is taken after its transaction starts).
    current_through timestamptz,
    -- The first hour not rolled up: hour buckets exist only before it, day buckets only before its day. A
    -- change in the open hour then costs a run its minutes only; reads take the open hour from minutes and
    -- the open day from hours. The maintainer closes an hour once it is over.
    open_hour      timestamptz NOT NULL DEFAULT date_trunc('hour', now(), 'UTC'),
    reset_at       timestamptz,         -- a reset requested (TRUNCATE, trigger missing), not yet carried out
    -- A requested reset is carried out only once every transaction older than this has ended (its unlogged
    -- changes are then visible to the backfill); NULL: not known yet, the next run sets it.
    settle_xmax    xid8,
    -- The change log's cap (Rollups:MaxLogRows; the Api's maintainer sets it) and its fill: the log holds about
    -- last_value(log_seq) - log_base rows (every log row takes a log_seq value; every run adds what it deleted).
    -- At the cap the triggers stop logging and count a missed change instead.
    log_cap        bigint NOT NULL DEFAULT 1000000 CHECK (log_cap > 0),
    log_base       bigint NOT NULL DEFAULT 0,
    -- missed_seq's value the maintainer last acted on: above it, a change went unlogged since (rebuild).
    missed_seen    bigint NOT NULL DEFAULT 0,
    -- Why the rollups are being rebuilt or cannot serve (a missed change, drift of the schema), until ready again.
    broken_reason  text,
    broken_at      timestamptz,
    -- The oldest RollupsSql.Version whose rollup SQL reads this install exactly (docs/rollups.md, "Versions").
    min_reader_version integer
);

-- The backfill's total is the planner's estimate (the maintainer's reset counts exactly): no row is counted here.
INSERT INTO peermetrics_rollups.state (version, min_reader_version, phase, backfill_total)
SELECT /*@VERSION()*/, /*@VERSION(min_reader)*/, 'backfilling',
       (SELECT greatest(c.reltuples, 0)::bigint FROM pg_class c WHERE c.oid = 'public.conference'::regclass)
ON CONFLICT (singleton) DO NOTHING;

-- What a change can alter, as logged: a conference's own facts (its status, duration and participant count;
-- the cells of conference-cells.sql), its issues, connections or sessions (the cells of issue-, connection- and
-- session-cells.sql); a participant (the conference family of every conference it is linked to); everything (a
-- TRUNCATE: rebuild). An enum takes four bytes: a change log row is no wider than with a one-letter code.
DO $$
BEGIN
    CREATE TYPE peermetrics_rollups.family AS ENUM ('conference', 'issue', 'connection', 'session', 'participant', 'everything');
EXCEPTION WHEN duplicate_object THEN
    NULL;
END
$$;

-- The maintainer's scratch list of the (family, app, minute) buckets a run touched: the cells' recompute
-- functions add to it, reaggregate() rolls up what it lists. Only the maintainer (one at a time) writes it, and
-- it empties it before committing.
CREATE UNLOGGED TABLE IF NOT EXISTS peermetrics_rollups.work_touched (
    family peermetrics_rollups.family NOT NULL,
    app_id uuid NOT NULL,
    minute timestamptz NOT NULL
);

-- Records the buckets that the given conferences' cells in one cell table occupy (before and after a recompute).
CREATE OR REPLACE FUNCTION peermetrics_rollups.touch(fam peermetrics_rollups.family, cells text, ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('INSERT INTO peermetrics_rollups.work_touched (family, app_id, minute)
                    SELECT DISTINCT $1, app_id, minute FROM peermetrics_rollups.%I WHERE conference_id = ANY ($2)', cells)
        USING fam, ids;
END
$$;
