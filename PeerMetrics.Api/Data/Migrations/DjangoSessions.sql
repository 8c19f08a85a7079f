-- Django's own session table (django.contrib.sessions, migration 0001), exactly as the peermetrics web app's
-- database has it: on a database this service migrates, the web dashboard's session can be checked
-- (Auth:DjangoSession) and the demo seeding can sign a demo user in. IF NOT EXISTS: a database that already
-- holds Django's sessions keeps them.
CREATE TABLE IF NOT EXISTS "django_session" (
    "session_key" varchar(40) NOT NULL CONSTRAINT "django_session_pkey" PRIMARY KEY,
    "session_data" text NOT NULL,
    "expire_date" timestamp with time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS "django_session_expire_date_a5c62663" ON "django_session" ("expire_date");
CREATE INDEX IF NOT EXISTS "django_session_session_key_c0390e0f_like" ON "django_session" ("session_key" varchar_pattern_ops);
