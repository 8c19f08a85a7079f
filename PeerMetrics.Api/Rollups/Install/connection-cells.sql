-- The connection family's cells: connections grouped by what the two connection summaries count them by: their path (d direct, r relayed,
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

CREATE OR REPLACE FUNCTION peermetrics_rollups.recompute_connections(ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM peermetrics_rollups.touch('connection', 'connection_cell', ids);
    DELETE FROM peermetrics_rollups.connection_cell WHERE conference_id = ANY (ids);

    WITH negotiation AS MATERIALIZED (
        SELECT c.conference_id, f.app_id, date_trunc('minute', c.created_at, 'UTC') AS minute,
               (/*@SQL(connection_path)*/)::"char" AS path,
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

    PERFORM peermetrics_rollups.touch('connection', 'connection_cell', ids);
END
$$;
