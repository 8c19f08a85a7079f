-- Write-time rollups of the eight summaries (docs/rollups.md). Re-runnable: every object is created only if
-- missing or replaced in place, and the state row (with its backfill cursor) survives a re-run.
-- The placeholders (slash-star-at comments) are replaced by the installer (RollupsSql): INSTANT and SQL with
-- the very SQL the raw summaries use, so a cell reads JSON, text times and coordinates exactly as the raw query
-- does; VERSION with RollupsSql.Version.

-- No lock on the peermetrics tables is taken before the triggers' section at the end (see there): creating the
-- schema, its tables and functions never holds up a writer. The installer (RollupsDatabase) runs the part
-- before that section and the section itself as two transactions.

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

-- The change log. Writers' triggers only append here (no index, no unique key: nothing to contend on).
-- family: C = a conference's own facts (status, duration, participant count), I = its issues,
-- N = its connections, S = its sessions, P = a participant (its conferences' C), * = rebuild everything.
-- seq numbers the rows (a sequence: no lock, nothing two writers contend on) so the triggers can tell the
-- log's size without counting it.
CREATE SEQUENCE IF NOT EXISTS peermetrics_rollups.log_seq;
CREATE TABLE IF NOT EXISTS peermetrics_rollups.change_log (
    seq       bigint NOT NULL DEFAULT nextval('peermetrics_rollups.log_seq'),
    family    "char" NOT NULL,
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
    families text NOT NULL,
    watched  text[],
    PRIMARY KEY (tbl, name)
);
DELETE FROM peermetrics_rollups.watched;
INSERT INTO peermetrics_rollups.watched (tbl, name, event, key, families, watched) VALUES
    -- A conference's own facts (C); the cells of its rows carry its app, so moving or deleting it touches all.
    ('conference', 'peermetrics_rollups_insert', 'INSERT', 'id', 'C', NULL),
    ('conference', 'peermetrics_rollups_update', 'UPDATE', 'id', 'C', '{id,app_id,created_at,is_active,ongoing,duration}'),
    ('conference', 'peermetrics_rollups_move', 'UPDATE', 'id', 'INS', '{id,app_id}'),
    ('conference', 'peermetrics_rollups_delete', 'DELETE', 'id', 'CINS', NULL),
    -- An issue counts in the issue summaries (I) and, by its type, in its conference's status (C).
    ('app_issue', 'peermetrics_rollups_insert', 'INSERT', 'conference_id', 'IC', NULL),
    ('app_issue', 'peermetrics_rollups_update', 'UPDATE', 'conference_id', 'IC', '{id,conference_id,is_active,created_at,type,code,data}'),
    ('app_issue', 'peermetrics_rollups_delete', 'DELETE', 'conference_id', 'IC', NULL),
    ('app_connection', 'peermetrics_rollups_insert', 'INSERT', 'conference_id', 'N', NULL),
    ('app_connection', 'peermetrics_rollups_update', 'UPDATE', 'conference_id', 'N', '{id,conference_id,is_active,created_at,type,connection_info}'),
    ('app_connection', 'peermetrics_rollups_delete', 'DELETE', 'conference_id', 'N', NULL),
    -- A session counts in the session lists (S) and proves its participant present in its conference (C).
    ('app_session', 'peermetrics_rollups_insert', 'INSERT', 'conference_id', 'SC', NULL),
    ('app_session', 'peermetrics_rollups_update', 'UPDATE', 'conference_id', 'SC', '{id,conference_id,participant_id,is_active,created_at,platform,geo_ip}'),
    ('app_session', 'peermetrics_rollups_delete', 'DELETE', 'conference_id', 'SC', NULL),
    ('participant_conferences', 'peermetrics_rollups_insert', 'INSERT', 'conference_id', 'C', NULL),
    ('participant_conferences', 'peermetrics_rollups_update', 'UPDATE', 'conference_id', 'C', '{conference_id,participant_id}'),
    ('participant_conferences', 'peermetrics_rollups_delete', 'DELETE', 'conference_id', 'C', NULL),
    -- A participant's flags count in every conference it is linked to (P: resolved by the maintainer).
    ('participant', 'peermetrics_rollups_insert', 'INSERT', 'id', 'P', NULL),
    ('participant', 'peermetrics_rollups_update', 'UPDATE', 'id', 'P', '{id,is_active,is_sfu}'),
    ('participant', 'peermetrics_rollups_delete', 'DELETE', 'id', 'P', NULL),
    -- Any TRUNCATE: rebuild everything.
    ('conference', 'peermetrics_rollups_truncate', 'TRUNCATE', NULL, '*', NULL),
    ('app_issue', 'peermetrics_rollups_truncate', 'TRUNCATE', NULL, '*', NULL),
    ('app_connection', 'peermetrics_rollups_truncate', 'TRUNCATE', NULL, '*', NULL),
    ('app_session', 'peermetrics_rollups_truncate', 'TRUNCATE', NULL, '*', NULL),
    ('participant_conferences', 'peermetrics_rollups_truncate', 'TRUNCATE', NULL, '*', NULL),
    ('participant', 'peermetrics_rollups_truncate', 'TRUNCATE', NULL, '*', NULL);

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

-- The maintainer's scratch list of the (family, app, minute) buckets a run touched. Only the maintainer
-- (one at a time) writes it, and it empties it before committing.
CREATE UNLOGGED TABLE IF NOT EXISTS peermetrics_rollups.work_touched (
    family "char" NOT NULL,
    app_id uuid NOT NULL,
    minute timestamptz NOT NULL
);

-- Level-0 cells, per conference (and per minute of the rows' own created_at): recomputed from raw rows
-- whenever the conference is logged. Their app_id is the conference's app at that time.
CREATE TABLE IF NOT EXISTS peermetrics_rollups.conference_cell (
    conference_id uuid PRIMARY KEY,
    app_id        uuid NOT NULL,
    minute        timestamptz NOT NULL,
    status        "char" NOT NULL,      -- o ongoing, e error, w warning, s success
    duration_from smallint NOT NULL,    -- lower bound (s) of the duration bucket
    participants  integer NOT NULL
);
CREATE INDEX IF NOT EXISTS conference_cell_app_minute ON peermetrics_rollups.conference_cell (app_id, minute);

CREATE TABLE IF NOT EXISTS peermetrics_rollups.issue_code_cell (
    conference_id uuid NOT NULL,
    minute        timestamptz NOT NULL,
    code          varchar(32) NOT NULL,
    app_id        uuid NOT NULL,
    issues        bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS issue_code_cell_conference ON peermetrics_rollups.issue_code_cell (conference_id);
CREATE INDEX IF NOT EXISTS issue_code_cell_app_minute ON peermetrics_rollups.issue_code_cell (app_id, minute);

CREATE TABLE IF NOT EXISTS peermetrics_rollups.issue_gum_cell (
    conference_id uuid NOT NULL,
    minute        timestamptz NOT NULL,
    name          text NOT NULL,
    app_id        uuid NOT NULL,
    issues        bigint NOT NULL,
    first_at      timestamptz,          -- (created_at, id) of the first issue with a message, and its message
    first_id      uuid,
    first_message text
);
CREATE INDEX IF NOT EXISTS issue_gum_cell_conference ON peermetrics_rollups.issue_gum_cell (conference_id);
CREATE INDEX IF NOT EXISTS issue_gum_cell_app_minute ON peermetrics_rollups.issue_gum_cell (app_id, minute);

-- Connections grouped by what the two connection summaries count them by: their path (d direct, r relayed,
-- NULL: no type yet) and the setup-time bucket of their first negotiation (NULL: none measured). Connections
-- counted by neither have no row.
CREATE TABLE IF NOT EXISTS peermetrics_rollups.connection_cell (
    conference_id uuid NOT NULL,
    minute        timestamptz NOT NULL,
    app_id        uuid NOT NULL,
    connections   integer NOT NULL,
    setup_bucket  smallint,
    path          "char"
);
CREATE INDEX IF NOT EXISTS connection_cell_conference ON peermetrics_rollups.connection_cell (conference_id);
CREATE INDEX IF NOT EXISTS connection_cell_app_minute ON peermetrics_rollups.connection_cell (app_id, minute);

-- Sessions grouped by everything a session is listed by: browser and os (NULL when it has no platform), country,
-- and city (NULL unless it is counted in the city list), so one row per conference and minute usually holds
-- all its sessions' four list entries. A city row keeps its first session by (created_at, id) and its
-- coordinates. Sessions listed nowhere have no row.
CREATE TABLE IF NOT EXISTS peermetrics_rollups.session_cell (
    conference_id uuid NOT NULL,
    minute        timestamptz NOT NULL,
    app_id        uuid NOT NULL,
    sessions      integer NOT NULL,
    browser       text,
    os            text,
    country       text,
    city          text,
    first_at      timestamptz,
    first_id      uuid,
    latitude      float8,
    longitude     float8
);
CREATE INDEX IF NOT EXISTS session_cell_conference ON peermetrics_rollups.session_cell (conference_id);
CREATE INDEX IF NOT EXISTS session_cell_app_minute ON peermetrics_rollups.session_cell (app_id, minute);

-- The rollups of whole buckets, per app: level 1 = ten minutes, 2 = hour, 3 = day (bucket = its UTC start).
-- Minutes are not stored: the cells are the minutes (see the views below). Each is read, replaced and deleted
-- by whole buckets, so its one index is on (app_id, level, bucket), not unique: a bucket's rows share one key,
-- which the index stores once (deduplication). A bucket's groups are unique by construction (GROUP BY).
CREATE TABLE IF NOT EXISTS peermetrics_rollups.conference_status_stored (
    app_id uuid NOT NULL, level smallint NOT NULL, bucket timestamptz NOT NULL,
    success bigint NOT NULL, warning bigint NOT NULL, error bigint NOT NULL, ongoing bigint NOT NULL, total bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS conference_status_stored_bucket ON peermetrics_rollups.conference_status_stored (app_id, level, bucket);
CREATE TABLE IF NOT EXISTS peermetrics_rollups.conference_duration_stored (
    app_id uuid NOT NULL, level smallint NOT NULL, bucket timestamptz NOT NULL,
    duration_from integer NOT NULL, conferences bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS conference_duration_stored_bucket ON peermetrics_rollups.conference_duration_stored (app_id, level, bucket);
CREATE TABLE IF NOT EXISTS peermetrics_rollups.conference_participants_stored (
    app_id uuid NOT NULL, level smallint NOT NULL, bucket timestamptz NOT NULL,
    participants integer NOT NULL, conferences bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS conference_participants_stored_bucket ON peermetrics_rollups.conference_participants_stored (app_id, level, bucket);
CREATE TABLE IF NOT EXISTS peermetrics_rollups.issue_code_stored (
    app_id uuid NOT NULL, level smallint NOT NULL, bucket timestamptz NOT NULL,
    code varchar(32) NOT NULL, issues bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS issue_code_stored_bucket ON peermetrics_rollups.issue_code_stored (app_id, level, bucket);
CREATE TABLE IF NOT EXISTS peermetrics_rollups.issue_gum_stored (
    app_id uuid NOT NULL, level smallint NOT NULL, bucket timestamptz NOT NULL,
    name text NOT NULL, issues bigint NOT NULL, first_at timestamptz, first_id uuid, first_message text
);
CREATE INDEX IF NOT EXISTS issue_gum_stored_bucket ON peermetrics_rollups.issue_gum_stored (app_id, level, bucket);
CREATE TABLE IF NOT EXISTS peermetrics_rollups.connection_type_stored (
    app_id uuid NOT NULL, level smallint NOT NULL, bucket timestamptz NOT NULL,
    direct bigint NOT NULL, relayed bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS connection_type_stored_bucket ON peermetrics_rollups.connection_type_stored (app_id, level, bucket);
CREATE TABLE IF NOT EXISTS peermetrics_rollups.connection_setup_stored (
    app_id uuid NOT NULL, level smallint NOT NULL, bucket timestamptz NOT NULL,
    setup_bucket integer NOT NULL, connections bigint NOT NULL, conference_ids uuid[] NOT NULL
);
CREATE INDEX IF NOT EXISTS connection_setup_stored_bucket ON peermetrics_rollups.connection_setup_stored (app_id, level, bucket);
CREATE TABLE IF NOT EXISTS peermetrics_rollups.session_list_stored (
    app_id uuid NOT NULL, level smallint NOT NULL, bucket timestamptz NOT NULL,
    kind smallint NOT NULL, name text NOT NULL, sessions bigint NOT NULL,
    first_at timestamptz, first_id uuid, latitude float8, longitude float8
);
CREATE INDEX IF NOT EXISTS session_list_stored_bucket ON peermetrics_rollups.session_list_stored (app_id, level, bucket);

-- The rollups the summaries read, one view each: the stored levels 1 to 3, and level 0 (minute) straight from
-- the cells, one row per cell (bucket = its minute). Every summary sums, takes the first by (created_at, id) or
-- unions over the rows of a bucket, so a minute read as its cells gives what one summed row would. The views
-- keep the columns and types of the tables of earlier versions, whose rollup SQL therefore reads them as it is.
CREATE OR REPLACE VIEW peermetrics_rollups.conference_status AS
    SELECT app_id, level, bucket, success, warning, error, ongoing, total
    FROM peermetrics_rollups.conference_status_stored
    UNION ALL
    SELECT app_id, 0::smallint, minute, (status = 's')::int::bigint, (status = 'w')::int::bigint,
           (status = 'e')::int::bigint, (status = 'o')::int::bigint, 1::bigint
    FROM peermetrics_rollups.conference_cell;
CREATE OR REPLACE VIEW peermetrics_rollups.conference_duration AS
    SELECT app_id, level, bucket, duration_from, conferences
    FROM peermetrics_rollups.conference_duration_stored
    UNION ALL
    SELECT app_id, 0::smallint, minute, duration_from::integer, 1::bigint
    FROM peermetrics_rollups.conference_cell;
CREATE OR REPLACE VIEW peermetrics_rollups.conference_participants AS
    SELECT app_id, level, bucket, participants, conferences
    FROM peermetrics_rollups.conference_participants_stored
    UNION ALL
    SELECT app_id, 0::smallint, minute, participants, 1::bigint
    FROM peermetrics_rollups.conference_cell;
CREATE OR REPLACE VIEW peermetrics_rollups.issue_code AS
    SELECT app_id, level, bucket, code, issues
    FROM peermetrics_rollups.issue_code_stored
    UNION ALL
    SELECT app_id, 0::smallint, minute, code, issues::bigint
    FROM peermetrics_rollups.issue_code_cell;
CREATE OR REPLACE VIEW peermetrics_rollups.issue_gum AS
    SELECT app_id, level, bucket, name, issues, first_at, first_id, first_message
    FROM peermetrics_rollups.issue_gum_stored
    UNION ALL
    SELECT app_id, 0::smallint, minute, name, issues::bigint, first_at, first_id, first_message
    FROM peermetrics_rollups.issue_gum_cell;
CREATE OR REPLACE VIEW peermetrics_rollups.connection_type AS
    SELECT app_id, level, bucket, direct, relayed
    FROM peermetrics_rollups.connection_type_stored
    UNION ALL
    SELECT app_id, 0::smallint, minute, CASE WHEN path = 'd' THEN connections ELSE 0 END::bigint,
           CASE WHEN path = 'r' THEN connections ELSE 0 END::bigint
    FROM peermetrics_rollups.connection_cell WHERE path IS NOT NULL;
CREATE OR REPLACE VIEW peermetrics_rollups.connection_setup AS
    SELECT app_id, level, bucket, setup_bucket, connections, conference_ids
    FROM peermetrics_rollups.connection_setup_stored
    UNION ALL
    SELECT app_id, 0::smallint, minute, setup_bucket::integer, connections::bigint, ARRAY[conference_id]
    FROM peermetrics_rollups.connection_cell WHERE setup_bucket IS NOT NULL;
CREATE OR REPLACE VIEW peermetrics_rollups.session_list AS
    SELECT app_id, level, bucket, kind, name, sessions, first_at, first_id, latitude, longitude
    FROM peermetrics_rollups.session_list_stored
    UNION ALL
    -- One branch per list (not a lateral VALUES): each is a plain scan of the cells, so the planner pushes a
    -- bucket range into it, as an index condition.
    SELECT app_id, 0::smallint, minute, 1::smallint, browser, sessions::bigint, NULL::timestamptz, NULL::uuid, NULL::float8, NULL::float8
    FROM peermetrics_rollups.session_cell WHERE browser IS NOT NULL
    UNION ALL
    SELECT app_id, 0::smallint, minute, 2::smallint, os, sessions::bigint, NULL, NULL, NULL, NULL
    FROM peermetrics_rollups.session_cell WHERE os IS NOT NULL
    UNION ALL
    SELECT app_id, 0::smallint, minute, 3::smallint, country, sessions::bigint, NULL, NULL, NULL, NULL
    FROM peermetrics_rollups.session_cell WHERE country IS NOT NULL
    UNION ALL
    SELECT app_id, 0::smallint, minute, 4::smallint, city, sessions::bigint, first_at, first_id, latitude, longitude
    FROM peermetrics_rollups.session_cell WHERE city IS NOT NULL;

-- ---------------------------------------------------------------------------------------------------------
-- Reading: a window [from, until) of whole minutes, either side open, as at most seven ranges of buckets:
-- minutes up to the first whole ten minutes, tens up to the first whole hour, hours up to the first whole day,
-- whole days, then hours, tens and minutes at the end. Each level's whole buckets nest inside the finer
-- level's, so the ranges tile the window. Only closed hours and days count as whole (state.open_hour): the
-- open hour is read from tens and minutes, the open day from hours, tens and minutes.
CREATE OR REPLACE FUNCTION peermetrics_rollups.window_parts(from_at timestamptz, until_at timestamptz)
RETURNS TABLE (lvl smallint, lo timestamptz, hi timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH b AS (
        SELECT coalesce(from_at, '-infinity') AS f, coalesce(until_at, 'infinity') AS u, s.open_hour AS oh
        FROM peermetrics_rollups.state s
    ), e AS (
        -- [xl, xh): the whole buckets of level x inside the window; none when xl > xh.
        SELECT f, u,
               CASE WHEN date_bin('10 minutes', f, 'epoch') = f THEN f
                    ELSE date_bin('10 minutes', f, 'epoch') + interval '10 minutes' END AS tl,
               date_bin('10 minutes', u, 'epoch') AS th,
               CASE WHEN date_trunc('hour', f, 'UTC') = f THEN f
                    ELSE date_trunc('hour', f, 'UTC') + interval '1 hour' END AS hl,
               least(date_trunc('hour', u, 'UTC'), oh) AS hh,
               CASE WHEN date_trunc('day', f, 'UTC') = f THEN f
                    ELSE date_trunc('day', f, 'UTC') + interval '1 day' END AS dl,
               least(date_trunc('day', u, 'UTC'), date_trunc('day', oh, 'UTC')) AS dh
        FROM b
    )
    SELECT p.lvl, p.lo, p.hi
    FROM e CROSS JOIN LATERAL (
        -- Each level: the whole range when the next level holds none of it, else both ends.
        SELECT 0::smallint AS lvl, e.f AS lo, CASE WHEN e.tl <= e.th THEN e.tl ELSE e.u END AS hi
        UNION ALL SELECT 0::smallint, e.th, e.u WHERE e.tl <= e.th
        UNION ALL SELECT 1::smallint, e.tl, CASE WHEN e.hl <= e.hh THEN e.hl ELSE e.th END WHERE e.tl <= e.th
        UNION ALL SELECT 1::smallint, e.hh, e.th WHERE e.hl <= e.hh
        UNION ALL SELECT 2::smallint, e.hl, CASE WHEN e.dl <= e.dh THEN e.dl ELSE e.hh END WHERE e.hl <= e.hh
        UNION ALL SELECT 2::smallint, e.dh, e.hh WHERE e.dl <= e.dh
        UNION ALL SELECT 3::smallint, e.dl, e.dh WHERE e.dl <= e.dh
    ) p
    WHERE p.lo < p.hi
$$;

-- Sorted distinct union of uuid arrays (the setup-time conference ids when hours and days are rolled up).
CREATE OR REPLACE FUNCTION peermetrics_rollups.sorted_distinct(ids uuid[]) RETURNS uuid[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT id ORDER BY id), ARRAY[]::uuid[]) FROM unnest(ids) id
$$;
CREATE OR REPLACE AGGREGATE peermetrics_rollups.uuid_union(uuid[]) (
    SFUNC = array_cat, STYPE = uuid[], FINALFUNC = peermetrics_rollups.sorted_distinct, INITCOND = '{}'
);

-- ---------------------------------------------------------------------------------------------------------
-- Recomputing cells from raw rows, with the raw summaries' own expressions. Each first records the buckets
-- the old cells occupied, deletes them, inserts the new ones and records their buckets.

CREATE OR REPLACE FUNCTION peermetrics_rollups.recompute_conferences(ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO peermetrics_rollups.work_touched
    SELECT 'C', app_id, minute FROM peermetrics_rollups.conference_cell WHERE conference_id = ANY (ids);
    DELETE FROM peermetrics_rollups.conference_cell WHERE conference_id = ANY (ids);

    -- Status as conferences.summary decides it: ongoing wins, then any active error, then any active warning.
    INSERT INTO peermetrics_rollups.conference_cell (conference_id, app_id, minute, status, duration_from, participants)
    SELECT c.id, c.app_id, date_trunc('minute', c.created_at, 'UTC'),
           CASE WHEN c.ongoing THEN 'o'
                WHEN severity.has_error THEN 'e'
                WHEN severity.has_error IS NOT NULL THEN 'w'
                ELSE 's' END,
           (ARRAY[0, 60, 180, 300, 600, 900, 1200, 1500, 1800, 2400, 3000, 3600])
               [width_bucket(c.duration, ARRAY[0, 60, 180, 300, 600, 900, 1200, 1500, 1800, 2400, 3000, 3600])],
           present.participants
    FROM conference c
    CROSS JOIN LATERAL (
        SELECT bool_or(i.type = 'e') AS has_error
        FROM app_issue i
        WHERE i.conference_id = c.id AND i.is_active AND i.type IN ('e', 'w')
    ) severity
    CROSS JOIN LATERAL (
        SELECT count(*)::int AS participants
        FROM participant_conferences pc
        WHERE pc.conference_id = c.id
          AND NOT EXISTS (SELECT 1 FROM participant p
                          WHERE p.id = pc.participant_id AND (NOT p.is_active OR p.is_sfu))
          AND EXISTS (SELECT 1 FROM app_session s
                      WHERE s.conference_id = pc.conference_id AND s.participant_id = pc.participant_id)
    ) present
    WHERE c.id = ANY (ids) AND c.is_active;

    INSERT INTO peermetrics_rollups.work_touched
    SELECT 'C', app_id, minute FROM peermetrics_rollups.conference_cell WHERE conference_id = ANY (ids);
END
$$;

CREATE OR REPLACE FUNCTION peermetrics_rollups.recompute_issues(ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO peermetrics_rollups.work_touched
    SELECT 'I', app_id, minute FROM peermetrics_rollups.issue_code_cell WHERE conference_id = ANY (ids)
    UNION
    SELECT 'I', app_id, minute FROM peermetrics_rollups.issue_gum_cell WHERE conference_id = ANY (ids);
    DELETE FROM peermetrics_rollups.issue_code_cell WHERE conference_id = ANY (ids);
    DELETE FROM peermetrics_rollups.issue_gum_cell WHERE conference_id = ANY (ids);

    INSERT INTO peermetrics_rollups.issue_code_cell (conference_id, minute, code, app_id, issues)
    SELECT i.conference_id, date_trunc('minute', i.created_at, 'UTC'), i.code, c.app_id, count(*)
    FROM app_issue i
    JOIN conference c ON c.id = i.conference_id
    WHERE i.conference_id = ANY (ids) AND i.is_active
    GROUP BY 1, 2, 3, 4;

    INSERT INTO peermetrics_rollups.issue_gum_cell (conference_id, minute, name, app_id, issues, first_at, first_id, first_message)
    SELECT gum.conference_id, date_trunc('minute', gum.created_at, 'UTC'), gum.name, gum.app_id, count(*),
           (array_agg(gum.created_at ORDER BY gum.created_at, gum.id) FILTER (WHERE gum.message IS NOT NULL))[1],
           (array_agg(gum.id ORDER BY gum.created_at, gum.id) FILTER (WHERE gum.message IS NOT NULL))[1],
           (array_agg(gum.message ORDER BY gum.created_at, gum.id) FILTER (WHERE gum.message IS NOT NULL))[1]
    FROM (
        SELECT i.conference_id, c.app_id,
               /*@SQL(gum_values)*/,
               i.created_at,
               i.id
        FROM app_issue i
        JOIN conference c ON c.id = i.conference_id
        WHERE i.conference_id = ANY (ids) AND i.is_active AND /*@SQL(is_gum)*/
    ) gum
    GROUP BY gum.conference_id, date_trunc('minute', gum.created_at, 'UTC'), gum.name, gum.app_id;

    INSERT INTO peermetrics_rollups.work_touched
    SELECT 'I', app_id, minute FROM peermetrics_rollups.issue_code_cell WHERE conference_id = ANY (ids)
    UNION
    SELECT 'I', app_id, minute FROM peermetrics_rollups.issue_gum_cell WHERE conference_id = ANY (ids);
END
$$;

CREATE OR REPLACE FUNCTION peermetrics_rollups.recompute_connections(ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO peermetrics_rollups.work_touched
    SELECT DISTINCT 'N', app_id, minute FROM peermetrics_rollups.connection_cell WHERE conference_id = ANY (ids);
    DELETE FROM peermetrics_rollups.connection_cell WHERE conference_id = ANY (ids);

    WITH negotiation AS MATERIALIZED (
        SELECT c.conference_id, f.app_id, date_trunc('minute', c.created_at, 'UTC') AS minute,
               CASE WHEN c.type = 'r' THEN 'r' WHEN c.type IS NOT NULL THEN 'd' END::"char" AS path,
               /*@SQL(setup_texts)*/
        FROM app_connection c
        JOIN conference f ON f.id = c.conference_id
        /*@SQL(first_negotiation)*/
        WHERE c.conference_id = ANY (ids) AND c.is_active
    ),
    timed AS MATERIALIZED (
        SELECT conference_id, app_id, minute, path,
               /*@INSTANT(start_text)*/ AS start_at,
               /*@INSTANT(end_text)*/ AS end_at
        FROM negotiation
    ),
    bucketed AS (
        SELECT conference_id, app_id, minute, path,
               CASE WHEN end_at >= start_at THEN /*@SQL(setup_bucket)*/ END AS setup_bucket
        FROM timed
    )
    INSERT INTO peermetrics_rollups.connection_cell (conference_id, minute, app_id, connections, setup_bucket, path)
    SELECT conference_id, minute, app_id, count(*), setup_bucket, path
    FROM bucketed
    WHERE path IS NOT NULL OR setup_bucket IS NOT NULL
    GROUP BY conference_id, minute, app_id, setup_bucket, path;

    INSERT INTO peermetrics_rollups.work_touched
    SELECT DISTINCT 'N', app_id, minute FROM peermetrics_rollups.connection_cell WHERE conference_id = ANY (ids);
END
$$;

CREATE OR REPLACE FUNCTION peermetrics_rollups.recompute_sessions(ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO peermetrics_rollups.work_touched
    SELECT DISTINCT 'S', app_id, minute FROM peermetrics_rollups.session_cell WHERE conference_id = ANY (ids);
    DELETE FROM peermetrics_rollups.session_cell WHERE conference_id = ANY (ids);

    WITH session_values AS MATERIALIZED (
        SELECT s.conference_id,
               f.app_id,
               date_trunc('minute', s.created_at, 'UTC') AS minute,
               s.id,
               s.created_at,
               /*@SQL(session_values)*/
        FROM app_session s
        JOIN conference f ON f.id = s.conference_id
        /*@SQL(geo_ip)*/
        WHERE s.conference_id = ANY (ids) AND s.is_active
    ),
    -- The four lists' values of each session (as the raw summary's), then one cell per distinct combination.
    listed AS (
        SELECT conference_id, app_id, minute, id, created_at,
               CASE WHEN has_platform THEN coalesce(browser, 'Unknown') END AS browser,
               CASE WHEN has_platform THEN coalesce(os, 'Unknown') END AS os,
               country,
               CASE WHEN city IS NOT NULL AND latitude IS NOT NULL AND longitude IS NOT NULL
                         AND NOT (latitude = 0 AND longitude = 0) THEN city END AS city,
               latitude, longitude
        FROM session_values
    )
    INSERT INTO peermetrics_rollups.session_cell
        (conference_id, minute, app_id, sessions, browser, os, country, city, first_at, first_id, latitude, longitude)
    SELECT conference_id, minute, app_id, count(*), browser, os, country, city,
           (array_agg(created_at ORDER BY created_at, id) FILTER (WHERE city IS NOT NULL))[1],
           (array_agg(id ORDER BY created_at, id) FILTER (WHERE city IS NOT NULL))[1],
           (array_agg(latitude ORDER BY created_at, id) FILTER (WHERE city IS NOT NULL))[1],
           (array_agg(longitude ORDER BY created_at, id) FILTER (WHERE city IS NOT NULL))[1]
    FROM listed
    WHERE browser IS NOT NULL OR country IS NOT NULL OR city IS NOT NULL
    GROUP BY conference_id, minute, app_id, browser, os, country, city;

    INSERT INTO peermetrics_rollups.work_touched
    SELECT DISTINCT 'S', app_id, minute FROM peermetrics_rollups.session_cell WHERE conference_id = ANY (ids);
END
$$;

-- ---------------------------------------------------------------------------------------------------------
-- Re-aggregating the touched buckets: tens from the cells (the views' level 0), hours from tens, days from hours.
-- Always a full recompute of each touched bucket, never a delta.

-- Tens, hours and days of one rollup (its view) from the level below (dimension and measure lists as SQL text),
-- written to its stored table. Tens are kept for every touched minute, open hour included (a ten re-aggregates
-- at most ten minutes of cells); hours and days only once closed (state.open_hour).
CREATE OR REPLACE FUNCTION peermetrics_rollups.roll_up(tbl text, fam "char", dims text, measure_cols text, measure_exprs text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    lvl integer;
    stride interval;
    closed_before timestamptz;
    open_hour timestamptz := (SELECT s.open_hour FROM peermetrics_rollups.state s);
BEGIN
    FOR lvl, stride, closed_before IN
        VALUES (1, interval '10 minutes', timestamptz 'infinity'),
               (2, interval '1 hour', open_hour),
               (3, interval '1 day', date_trunc('day', open_hour, 'UTC'))
    LOOP
        EXECUTE format($sql$
            DELETE FROM peermetrics_rollups.%1$I t
            USING (SELECT DISTINCT app_id, date_bin($1, minute, 'epoch') AS bucket
                   FROM peermetrics_rollups.work_touched
                   WHERE family = $3 AND date_bin($1, minute, 'epoch') < $2) s
            WHERE t.app_id = s.app_id AND t.level = %2$s AND t.bucket = s.bucket
            $sql$, tbl || '_stored', lvl) USING stride, closed_before, fam;
        EXECUTE format($sql$
            INSERT INTO peermetrics_rollups.%6$I (app_id, level, bucket%3$s, %4$s)
            SELECT s.app_id, %2$s, s.bucket%3$s, %5$s
            FROM (SELECT DISTINCT app_id, date_bin($1, minute, 'epoch') AS bucket
                  FROM peermetrics_rollups.work_touched
                  WHERE family = $3 AND date_bin($1, minute, 'epoch') < $2) s
            -- Lateral, as the summaries read: a view branch that filters its cells gets the range as an index
            -- condition only as a restriction of its own scan, not as a join condition.
            CROSS JOIN LATERAL (
                SELECT * FROM peermetrics_rollups.%1$I t
                WHERE t.app_id = s.app_id AND t.level = %2$s - 1 AND t.bucket >= s.bucket AND t.bucket < s.bucket + $1
                OFFSET 0
            ) t
            GROUP BY s.app_id, s.bucket%3$s
            $sql$, tbl, lvl, CASE WHEN dims = '' THEN '' ELSE ', ' || dims END, measure_cols, measure_exprs, tbl || '_stored')
            USING stride, closed_before, fam;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION peermetrics_rollups.reaggregate() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM peermetrics_rollups.work_touched) THEN
        RETURN;
    END IF;
    PERFORM peermetrics_rollups.roll_up('conference_status', 'C', '', 'success, warning, error, ongoing, total',
        'sum(success), sum(warning), sum(error), sum(ongoing), sum(total)');
    PERFORM peermetrics_rollups.roll_up('conference_duration', 'C', 'duration_from', 'conferences', 'sum(conferences)');
    PERFORM peermetrics_rollups.roll_up('conference_participants', 'C', 'participants', 'conferences', 'sum(conferences)');
    PERFORM peermetrics_rollups.roll_up('issue_code', 'I', 'code', 'issues', 'sum(issues)');
    PERFORM peermetrics_rollups.roll_up('issue_gum', 'I', 'name', 'issues, first_at, first_id, first_message',
        'sum(issues), '
        '(array_agg(first_at ORDER BY first_at, first_id) FILTER (WHERE first_message IS NOT NULL))[1], '
        '(array_agg(first_id ORDER BY first_at, first_id) FILTER (WHERE first_message IS NOT NULL))[1], '
        '(array_agg(first_message ORDER BY first_at, first_id) FILTER (WHERE first_message IS NOT NULL))[1]');
    PERFORM peermetrics_rollups.roll_up('connection_type', 'N', '', 'direct, relayed', 'sum(direct), sum(relayed)');
    PERFORM peermetrics_rollups.roll_up('connection_setup', 'N', 'setup_bucket', 'connections, conference_ids',
        'sum(connections), peermetrics_rollups.uuid_union(conference_ids)');
    PERFORM peermetrics_rollups.roll_up('session_list', 'S', 'kind, name', 'sessions, first_at, first_id, latitude, longitude',
        'sum(sessions), '
        '(array_agg(first_at ORDER BY first_at, first_id))[1], (array_agg(first_id ORDER BY first_at, first_id))[1], '
        '(array_agg(latitude ORDER BY first_at, first_id))[1], (array_agg(longitude ORDER BY first_at, first_id))[1]');

    DELETE FROM peermetrics_rollups.work_touched;
END
$$;

-- Recomputes the given conferences' cells of each family, then their buckets at every level.
CREATE OR REPLACE FUNCTION peermetrics_rollups.recompute(c_ids uuid[], i_ids uuid[], n_ids uuid[], s_ids uuid[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(c_ids) > 0 THEN PERFORM peermetrics_rollups.recompute_conferences(c_ids); END IF;
    IF cardinality(i_ids) > 0 THEN PERFORM peermetrics_rollups.recompute_issues(i_ids); END IF;
    IF cardinality(n_ids) > 0 THEN PERFORM peermetrics_rollups.recompute_connections(n_ids); END IF;
    IF cardinality(s_ids) > 0 THEN PERFORM peermetrics_rollups.recompute_sessions(s_ids); END IF;
    PERFORM peermetrics_rollups.reaggregate();
END
$$;

-- Forgets every rollup and starts a backfill from the first conference (after install or TRUNCATE).
CREATE OR REPLACE FUNCTION peermetrics_rollups.reset() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE peermetrics_rollups.conference_cell, peermetrics_rollups.issue_code_cell, peermetrics_rollups.issue_gum_cell,
             peermetrics_rollups.connection_cell, peermetrics_rollups.session_cell,
             peermetrics_rollups.conference_status_stored, peermetrics_rollups.conference_duration_stored,
             peermetrics_rollups.conference_participants_stored, peermetrics_rollups.issue_code_stored,
             peermetrics_rollups.issue_gum_stored, peermetrics_rollups.connection_type_stored,
             peermetrics_rollups.connection_setup_stored, peermetrics_rollups.session_list_stored,
             peermetrics_rollups.work_touched;
    UPDATE peermetrics_rollups.state
    SET phase = 'backfilling', backfill_app = NULL, backfill_at = NULL, backfill_id = NULL, backfill_done = 0,
        backfill_total = (SELECT count(*) FROM conference), ready_at = NULL, reset_at = NULL, settle_xmax = NULL,
        -- The log's fill counted afresh: rows of rolled-back writes (never deleted by a run) stop counting.
        log_base = coalesce(pg_sequence_last_value('peermetrics_rollups.log_seq'), 0)
                   - (SELECT count(*) FROM peermetrics_rollups.change_log);
END
$$;

-- What keeps the rollups from following the tables, NULL when nothing does: a trigger of
-- peermetrics_rollups.watched missing or not firing in ordinary sessions (changes go unlogged), a column they
-- read missing or of another type (Django's RemoveField, RenameField, AlterField), or one of the objects the
-- triggers log with gone. The rollups are then reset and stay not ready until it is fixed, then backfilled again.
CREATE OR REPLACE FUNCTION peermetrics_rollups.schema_problems() RETURNS text
LANGUAGE sql STABLE AS $$
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
        LEFT JOIN pg_attribute a ON a.attrelid = to_regclass(format('public.%I', r.tbl)) AND a.attname = r.col
                                AND a.attnum > 0 AND NOT a.attisdropped
        WHERE a.attname IS NULL OR (r.typ IS NOT NULL AND format_type(a.atttypid, NULL) <> r.typ)
        UNION ALL
        SELECT format('%s is missing', o.name)
        FROM unnest(ARRAY['peermetrics_rollups.change_log', 'peermetrics_rollups.log_seq', 'peermetrics_rollups.missed_seq',
                          'peermetrics_rollups.faults']) AS o (name)
        WHERE to_regclass(o.name) IS NULL
    ) p
$$;

-- True when every change is being logged: no schema problem, and no change missed since the maintainer last
-- looked (a miss is visible at once, before the maintainer or the write that missed commits). Every reader
-- checks it in its snapshot before it serves the rollups.
CREATE OR REPLACE FUNCTION peermetrics_rollups.triggers_ok() RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT peermetrics_rollups.schema_problems() IS NULL
       AND coalesce(pg_sequence_last_value(to_regclass('peermetrics_rollups.missed_seq')), 0) <= s.missed_seen
    FROM peermetrics_rollups.state s
$$;

-- ---------------------------------------------------------------------------------------------------------
-- The maintainer: one run consumes (part of) the log and, while backfilling, one batch of conferences.
-- Must run in a REPEATABLE READ transaction: the log rows it deletes are exactly those visible in its
-- snapshot, and it recomputes from raw rows of that same snapshot; a change committed later keeps its log
-- row for the next run. One maintainer at a time (transaction-scoped advisory lock).
--
-- A reset (after a TRUNCATE, or while a trigger is missing) is carried out reset_delay after it was requested:
-- the request makes status() report not ready at once, and a reader trusts a status at most MaxLag old, so by
-- the time the rollups are emptied and partly backfilled no reader serves them any more.
CREATE OR REPLACE FUNCTION peermetrics_rollups.apply(max_entries integer DEFAULT 100000, backfill_batch integer DEFAULT 2000,
                                                     reset_delay interval DEFAULT '5 seconds')
RETURNS TABLE (locked boolean, consumed bigint, backfilled bigint, phase text)
LANGUAGE plpgsql AS $$
DECLARE
    c_ids uuid[];
    i_ids uuid[];
    n_ids uuid[];
    s_ids uuid[];
    p_ids uuid[];
    ahead uuid[];
    entries bigint := 0;
    done bigint := 0;
    batch_ids uuid[];
    batch_count integer;
    last_at timestamptz;
    last_id uuid;
    broken boolean;
    problem text;
    missed bigint;
    detected boolean := false;
    st peermetrics_rollups.state;
BEGIN
    IF current_setting('transaction_isolation') <> 'repeatable read' THEN
        RAISE EXCEPTION 'peermetrics_rollups.apply() must run in a REPEATABLE READ transaction';
    END IF;
    IF NOT pg_try_advisory_xact_lock(hashtext('peermetrics_rollups.apply')) THEN
        RETURN QUERY SELECT false, 0::bigint, 0::bigint, (SELECT s.phase FROM peermetrics_rollups.state s);
        RETURN;
    END IF;
    -- The snapshot was taken before the lock: if another run committed in between, this one would work on
    -- stale rollups. Every run updates the state row, so locking it fails (serialization failure) exactly
    -- then; the caller just runs again.
    PERFORM 1 FROM peermetrics_rollups.state FOR UPDATE;

    SELECT * INTO st FROM peermetrics_rollups.state;

    -- A change went unlogged (a trigger could not log it, or the log was at its cap): reset. The writes that
    -- missed may still be running; the reset waits for them (settle_xmax, set by a later run, whose snapshot
    -- is taken after this read).
    missed := coalesce(pg_sequence_last_value(to_regclass('peermetrics_rollups.missed_seq')), 0);
    IF missed > st.missed_seen THEN
        UPDATE peermetrics_rollups.state s
        SET missed_seen = missed, phase = 'backfilling', ready_at = NULL, reset_at = coalesce(s.reset_at, now()),
            settle_xmax = NULL, broken_at = now(),
            broken_reason = 'a change was not logged: '
                            || coalesce((SELECT f.reason FROM peermetrics_rollups.faults f ORDER BY f.at LIMIT 1), 'reason not recorded');
        DELETE FROM peermetrics_rollups.faults;
        detected := true;
        SELECT * INTO st FROM peermetrics_rollups.state;
    END IF;
    problem := peermetrics_rollups.schema_problems();
    broken := problem IS NOT NULL;

    IF st.reset_at IS NULL AND (broken OR EXISTS (SELECT 1 FROM peermetrics_rollups.change_log WHERE family = '*')) THEN
        -- A TRUNCATE's marker commits with it: no write to wait for. A schema problem: see below.
        UPDATE peermetrics_rollups.state s
        SET phase = 'backfilling', reset_at = now(), ready_at = NULL, broken_at = now(),
            settle_xmax = CASE WHEN broken THEN NULL ELSE '0'::xid8 END,
            broken_reason = coalesce(problem, 'TRUNCATE');
        SELECT * INTO st FROM peermetrics_rollups.state;
    END IF;

    IF st.reset_at IS NOT NULL THEN
        -- Everything visible now is covered by the backfill that follows the reset.
        DELETE FROM peermetrics_rollups.change_log;
        GET DIAGNOSTICS entries = ROW_COUNT;
        UPDATE peermetrics_rollups.state s SET log_base = s.log_base + entries;
        -- With a trigger missing or a column drifted, changes go unlogged or are misread: the backfill starts
        -- only once the schema is back, and once every transaction that wrote meanwhile (or missed) has
        -- ended, from a snapshot that then holds every such change.
        IF broken OR detected OR st.settle_xmax IS NULL OR now() - st.reset_at < reset_delay
           OR pg_snapshot_xmin(pg_current_snapshot()) < st.settle_xmax THEN
            UPDATE peermetrics_rollups.state s
            SET applied_at = now(),
                settle_xmax = CASE WHEN broken OR detected THEN NULL
                                   ELSE coalesce(s.settle_xmax, pg_snapshot_xmax(pg_current_snapshot())) END,
                broken_reason = coalesce(problem, s.broken_reason);
            RETURN QUERY SELECT true, entries, 0::bigint, 'backfilling'::text;
            RETURN;
        END IF;
        PERFORM peermetrics_rollups.reset();
    ELSE
        WITH consumed AS (
            DELETE FROM peermetrics_rollups.change_log l
            WHERE l.ctid = ANY (ARRAY(SELECT ctid FROM peermetrics_rollups.change_log LIMIT max_entries))
            RETURNING l.family, l.id
        )
        SELECT count(*),
               array_agg(DISTINCT id) FILTER (WHERE family = 'C' AND id IS NOT NULL),
               array_agg(DISTINCT id) FILTER (WHERE family = 'I' AND id IS NOT NULL),
               array_agg(DISTINCT id) FILTER (WHERE family = 'N' AND id IS NOT NULL),
               array_agg(DISTINCT id) FILTER (WHERE family = 'S' AND id IS NOT NULL),
               array_agg(DISTINCT id) FILTER (WHERE family = 'P' AND id IS NOT NULL)
        INTO entries, c_ids, i_ids, n_ids, s_ids, p_ids
        FROM consumed;
        UPDATE peermetrics_rollups.state s SET log_base = s.log_base + entries;

        -- A participant's flags count in every conference it is linked to, as linked in this snapshot.
        IF cardinality(p_ids) > 0 THEN
            c_ids := ARRAY(SELECT unnest(c_ids)
                           UNION
                           SELECT pc.conference_id FROM participant_conferences pc WHERE pc.participant_id = ANY (p_ids));
        END IF;
        IF st.phase = 'backfilling' THEN
            -- Conferences the backfill has not reached and that have no cells yet: it folds them in later, from
            -- a snapshot that holds these changes, so recomputing them now is wasted (a bulk load logs every
            -- row). One that moved ahead of the cursor keeps cells and is recomputed; a deleted one too.
            ahead := ARRAY(
                SELECT c.id
                FROM conference c
                WHERE c.id IN (SELECT unnest(c_ids) UNION SELECT unnest(i_ids) UNION SELECT unnest(n_ids) UNION SELECT unnest(s_ids))
                  AND (st.backfill_app IS NULL OR c.app_id > st.backfill_app
                       OR (c.app_id = st.backfill_app
                           AND (c.created_at, c.id) > (coalesce(st.backfill_at, '-infinity'),
                                                       coalesce(st.backfill_id, '00000000-0000-0000-0000-000000000000'))))
                  AND NOT EXISTS (SELECT 1 FROM peermetrics_rollups.conference_cell x WHERE x.conference_id = c.id)
                  AND NOT EXISTS (SELECT 1 FROM peermetrics_rollups.issue_code_cell x WHERE x.conference_id = c.id)
                  AND NOT EXISTS (SELECT 1 FROM peermetrics_rollups.issue_gum_cell x WHERE x.conference_id = c.id)
                  AND NOT EXISTS (SELECT 1 FROM peermetrics_rollups.connection_cell x WHERE x.conference_id = c.id)
                  AND NOT EXISTS (SELECT 1 FROM peermetrics_rollups.session_cell x WHERE x.conference_id = c.id));
            c_ids := ARRAY(SELECT unnest(c_ids) EXCEPT SELECT unnest(ahead));
            -- A conference whose created_at moved behind the cursor would never have its rows backfilled: any
            -- change of a conference then recomputes all of its rows.
            i_ids := ARRAY(SELECT unnest(i_ids) UNION SELECT unnest(c_ids) EXCEPT SELECT unnest(ahead));
            n_ids := ARRAY(SELECT unnest(n_ids) UNION SELECT unnest(c_ids) EXCEPT SELECT unnest(ahead));
            s_ids := ARRAY(SELECT unnest(s_ids) UNION SELECT unnest(c_ids) EXCEPT SELECT unnest(ahead));
        END IF;

        -- Hours that ended since the last run are closed: their hour buckets, and the day buckets of days
        -- that ended, are built by this run's re-aggregation, from these touched minutes (a closing hour's
        -- first minute where it has a ten, a closing day's first minute for every app with an hour in it).
        IF date_trunc('hour', now(), 'UTC') > st.open_hour THEN
            INSERT INTO peermetrics_rollups.work_touched (family, app_id, minute)
            SELECT DISTINCT b.family, a.id,
                   date_trunc(CASE b.level WHEN 1 THEN 'hour' ELSE 'day' END, b.bucket, 'UTC')
            FROM public.app a
            CROSS JOIN LATERAL (
                SELECT 'C'::"char" AS family, t.level, t.bucket FROM peermetrics_rollups.conference_status_stored t WHERE t.app_id = a.id
                UNION ALL SELECT 'I', t.level, t.bucket FROM peermetrics_rollups.issue_code_stored t WHERE t.app_id = a.id
                UNION ALL SELECT 'I', t.level, t.bucket FROM peermetrics_rollups.issue_gum_stored t WHERE t.app_id = a.id
                UNION ALL SELECT 'N', t.level, t.bucket FROM peermetrics_rollups.connection_type_stored t WHERE t.app_id = a.id
                UNION ALL SELECT 'N', t.level, t.bucket FROM peermetrics_rollups.connection_setup_stored t WHERE t.app_id = a.id
                UNION ALL SELECT 'S', t.level, t.bucket FROM peermetrics_rollups.session_list_stored t WHERE t.app_id = a.id
            ) b
            WHERE (b.level = 1 AND b.bucket >= st.open_hour AND b.bucket < date_trunc('hour', now(), 'UTC'))
               OR (b.level = 2 AND b.bucket >= date_trunc('day', st.open_hour, 'UTC')
                               AND b.bucket < date_trunc('day', now(), 'UTC'));
            UPDATE peermetrics_rollups.state s SET open_hour = date_trunc('hour', now(), 'UTC');
        END IF;
        PERFORM peermetrics_rollups.recompute(c_ids, i_ids, n_ids, s_ids);
    END IF;

    SELECT * INTO st FROM peermetrics_rollups.state;
    IF st.phase = 'backfilling' THEN
        -- Conferences in (app, created_at, id) order, so a batch touches few hours and days.
        batch_ids := ARRAY[]::uuid[];
        IF st.backfill_app IS NULL THEN
            st.backfill_app := (SELECT c.app_id FROM conference c ORDER BY c.app_id LIMIT 1);
        END IF;
        WHILE st.backfill_app IS NOT NULL AND done < backfill_batch LOOP
            WITH batch AS (
                SELECT c.id, c.created_at
                FROM conference c
                WHERE c.app_id = st.backfill_app
                  AND (c.created_at, c.id) > (coalesce(st.backfill_at, '-infinity'),
                                              coalesce(st.backfill_id, '00000000-0000-0000-0000-000000000000'))
                ORDER BY c.created_at, c.id
                LIMIT backfill_batch - done
            )
            SELECT coalesce(array_agg(id), ARRAY[]::uuid[]), count(*)::int,
                   (array_agg(created_at ORDER BY created_at DESC, id DESC))[1],
                   (array_agg(id ORDER BY created_at DESC, id DESC))[1]
            INTO STRICT c_ids, batch_count, last_at, last_id
            FROM batch;
            batch_ids := batch_ids || c_ids;
            done := done + batch_count;
            IF batch_count < backfill_batch - (done - batch_count) THEN
                st.backfill_app := (SELECT c.app_id FROM conference c WHERE c.app_id > st.backfill_app ORDER BY c.app_id LIMIT 1);
                st.backfill_at := NULL;
                st.backfill_id := NULL;
            ELSE
                st.backfill_at := last_at;
                st.backfill_id := last_id;
            END IF;
        END LOOP;
        PERFORM peermetrics_rollups.recompute(batch_ids, batch_ids, batch_ids, batch_ids);
        UPDATE peermetrics_rollups.state s
        SET backfill_app = st.backfill_app, backfill_at = st.backfill_at, backfill_id = st.backfill_id,
            backfill_done = s.backfill_done + done,
            phase = CASE WHEN st.backfill_app IS NULL THEN 'ready' ELSE 'backfilling' END,
            ready_at = CASE WHEN st.backfill_app IS NULL THEN now() END,
            broken_reason = CASE WHEN st.backfill_app IS NULL THEN NULL ELSE s.broken_reason END;
    END IF;

    UPDATE peermetrics_rollups.state s
    SET applied_at = now(),
        current_through = CASE WHEN entries < max_entries THEN transaction_timestamp() ELSE s.current_through END;
    RETURN QUERY SELECT true, entries, done, (SELECT s.phase FROM peermetrics_rollups.state s);
END
$$;

-- Cheap enough to call before serving: the phase, and how far behind the maintainer is (pending log rows,
-- age of the oldest). A pending rebuild marker means the rollups are about to be reset: not ready.
CREATE OR REPLACE FUNCTION peermetrics_rollups.status()
RETURNS TABLE (version integer, phase text, ready boolean, backlog bigint, lag_seconds float8,
               backfill_done bigint, backfill_total bigint, applied_at timestamptz,
               problem text, rebuild_reason text, log_rows bigint, log_cap bigint, unapplied_seconds float8)
LANGUAGE sql STABLE AS $$
    SELECT s.version, s.phase, s.phase = 'ready' AND NOT l.rebuild AND peermetrics_rollups.triggers_ok(), l.backlog,
           coalesce(extract(epoch FROM clock_timestamp() - l.oldest), 0)::float8,
           s.backfill_done, s.backfill_total, s.applied_at,
           -- What keeps them from serving until someone changes the schema; why they are (about to be) rebuilt.
           peermetrics_rollups.schema_problems(),
           coalesce(CASE WHEN coalesce(pg_sequence_last_value(to_regclass('peermetrics_rollups.missed_seq')), 0) > s.missed_seen
                         THEN 'a change was not logged' END,
                    s.broken_reason),
           greatest(coalesce(pg_sequence_last_value(to_regclass('peermetrics_rollups.log_seq')), 0) - s.log_base, l.backlog),
           s.log_cap,
           -- How long nothing has applied the log: since the last run, or since the install.
           extract(epoch FROM clock_timestamp() - coalesce(s.applied_at, s.installed_at))::float8
    FROM peermetrics_rollups.state s
    CROSS JOIN (SELECT count(*) AS backlog, min(logged_at) AS oldest, coalesce(bool_or(family = '*'), false) AS rebuild
                FROM peermetrics_rollups.change_log) l
$$;

-- ---------------------------------------------------------------------------------------------------------
-- From here on, the second transaction: all six tables at once, in one fixed order, before anything else, so it
-- never waits for a lock while holding another and cannot deadlock with a writer. The installer bounds the wait
-- and the hold with lock_timeout and statement_timeout (Rollups:LockTimeout) and retries: writers queue behind
-- it for that long at most. Nothing below counts or reads rows.
LOCK TABLE public.conference, public.app_issue, public.app_connection, public.app_session,
           public.participant_conferences, public.participant IN SHARE ROW EXCLUSIVE MODE;

-- Triggers on the peermetrics tables: row-level, they only append (family, conference or participant) to the
-- log. Django writes one row per statement, and a row trigger costs it one short INSERT: no transition table,
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

-- One function for every row trigger. TG_ARGV: [0] the key column ('id' or 'conference_id'), [1] the families,
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
        SELECT s.log_cap, s.log_base INTO STRICT cap, base FROM peermetrics_rollups.state s;
        IF coalesce(pg_sequence_last_value('peermetrics_rollups.log_seq'), 0) - base >= cap THEN
            PERFORM peermetrics_rollups.missed(format('the change log is at its cap of %s rows (Rollups:MaxLogRows)', cap));
            RETURN NULL;
        END IF;
        old_key := (o ->> TG_ARGV[0])::uuid;
        new_key := (n ->> TG_ARGV[0])::uuid;
        IF old_key IS NOT NULL THEN
            INSERT INTO peermetrics_rollups.change_log (family, id) SELECT f::"char", old_key FROM string_to_table(TG_ARGV[1], NULL) f;
        END IF;
        IF new_key IS NOT NULL AND new_key IS DISTINCT FROM old_key THEN
            INSERT INTO peermetrics_rollups.change_log (family, id) SELECT f::"char", new_key FROM string_to_table(TG_ARGV[1], NULL) f;
        END IF;
    EXCEPTION WHEN OTHERS THEN
        PERFORM peermetrics_rollups.missed(SQLERRM);
    END;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION peermetrics_rollups.log_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '50ms' AS $$
BEGIN
    BEGIN
        INSERT INTO peermetrics_rollups.change_log (family, id) VALUES ('*', NULL);
    EXCEPTION WHEN OTHERS THEN
        PERFORM peermetrics_rollups.missed(SQLERRM);
    END;
    RETURN NULL;
END
$$;

-- Triggers of an earlier install that are no longer listed, then every listed one (replaced in place).
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN
        SELECT tr.tgrelid::regclass AS rel, tr.tgname AS name
        FROM pg_trigger tr JOIN pg_proc p ON p.oid = tr.tgfoid
        WHERE p.pronamespace = 'peermetrics_rollups'::regnamespace
          AND NOT EXISTS (SELECT 1 FROM peermetrics_rollups.watched w
                          WHERE format('public.%I', w.tbl)::regclass = tr.tgrelid AND w.name = tr.tgname)
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', t.name, t.rel);
    END LOOP;
    FOR t IN SELECT * FROM peermetrics_rollups.watched LOOP
        EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER %s ON public.%I FOR EACH %s EXECUTE FUNCTION peermetrics_rollups.%s',
            t.name, t.event, t.tbl,
            CASE WHEN t.event = 'TRUNCATE' THEN 'STATEMENT' ELSE 'ROW' END,
            CASE WHEN t.event = 'TRUNCATE' THEN 'log_truncate()'
                 ELSE format('log_change(%s)',
                             (SELECT string_agg(quote_literal(a), ', ')
                              FROM unnest(ARRAY[t.key, t.families] || coalesce(t.watched, ARRAY[]::text[])) a)) END);
    END LOOP;
END
$$;
