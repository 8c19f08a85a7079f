-- The rollups the summaries read: each one's stored levels (tens, hours, days), its view (the stored levels
-- and the cells as minutes), its definition, and the re-aggregation of touched buckets.

-- The rollups of whole buckets, per app: level 1 = ten minutes, 2 = hour, 3 = day (bucket = its UTC start).
-- Minutes are not stored: the cells are the minutes (see the views below). Each is read, replaced and deleted
-- by whole buckets, so its one index is on (app_id, level, bucket), not unique: a bucket's rows share one key,
-- which the index stores once (deduplication). A bucket's groups are unique by construction (GROUP BY).
-- Columns: app_id, level, bucket, then the rollup's dimensions and measures in the order of its definition
-- (peermetrics_rollups.rollups, below).
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
-- Re-aggregating the touched buckets: tens from the cells (the views' level 0), hours from tens, days from hours.
-- Always a full recompute of each touched bucket, never a delta.

-- The rollups, defined once: the view each is read from (name) and the stored table it is rolled up into
-- (name_stored), the family whose touched buckets it re-aggregates, its dimension columns (NULL: none) and an
-- aggregate per measure column, in the stored table's order.
CREATE TABLE IF NOT EXISTS peermetrics_rollups.rollups (
    name     text PRIMARY KEY,
    family   peermetrics_rollups.family NOT NULL,
    dims     text,
    measures text NOT NULL
);
DELETE FROM peermetrics_rollups.rollups;
INSERT INTO peermetrics_rollups.rollups (name, family, dims, measures) VALUES
    ('conference_status', 'conference', NULL, 'sum(success), sum(warning), sum(error), sum(ongoing), sum(total)'),
    ('conference_duration', 'conference', 'duration_from', 'sum(conferences)'),
    ('conference_participants', 'conference', 'participants', 'sum(conferences)'),
    ('issue_code', 'issue', 'code', 'sum(issues)'),
    ('issue_gum', 'issue', 'name',
     'sum(issues), '
     '(array_agg(first_at ORDER BY first_at, first_id) FILTER (WHERE first_message IS NOT NULL))[1], '
     '(array_agg(first_id ORDER BY first_at, first_id) FILTER (WHERE first_message IS NOT NULL))[1], '
     '(array_agg(first_message ORDER BY first_at, first_id) FILTER (WHERE first_message IS NOT NULL))[1]'),
    ('connection_type', 'connection', NULL, 'sum(direct), sum(relayed)'),
    ('connection_setup', 'connection', 'setup_bucket', 'sum(connections), peermetrics_rollups.uuid_union(conference_ids)'),
    ('session_list', 'session', 'kind, name',
     'sum(sessions), '
     '(array_agg(first_at ORDER BY first_at, first_id))[1], (array_agg(first_id ORDER BY first_at, first_id))[1], '
     '(array_agg(latitude ORDER BY first_at, first_id))[1], (array_agg(longitude ORDER BY first_at, first_id))[1]');

-- Tens, hours and days of one rollup (its view) from the level below, written to its stored table. Tens are
-- kept for every touched minute, open hour included (a ten re-aggregates at most ten minutes of cells); hours
-- and days only once closed (state.open_hour).
CREATE OR REPLACE FUNCTION peermetrics_rollups.roll_up(r peermetrics_rollups.rollups)
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
            $sql$, r.name || '_stored', lvl) USING stride, closed_before, r.family;
        EXECUTE format($sql$
            INSERT INTO peermetrics_rollups.%5$I
            SELECT s.app_id, %2$s, s.bucket%3$s, %4$s
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
            $sql$, r.name, lvl, coalesce(', ' || r.dims, ''), r.measures, r.name || '_stored')
            USING stride, closed_before, r.family;
    END LOOP;
END
$$;

-- Every rollup's touched buckets, then an empty list of touched buckets.
CREATE OR REPLACE FUNCTION peermetrics_rollups.reaggregate() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM peermetrics_rollups.work_touched) THEN
        PERFORM peermetrics_rollups.roll_up(r) FROM peermetrics_rollups.rollups r;
        DELETE FROM peermetrics_rollups.work_touched;
    END IF;
END
$$;

-- Hours that ended since the last run are closed: their hour buckets, and the day buckets of days that ended,
-- are built by the run's re-aggregation, from these touched minutes (a closing hour's first minute where it has
-- a ten, a closing day's first minute for every app with an hour in it). Then the open hour is the current one.
CREATE OR REPLACE FUNCTION peermetrics_rollups.close_hours() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    open_hour timestamptz := (SELECT s.open_hour FROM peermetrics_rollups.state s);
    r peermetrics_rollups.rollups;
BEGIN
    IF date_trunc('hour', now(), 'UTC') <= open_hour THEN
        RETURN;
    END IF;
    FOR r IN SELECT * FROM peermetrics_rollups.rollups LOOP
        EXECUTE format($sql$
            INSERT INTO peermetrics_rollups.work_touched (family, app_id, minute)
            SELECT DISTINCT $1, a.id, date_trunc(CASE b.level WHEN 1 THEN 'hour' ELSE 'day' END, b.bucket, 'UTC')
            FROM public.app a
            CROSS JOIN LATERAL (SELECT t.level, t.bucket FROM peermetrics_rollups.%I t WHERE t.app_id = a.id) b
            WHERE (b.level = 1 AND b.bucket >= $2 AND b.bucket < date_trunc('hour', now(), 'UTC'))
               OR (b.level = 2 AND b.bucket >= date_trunc('day', $2, 'UTC') AND b.bucket < date_trunc('day', now(), 'UTC'))
            $sql$, r.name || '_stored') USING r.family, open_hour;
    END LOOP;
    UPDATE peermetrics_rollups.state s SET open_hour = date_trunc('hour', now(), 'UTC');
END
$$;
