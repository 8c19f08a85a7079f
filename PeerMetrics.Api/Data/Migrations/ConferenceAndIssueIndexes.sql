-- Indexes for the conferences and issues summaries and the conferences drill-down. Partial on is_active
-- because every query reads active rows only; INCLUDE columns let the hot paths run as index-only scans.

-- Conferences of an app in a created_at window (all three conference summaries, drill-down by app).
CREATE INDEX IF NOT EXISTS "idx_conference_app_created_active"
    ON "conference" ("app_id", "created_at") INCLUDE ("id", "ongoing", "duration")
    WHERE "is_active";

-- Active issues of a conference: status (type), issues summary (code, created_at), issue_code filter.
CREATE INDEX IF NOT EXISTS "idx_app_issue_conference_active"
    ON "app_issue" ("conference_id", "type") INCLUDE ("code", "created_at")
    WHERE "is_active";

-- getUserMedia errors of a conference (the gum summary reads data, so only the lookup is indexed).
CREATE INDEX IF NOT EXISTS "idx_app_issue_conference_gum_active"
    ON "app_issue" ("conference_id", "created_at")
    WHERE "is_active" AND "code" = 'getusermedia_error';

-- Participants linked to a conference (Django only indexes the pair the other way round).
CREATE INDEX IF NOT EXISTS "idx_participant_conferences_conference_participant"
    ON "participant_conferences" ("conference_id", "participant_id");

-- "Has a session in this conference" for a participant.
CREATE INDEX IF NOT EXISTS "idx_app_session_conference_participant"
    ON "app_session" ("conference_id", "participant_id");
