-- The peermetrics schema exactly as the peermetrics API's Django migrations 0001-0004 leave it
-- (docs/schema.md): same tables, columns, types, nullability, keys and dashboard indexes.
-- Hashed constraint/index names are kept so the catalog matches an existing peermetrics database.

CREATE TABLE "organization" (
    "id" uuid NOT NULL CONSTRAINT "organization_pkey" PRIMARY KEY,
    "name" varchar(64) NOT NULL,
    "created_at" timestamp with time zone NOT NULL,
    "is_active" boolean NOT NULL
);

CREATE TABLE "users" (
    "password" varchar(128) NOT NULL,
    "last_login" timestamp with time zone NULL,
    "is_superuser" boolean NOT NULL,
    "username" varchar(150) NOT NULL CONSTRAINT "users_username_key" UNIQUE,
    "first_name" varchar(30) NOT NULL,
    "last_name" varchar(150) NOT NULL,
    "email" varchar(254) NOT NULL,
    "is_staff" boolean NOT NULL,
    "is_active" boolean NOT NULL,
    "date_joined" timestamp with time zone NOT NULL,
    "id" uuid NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY,
    "last_active" date NULL,
    "notifications" jsonb NULL,
    "is_verified" boolean NOT NULL,
    "days_filter" integer NOT NULL CONSTRAINT "users_days_filter_check" CHECK ("days_filter" >= 0),
    "usage" integer NOT NULL CONSTRAINT "users_usage_check" CHECK ("usage" >= 0),
    "created_at" timestamp with time zone NOT NULL,
    "organization_id" uuid NULL
);

CREATE TABLE "app" (
    "id" uuid NOT NULL CONSTRAINT "app_pkey" PRIMARY KEY,
    "name" varchar(64) NOT NULL,
    "api_key" varchar(32) NOT NULL CONSTRAINT "app_api_key_key" UNIQUE,
    "domain" varchar(256) NULL,
    "interval" integer NOT NULL,
    "recording" boolean NOT NULL,
    "durations_days" jsonb NULL,
    "created_at" timestamp with time zone NOT NULL,
    "is_active" boolean NOT NULL,
    "organization_id" uuid NOT NULL
);

CREATE TABLE "conference" (
    "id" uuid NOT NULL CONSTRAINT "conference_pkey" PRIMARY KEY,
    "conference_id" varchar(64) NOT NULL,
    "conference_name" varchar(64) NULL,
    "conference_info" jsonb NULL,
    "start_time" timestamp with time zone NULL,
    "call_start" timestamp with time zone NULL,
    "end_time" timestamp with time zone NULL,
    "ongoing" boolean NOT NULL,
    "duration" integer NOT NULL CONSTRAINT "conference_duration_check" CHECK ("duration" >= 0),
    "created_at" timestamp with time zone NOT NULL,
    "is_active" boolean NOT NULL,
    "app_id" uuid NOT NULL,
    CONSTRAINT "conference_conference_id_app_id_cca8bada_uniq" UNIQUE ("conference_id", "app_id")
);

CREATE TABLE "participant" (
    "id" uuid NOT NULL CONSTRAINT "participant_pkey" PRIMARY KEY,
    "participant_id" varchar(64) NOT NULL,
    "participant_name" varchar(64) NULL,
    "is_sfu" boolean NOT NULL,
    "created_at" timestamp with time zone NOT NULL,
    "is_active" boolean NOT NULL,
    "app_id" uuid NOT NULL,
    CONSTRAINT "participant_participant_id_app_id_07c457cb_uniq" UNIQUE ("participant_id", "app_id")
);

CREATE TABLE "participant_conferences" (
    "id" serial NOT NULL CONSTRAINT "participant_conferences_pkey" PRIMARY KEY,
    "participant_id" uuid NOT NULL,
    "conference_id" uuid NOT NULL,
    CONSTRAINT "participant_conferences_participant_id_conferenc_7df6e9cc_uniq" UNIQUE ("participant_id", "conference_id")
);

CREATE TABLE "app_session" (
    "id" uuid NOT NULL CONSTRAINT "app_session_pkey" PRIMARY KEY,
    "constraints" jsonb NULL,
    "devices" jsonb NULL,
    "platform" jsonb NULL,
    "metadata" jsonb NULL,
    "geo_ip" jsonb NULL,
    "app_version" varchar(16) NULL,
    "webrtc_sdk" varchar(16) NULL,
    "session_info" jsonb NULL,
    "duration" integer NOT NULL CONSTRAINT "app_session_duration_check" CHECK ("duration" >= 0),
    "end_time" timestamp with time zone NULL,
    "call_start" timestamp with time zone NULL,
    "created_at" timestamp with time zone NOT NULL,
    "is_active" boolean NOT NULL,
    "conference_id" uuid NOT NULL,
    "participant_id" uuid NOT NULL
);

