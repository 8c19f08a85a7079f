-- The issue family's cells: a conference's active issues per minute of their created_at, by code and by
-- getUserMedia error name (with the first message by (created_at, id)).

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

CREATE OR REPLACE FUNCTION peermetrics_rollups.recompute_issues(ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM peermetrics_rollups.touch('issue', 'issue_code_cell', ids);
    PERFORM peermetrics_rollups.touch('issue', 'issue_gum_cell', ids);
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

    PERFORM peermetrics_rollups.touch('issue', 'issue_code_cell', ids);
    PERFORM peermetrics_rollups.touch('issue', 'issue_gum_cell', ids);
END
$$;
