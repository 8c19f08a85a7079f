-- The session family's cells: sessions grouped by everything a session is listed by: browser and os (NULL when it has no platform), country,
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

CREATE OR REPLACE FUNCTION peermetrics_rollups.recompute_sessions(ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM peermetrics_rollups.touch('session', 'session_cell', ids);
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
               /*@SQL(listed_values)*/,
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

    PERFORM peermetrics_rollups.touch('session', 'session_cell', ids);
END
$$;