CREATE TABLE "app_connection" (
    "id" uuid NOT NULL CONSTRAINT "app_connection_pkey" PRIMARY KEY,
    "type" varchar(1) NULL,
    "state" varchar(32) NOT NULL,
    "connection_info" jsonb NULL,
    "start_time" timestamp with time zone NULL,
    "end_time" timestamp with time zone NULL,
    "duration" integer NOT NULL CONSTRAINT "app_connection_duration_check" CHECK ("duration" >= 0),
    "created_at" timestamp with time zone NOT NULL,
    "is_active" boolean NOT NULL,
    "conference_id" uuid NOT NULL,
    "participant_id" uuid NOT NULL,
    "peer_id" uuid NOT NULL,
    "session_id" uuid NOT NULL
);

CREATE TABLE "app_track" (
    "id" uuid NOT NULL CONSTRAINT "app_track_pkey" PRIMARY KEY,
    "kind" varchar(1) NOT NULL,
    "direction" varchar(1) NOT NULL,
    "track_id" varchar(40) NOT NULL,
    "label" varchar(128) NULL,
    "track_info" jsonb NULL,
    "created_at" timestamp with time zone NOT NULL,
    "is_active" boolean NOT NULL,
    "connection_id" uuid NULL,
    "session_id" uuid NOT NULL
);

CREATE TABLE "app_genericevent" (
    "id" uuid NOT NULL CONSTRAINT "app_genericevent_pkey" PRIMARY KEY,
    "type" varchar(32) NOT NULL,
    "category" varchar(1) NOT NULL,
    "data" jsonb NULL,
    "created_at" timestamp with time zone NOT NULL,
    "is_active" boolean NOT NULL,
    "app_id" uuid NOT NULL,
    "conference_id" uuid NOT NULL,
    "connection_id" uuid NULL,
    "participant_id" uuid NOT NULL,
    "peer_id" uuid NULL,
    "session_id" uuid NOT NULL,
    "track_id" uuid NULL
);

CREATE TABLE "app_issue" (
    "id" uuid NOT NULL CONSTRAINT "app_issue_pkey" PRIMARY KEY,
    "type" varchar(1) NOT NULL,
    "code" varchar(32) NOT NULL,
    "data" jsonb NULL,
    "created_at" timestamp with time zone NOT NULL,
    "is_active" boolean NOT NULL,
    "conference_id" uuid NULL,
    "connection_id" uuid NULL,
    "participant_id" uuid NULL,
    "session_id" uuid NOT NULL,
    "track_id" uuid NULL
);

CREATE TABLE "app_issue_events" (
    "id" serial NOT NULL CONSTRAINT "app_issue_events_pkey" PRIMARY KEY,
    "issue_id" uuid NOT NULL,
    "genericevent_id" uuid NOT NULL,
    CONSTRAINT "app_issue_events_issue_id_genericevent_id_7c44165e_uniq" UNIQUE ("issue_id", "genericevent_id")
);

CREATE TABLE "summary" (
    "id" uuid NOT NULL CONSTRAINT "summary_pkey" PRIMARY KEY,
    "status" varchar(1) NOT NULL,
    "version" integer NOT NULL CONSTRAINT "summary_version_check" CHECK ("version" >= 0),
    "end_time" timestamp with time zone NULL,
    "data" jsonb NULL,
    "created_at" timestamp with time zone NOT NULL,
    "is_active" boolean NOT NULL,
    "conference_id" uuid NOT NULL CONSTRAINT "summary_conference_id_key" UNIQUE
);

