-- What the triggers watch and log, and how the maintainer and every reader check that they do.

-- The change log. Writers' triggers only append here (no index, no unique key: nothing to contend on).
-- seq numbers the rows (a sequence: no lock, nothing two writers contend on) so the triggers can tell the
-- log's size without counting it.
CREATE SEQUENCE IF NOT EXISTS peermetrics_rollups.log_seq;
CREATE TABLE IF NOT EXISTS peermetrics_rollups.change_log (
    seq       bigint NOT NULL DEFAULT nextval('peermetrics_rollups.log_seq'),
    family    peermetrics_rollups.family NOT NULL,
    id        uuid,
    logged_at timestamptz NOT NULL DEFAULT statement_timestamp()
);

-- A change the triggers could not log (an error while logging, or the log at its cap) takes a missed_seq
-- value: non-transactional, so the mark can be neither lost nor contended on, and it is visible at once. The
-- first miss after the maintainer last looked also records its reason here (committed with its write).
CREATE SEQUENCE IF NOT EXISTS peermetrics_rollups.missed_seq;
CREATE TABLE IF NOT EXISTS peermetrics_rollups.faults (
    at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    reason text NOT NULL
);

-- The triggers, defined once: the installer creates them from this table, triggers_ok() checks them against
-- it, and the uninstaller drops what it lists. key: the logged column ('id' or 'conference_id'); families:
-- what the change can alter; watched: for an UPDATE, the columns whose change fires it.
CREATE TABLE IF NOT EXISTS peermetrics_rollups.watched (
    tbl      text NOT NULL,
    name     text NOT NULL,
    event    text NOT NULL CHECK (event IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')),
    key      text CHECK (key IN ('id', 'conference_id')),
    families peermetrics_rollups.family[] NOT NULL,
    watched  text[],
    PRIMARY KEY (tbl, name)
);
DELETE FROM peermetrics_rollups.watched;
INSERT INTO peermetrics_rollups.watched (tbl, name, event, key, families, watched) VALUES
    -- A conference's own facts; the cells of its rows carry its app, so moving or deleting it touches all.
    ('conference', 'peermetrics_rollups_insert', 'INSERT', 'id', '{conference}', NULL),
    ('conference', 'peermetrics_rollups_update', 'UPDATE', 'id', '{conference}', '{id,app_id,created_at,is_active,ongoing,duration}'),
    ('conference', 'peermetrics_rollups_move', 'UPDATE', 'id', '{issue,connection,session}', '{id,app_id}'),
    ('conference', 'peermetrics_rollups_delete', 'DELETE', 'id', '{conference,issue,connection,session}', NULL),
    -- An issue counts in the issue summaries and, by its type, in its conference's status.
    ('app_issue', 'peermetrics_rollups_insert', 'INSERT', 'conference_id', '{issue,conference}', NULL),
    ('app_issue', 'peermetrics_rollups_update', 'UPDATE', 'conference_id', '{issue,conference}', '{id,conference_id,is_active,created_at,type,code,data}'),
    ('app_issue', 'peermetrics_rollups_delete', 'DELETE', 'conference_id', '{issue,conference}', NULL),
    ('app_connection', 'peermetrics_rollups_insert', 'INSERT', 'conference_id', '{connection}', NULL),
    ('app_connection', 'peermetrics_rollups_update', 'UPDATE', 'conference_id', '{connection}', '{id,conference_id,is_active,created_at,type,connection_info}'),
    ('app_connection', 'peermetrics_rollups_delete', 'DELETE', 'conference_id', '{connection}', NULL),
    -- A session counts in the session lists and proves its participant present in its conference.
    ('app_session', 'peermetrics_rollups_insert', 'INSERT', 'conference_id', '{session,conference}', NULL),
    ('app_session', 'peermetrics_rollups_update', 'UPDATE', 'conference_id', '{session,conference}', '{id,conference_id,participant_id,is_active,created_at,platform,geo_ip}'),
    ('app_session', 'peermetrics_rollups_delete', 'DELETE', 'conference_id', '{session,conference}', NULL),
    ('participant_conferences', 'peermetrics_rollups_insert', 'INSERT', 'conference_id', '{conference}', NULL),
    ('participant_conferences', 'peermetrics_rollups_update', 'UPDATE', 'conference_id', '{conference}', '{conference_id,participant_id}'),
    ('participant_conferences', 'peermetrics_rollups_delete', 'DELETE', 'conference_id', '{conference}', NULL),
    -- A participant's flags count in every conference it is linked to (resolved by the maintainer).
    ('participant', 'peermetrics_rollups_insert', 'INSERT', 'id', '{participant}', NULL),
    ('participant', 'peermetrics_rollups_update', 'UPDATE', 'id', '{participant}', '{id,is_active,is_sfu}'),
    ('participant', 'peermetrics_rollups_delete', 'DELETE', 'id', '{participant}', NULL),
    -- Any TRUNCATE: rebuild everything.
    ('conference', 'peermetrics_rollups_truncate', 'TRUNCATE', NULL, '{everything}', NULL),
    ('app_issue', 'peermetrics_rollups_truncate', 'TRUNCATE', NULL, '{everything}', NULL),
    ('app_connection', 'peermetrics_rollups_truncate', 'TRUNCATE', NULL, '{everything}', NULL),
    ('app_session', 'peermetrics_rollups_truncate', 'TRUNCATE', NULL, '{everything}', NULL),
    ('participant_conferences', 'peermetrics_rollups_truncate', 'TRUNCATE', NULL, '{everything}', NULL),
    ('participant', 'peermetrics_rollups_truncate', 'TRUNCATE', NULL, '{everything}', NULL);

-- The columns the rollups read (every watched column) with the type the Api reads them as (RequiredSchema;
-- NULL: any). A column missing or of another type is schema drift: the rollups do not serve until it is back.
CREATE TABLE IF NOT EXISTS peermetrics_rollups.columns_read (
    tbl text NOT NULL,
    col text NOT NULL,
    typ text,
    PRIMARY KEY (tbl, col)
);
DELETE FROM peermetrics_rollups.columns_read;
INSERT INTO peermetrics_rollups.columns_read (tbl, col, typ)
SELECT DISTINCT w.tbl, c.col, r.typ
FROM peermetrics_rollups.watched w
CROSS JOIN LATERAL unnest(w.watched) AS c (col)
LEFT JOIN (VALUES /*@SQL(required_columns)*/) AS r (tbl, col, typ) ON r.tbl = w.tbl AND r.col = c.col;

-- Triggers on the peermetrics tables: row-level (a TRUNCATE's: statement-level), they only append (family,
-- conference or participant) to the log. Django writes one row per statement, and a row trigger costs it one short INSERT: no transition table,
-- no join. SECURITY DEFINER: a writer needs no privilege on this schema. Logging more families than a change
-- needs is always safe (the maintainer recomputes from raw rows); logging fewer never is.
--
-- Safe beside Django: a trigger names no column anywhere in its definition (no WHEN clause; the function reads
-- the row as jsonb, the column names are trigger arguments), so nothing in pg_depend ties it to a column and
-- Django's AlterField, RemoveField (with or without CASCADE) and RenameField run as if it were not there; the
-- maintainer sees the drift (schema_problems()). And a trigger never fails or blocks the write: whatever goes
-- wrong while logging is caught, counted as a missed change (the rollups are rebuilt) and the write goes on.
-- lock_timeout: the log is only ever locked briefly (uninstall), and a trigger never waits long for it.

-- Records that a change was not logged. Never raises. The first miss since the maintainer last looked also
-- records why (one row per episode, however many writes miss).
CREATE OR REPLACE FUNCTION peermetrics_rollups.missed(reason text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '50ms' AS $$
BEGIN
    IF nextval('peermetrics_rollups.missed_seq') = (SELECT s.missed_seen FROM peermetrics_rollups.state s) + 1 THEN
        INSERT INTO peermetrics_rollups.faults (reason) VALUES (left(reason, 1000));
        RAISE WARNING 'peermetrics_rollups: a change was not logged (%); the rollups will be rebuilt', reason;
    END IF;
EXCEPTION WHEN OTHERS THEN
    NULL;
END
$$;

-- One function for every trigger. A TRUNCATE's (no arguments) logs a rebuild. A row trigger's TG_ARGV: [0] the key column ('id' or 'conference_id'), [1] the families,
-- [2..] for an UPDATE the watched columns. An UPDATE that changes none of them logs nothing (Django rewrites
-- every column on save); one that moves the row to another key logs both keys. At the log's cap
-- (state.log_cap) it logs nothing and counts a miss instead: the log never grows past it, even with no
-- maintainer running.
CREATE OR REPLACE FUNCTION peermetrics_rollups.log_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '50ms' AS $$
DECLARE
    o jsonb;
    n jsonb;
    old_key uuid;
    new_key uuid;
    cap bigint;
    base bigint;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        o := to_jsonb(OLD);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        n := to_jsonb(NEW);
    END IF;
    IF TG_OP = 'UPDATE' AND NOT EXISTS (SELECT 1 FROM unnest(TG_ARGV[2:]) c WHERE o -> c IS DISTINCT FROM n -> c) THEN
        RETURN NULL;
    END IF;
    BEGIN
        -- A TRUNCATE (a statement trigger, no row) empties the table: rebuild everything, whatever the cap.
        IF TG_OP = 'TRUNCATE' THEN
            INSERT INTO peermetrics_rollups.change_log (family, id) VALUES ('everything', NULL);
            RETURN NULL;
        END IF;
        SELECT s.log_cap, s.log_base INTO STRICT cap, base FROM peermetrics_rollups.state s;
        IF coalesce(pg_sequence_last_value('peermetrics_rollups.log_seq'), 0) - base >= cap THEN
            PERFORM peermetrics_rollups.missed(format('the change log is at its cap of %s rows (Rollups:MaxLogRows)', cap));
            RETURN NULL;
        END IF;
        old_key := (o ->> TG_ARGV[0])::uuid;
        new_key := (n ->> TG_ARGV[0])::uuid;
        IF old_key IS NOT NULL THEN
            INSERT INTO peermetrics_rollups.change_log (family, id) SELECT f, old_key FROM unnest(TG_ARGV[1]::peermetrics_rollups.family[]) f;
        END IF;
        IF new_key IS NOT NULL AND new_key IS DISTINCT FROM old_key THEN
            INSERT INTO peermetrics_rollups.change_log (family, id) SELECT f, new_key FROM unnest(TG_ARGV[1]::peermetrics_rollups.family[]) f;
        END IF;
    EXCEPTION WHEN OTHERS THEN
        PERFORM peermetrics_rollups.missed(SQLERRM);
    END;
    RETURN NULL;
END
$$;

-- What keeps the rollups from following the tables, NULL when nothing does: a trigger of
-- peermetrics_rollups.watched missing or not firing in ordinary sessions (changes go unlogged), a column they
-- read missing or of another type (Django's RemoveField, RenameField, AlterField), or one of the objects the
-- triggers log with gone. The rollups are then reset and stay not ready until it is fixed, then backfilled again.
-- Every reader calls it (through triggers_ok()), so it is written for speed: PL/pgSQL keeps its plan for the
-- session (a SQL function is planned again on every call), and each watched column is one index lookup in
-- pg_attribute (a join would hash the whole catalog, which grows with the database's tables).
CREATE OR REPLACE FUNCTION peermetrics_rollups.schema_problems() RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT string_agg(p.problem, '; ' ORDER BY p.problem)
        FROM (
            SELECT format('trigger %s on %s is missing or disabled', w.name, w.tbl) AS problem
            FROM peermetrics_rollups.watched w
            WHERE NOT EXISTS (SELECT 1 FROM pg_trigger t
                              WHERE t.tgrelid = to_regclass(format('public.%I', w.tbl)) AND t.tgname = w.name
                                AND t.tgenabled IN ('O', 'A'))
            UNION ALL
            SELECT CASE WHEN a.attname IS NULL THEN format('%s.%s is missing', r.tbl, r.col)
                        ELSE format('%s.%s is %s (expected %s)', r.tbl, r.col, format_type(a.atttypid, NULL), r.typ) END
            FROM peermetrics_rollups.columns_read r
            LEFT JOIN LATERAL (
                SELECT a.attname, a.atttypid
                FROM pg_attribute a
                WHERE a.attrelid = to_regclass(format('public.%I', r.tbl)) AND a.attname = r.col
                  AND a.attnum > 0 AND NOT a.attisdropped
                LIMIT 1
            ) a ON true
            WHERE a.attname IS NULL OR (r.typ IS NOT NULL AND format_type(a.atttypid, NULL) <> r.typ)
            UNION ALL
            SELECT format('%s is missing', o.name)
            FROM unnest(ARRAY['peermetrics_rollups.change_log', 'peermetrics_rollups.log_seq', 'peermetrics_rollups.missed_seq',
                              'peermetrics_rollups.faults']) AS o (name)
            WHERE to_regclass(o.name) IS NULL
        ) p);
END
$$;

-- True when every change is being logged: no schema problem, and no change missed since the maintainer last
-- looked (a miss is visible at once, before the maintainer or the write that missed commits). Every reader
-- checks it in its snapshot before it serves the rollups (PL/pgSQL: its plan is kept, as above).
CREATE OR REPLACE FUNCTION peermetrics_rollups.triggers_ok() RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT peermetrics_rollups.schema_problems() IS NULL
           AND coalesce(pg_sequence_last_value(to_regclass('peermetrics_rollups.missed_seq')), 0) <= s.missed_seen
        FROM peermetrics_rollups.state s);
END
$$;
