-- Participants who are never counted as present: inactive or SFU. They are few (601 of 54,419 at seed scale 1),
-- so the participant-count summary excludes them with an index-only anti-join of a few hundred entries instead
-- of joining every participant (that join was ~50 ms of ~250 ms). Partial, so inserting an ordinary (active,
-- non-SFU) participant adds no index entry.
CREATE INDEX IF NOT EXISTS "idx_participant_not_counted"
    ON "participant" ("id")
    WHERE NOT "is_active" OR "is_sfu";