-- Foreign keys: all DEFERRABLE INITIALLY DEFERRED, NO ACTION (Django emulates cascades in Python).
ALTER TABLE "users" ADD CONSTRAINT "users_organization_id_abe5d649_fk_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "app" ADD CONSTRAINT "app_organization_id_2a92b396_fk_organization_id" FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "conference" ADD CONSTRAINT "conference_app_id_1d4d5faa_fk_app_id" FOREIGN KEY ("app_id") REFERENCES "app" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "participant" ADD CONSTRAINT "participant_app_id_8a6d3a93_fk_app_id" FOREIGN KEY ("app_id") REFERENCES "app" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "participant_conferences" ADD CONSTRAINT "participant_conferen_participant_id_f0184354_fk_participa" FOREIGN KEY ("participant_id") REFERENCES "participant" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "participant_conferences" ADD CONSTRAINT "participant_conferences_conference_id_e36d8bba_fk_conference_id" FOREIGN KEY ("conference_id") REFERENCES "conference" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "app_session" ADD CONSTRAINT "app_session_conference_id_d9afb23c_fk_conference_id" FOREIGN KEY ("conference_id") REFERENCES "conference" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "app_session" ADD CONSTRAINT "app_session_participant_id_652f358d_fk_participant_id" FOREIGN KEY ("participant_id") REFERENCES "participant" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "app_connection" ADD CONSTRAINT "app_connection_conference_id_6aa52d56_fk_conference_id" FOREIGN KEY ("conference_id") REFERENCES "conference" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "app_connection" ADD CONSTRAINT "app_connection_participant_id_02b0fc22_fk_participant_id" FOREIGN KEY ("participant_id") REFERENCES "participant" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "app_connection" ADD CONSTRAINT "app_connection_peer_id_469cad40_fk_participant_id" FOREIGN KEY ("peer_id") REFERENCES "participant" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "app_connection" ADD CONSTRAINT "app_connection_session_id_16ca4d45_fk_app_session_id" FOREIGN KEY ("session_id") REFERENCES "app_session" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "app_track" ADD CONSTRAINT "app_track_connection_id_88b2cfbd_fk_app_connection_id" FOREIGN KEY ("connection_id") REFERENCES "app_connection" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "app_track" ADD CONSTRAINT "app_track_session_id_54d6acb5_fk_app_session_id" FOREIGN KEY ("session_id") REFERENCES "app_session" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "app_genericevent" ADD CONSTRAINT "app_genericevent_app_id_6795ecb9_fk_app_id" FOREIGN KEY ("app_id") REFERENCES "app" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "app_genericevent" ADD CONSTRAINT "app_genericevent_conference_id_62688e30_fk_conference_id" FOREIGN KEY ("conference_id") REFERENCES "conference" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "app_genericevent" ADD CONSTRAINT "app_genericevent_connection_id_a6bd8c61_fk_app_connection_id" FOREIGN KEY ("connection_id") REFERENCES "app_connection" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "app_genericevent" ADD CONSTRAINT "app_genericevent_participant_id_d6e55b81_fk_participant_id" FOREIGN KEY ("participant_id") REFERENCES "participant" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "app_genericevent" ADD CONSTRAINT "app_genericevent_peer_id_a70dafdd_fk_participant_id" FOREIGN KEY ("peer_id") REFERENCES "participant" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "app_genericevent" ADD CONSTRAINT "app_genericevent_session_id_d7517f8c_fk_app_session_id" FOREIGN KEY ("session_id") REFERENCES "app_session" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "app_genericevent" ADD CONSTRAINT "app_genericevent_track_id_123e7d7a_fk_app_track_id" FOREIGN KEY ("track_id") REFERENCES "app_track" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "app_issue" ADD CONSTRAINT "app_issue_conference_id_fa340bd6_fk_conference_id" FOREIGN KEY ("conference_id") REFERENCES "conference" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "app_issue" ADD CONSTRAINT "app_issue_connection_id_2ad04578_fk_app_connection_id" FOREIGN KEY ("connection_id") REFERENCES "app_connection" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "app_issue" ADD CONSTRAINT "app_issue_participant_id_3623d332_fk_participant_id" FOREIGN KEY ("participant_id") REFERENCES "participant" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "app_issue" ADD CONSTRAINT "app_issue_session_id_26d78c40_fk_app_session_id" FOREIGN KEY ("session_id") REFERENCES "app_session" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "app_issue" ADD CONSTRAINT "app_issue_track_id_843d8ce5_fk_app_track_id" FOREIGN KEY ("track_id") REFERENCES "app_track" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "app_issue_events" ADD CONSTRAINT "app_issue_events_genericevent_id_eb3cebb8_fk_app_gener" FOREIGN KEY ("genericevent_id") REFERENCES "app_genericevent" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "app_issue_events" ADD CONSTRAINT "app_issue_events_issue_id_0a7710b9_fk_app_issue_id" FOREIGN KEY ("issue_id") REFERENCES "app_issue" ("id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "summary" ADD CONSTRAINT "summary_conference_id_3b11a291_fk_conference_id" FOREIGN KEY ("conference_id") REFERENCES "conference" ("id") DEFERRABLE INITIALLY DEFERRED;

