-- The conference family's cells: one per active conference, in the minute of its created_at, with what the
-- three conference summaries count it by. Like every cell, recomputed from raw rows whenever its conference is
-- logged, with the raw summaries' own expressions; its app_id is the conference's app at that time.

CREATE TABLE IF NOT EXISTS peermetrics_rollups.conference_cell (
    conference_id uuid PRIMARY KEY,
    app_id        uuid NOT NULL,
    minute        timestamptz NOT NULL,
    status        "char" NOT NULL,      -- o ongoing, e error, w warning, s success
    duration_from smallint NOT NULL,    -- lower bound (s) of the duration bucket
    participants  integer NOT NULL
);
CREATE INDEX IF NOT EXISTS conference_cell_app_minute ON peermetrics_rollups.conference_cell (app_id, minute);

CREATE OR REPLACE FUNCTION peermetrics_rollups.recompute_conferences(ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM peermetrics_rollups.touch('conference', 'conference_cell', ids);
    DELETE FROM peermetrics_rollups.conference_cell WHERE conference_id = ANY (ids);

    -- Status, duration bucket and present participants as the raw summaries decide them.
    INSERT INTO peermetrics_rollups.conference_cell (conference_id, app_id, minute, status, duration_from, participants)
    SELECT c.id, c.app_id, date_trunc('minute', c.created_at, 'UTC'),
           /*@SQL(conference_status)*/,
           /*@SQL(duration_from)*/,
           present.participants
    FROM conference c
    CROSS JOIN LATERAL (
        SELECT /*@SQL(has_error)*/ AS has_error
        FROM app_issue i
        WHERE i.conference_id = c.id AND /*@SQL(deciding_issue)*/
    ) severity
    CROSS JOIN LATERAL (
        SELECT count(*)::int AS participants
        FROM participant_conferences pc
        WHERE pc.conference_id = c.id AND /*@SQL(participant_present)*/
    ) present
    WHERE c.id = ANY (ids) AND c.is_active;

    PERFORM peermetrics_rollups.touch('conference', 'conference_cell', ids);
END
$$;