-- Foreign-key and db_index indexes Django creates.
CREATE INDEX "users_organization_id_abe5d649" ON "users" ("organization_id");
CREATE INDEX "users_username_e8658fc8_like" ON "users" ("username" varchar_pattern_ops);
CREATE INDEX "app_api_key_4a0a087d_like" ON "app" ("api_key" varchar_pattern_ops);
CREATE INDEX "app_organization_id_2a92b396" ON "app" ("organization_id");
CREATE INDEX "conference_app_id_1d4d5faa" ON "conference" ("app_id");
CREATE INDEX "conference_conference_id_25a57d39" ON "conference" ("conference_id");
CREATE INDEX "conference_conference_id_25a57d39_like" ON "conference" ("conference_id" varchar_pattern_ops);
CREATE INDEX "participant_app_id_8a6d3a93" ON "participant" ("app_id");
CREATE INDEX "participant_participant_id_2db62093" ON "participant" ("participant_id");
CREATE INDEX "participant_participant_id_2db62093_like" ON "participant" ("participant_id" varchar_pattern_ops);
CREATE INDEX "participant_conferences_conference_id_e36d8bba" ON "participant_conferences" ("conference_id");
CREATE INDEX "participant_conferences_participant_id_f0184354" ON "participant_conferences" ("participant_id");
CREATE INDEX "app_session_conference_id_d9afb23c" ON "app_session" ("conference_id");
CREATE INDEX "app_session_participant_id_652f358d" ON "app_session" ("participant_id");
CREATE INDEX "app_connection_conference_id_6aa52d56" ON "app_connection" ("conference_id");
CREATE INDEX "app_connection_participant_id_02b0fc22" ON "app_connection" ("participant_id");
CREATE INDEX "app_connection_peer_id_469cad40" ON "app_connection" ("peer_id");
CREATE INDEX "app_connection_session_id_16ca4d45" ON "app_connection" ("session_id");
CREATE INDEX "app_track_connection_id_88b2cfbd" ON "app_track" ("connection_id");
CREATE INDEX "app_track_session_id_54d6acb5" ON "app_track" ("session_id");
CREATE INDEX "app_track_track_id_8eac92ea" ON "app_track" ("track_id");
CREATE INDEX "app_track_track_id_8eac92ea_like" ON "app_track" ("track_id" varchar_pattern_ops);
CREATE INDEX "app_genericevent_app_id_6795ecb9" ON "app_genericevent" ("app_id");
CREATE INDEX "app_genericevent_conference_id_62688e30" ON "app_genericevent" ("conference_id");
CREATE INDEX "app_genericevent_connection_id_a6bd8c61" ON "app_genericevent" ("connection_id");
CREATE INDEX "app_genericevent_participant_id_d6e55b81" ON "app_genericevent" ("participant_id");
CREATE INDEX "app_genericevent_peer_id_a70dafdd" ON "app_genericevent" ("peer_id");
CREATE INDEX "app_genericevent_session_id_d7517f8c" ON "app_genericevent" ("session_id");
CREATE INDEX "app_genericevent_track_id_123e7d7a" ON "app_genericevent" ("track_id");
CREATE INDEX "app_issue_conference_id_fa340bd6" ON "app_issue" ("conference_id");
CREATE INDEX "app_issue_connection_id_2ad04578" ON "app_issue" ("connection_id");
CREATE INDEX "app_issue_participant_id_3623d332" ON "app_issue" ("participant_id");
CREATE INDEX "app_issue_session_id_26d78c40" ON "app_issue" ("session_id");
CREATE INDEX "app_issue_track_id_843d8ce5" ON "app_issue" ("track_id");
CREATE INDEX "app_issue_events_genericevent_id_eb3cebb8" ON "app_issue_events" ("genericevent_id");
CREATE INDEX "app_issue_events_issue_id_0a7710b9" ON "app_issue_events" ("issue_id");

-- Django's migration 0004: the dashboard indexes, names kept.
CREATE INDEX "idx_conf_app_created" ON "conference" ("app_id", "created_at" DESC);
CREATE INDEX "idx_issue_conf_type" ON "app_issue" ("conference_id", "type");
CREATE INDEX "idx_genevent_app_created" ON "app_genericevent" ("app_id", "created_at" DESC);
